"""Calendar: upcoming events grouped by date; add (title, YYYY-MM-DD date, HH:MM time), view, delete."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.providers import Provider
from mobile_agent.sim.seed import SeedContext
from mobile_agent.sim.ui import Button, Divider, LinearLayout, Spacer, TextView, View

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_RE = re.compile(r"^\d{1,2}:\d{2}$")


def _pretty(date: str) -> str:
    try:
        return dt.date.fromisoformat(date).strftime("%A, %B %-d, %Y")
    except ValueError:
        return date


EVENTS = [
    "Dentist appointment",
    "Team meeting",
    "Lunch with {name}",
    "Yoga class",
    "Project deadline",
    "Dinner with {name}",
    "Car service",
    "Book club",
]


class CalendarApp(App):
    package = "com.android.calendar"
    label = "Calendar"
    activity = "com.android.calendar.AllInOneActivity"
    icon = "calendar"
    color = (15, 157, 88)
    providers = (
        Provider(
            table="events",
            uris={"content://com.android.calendar/events": None},
            columns=("_id", "title", "dtstart", "dtend", "date", "time"),
        ),
    )
    seed_order = 5  # when it draws from the seed's random stream

    def seed_rows(self, table: str, seed: SeedContext) -> list[dict[str, Any]]:
        rng, names = seed.rng, seed.shared.get("people") or ["Alex Doe"]
        events = []
        today = dt.datetime.fromtimestamp(seed.now, dt.UTC).date()
        for i, title in enumerate(rng.sample(EVENTS, 4), 1):
            day = today + dt.timedelta(days=rng.randint(0, 12))
            hh, mm = rng.randint(8, 19), rng.choice([0, 15, 30, 45])
            title = title.format(name=rng.choice(names).split(" ")[0])
            events.append(event_row(i, title, day.isoformat(), f"{hh:02d}:{mm:02d}"))
        return events

    def new_row(self, table: str, values: dict[str, Any], type_: int | None) -> dict[str, Any]:
        date = str(values.get("date", self.phone.now().date().isoformat()))
        time = str(values.get("time", "09:00"))
        row = event_row(0, str(values.get("title", "")), date, time)
        del row["_id"]
        return row

    def row_updated(self, table: str, row: dict[str, Any], values: dict[str, str]) -> None:
        if "date" in values or "time" in values:  # dtstart/dtend follow the date and time
            fresh = event_row(row["_id"], row["title"], row["date"], row["time"])
            row.update(dtstart=fresh["dtstart"], dtend=fresh["dtend"])

    activities = {"com.android.calendar.event.EditEventActivity": "edit"}

    def screen_activity(self, s: Screen) -> str:
        return {
            "edit": "com.android.calendar.event.EditEventActivity",
            "detail": "com.android.calendar.EventInfoActivity",
        }.get(s["name"], self.activity)

    def event(self, eid: Any) -> dict[str, Any] | None:
        return next((e for e in self.table("events") if e["_id"] == eid), None)

    def build(self, s: Screen) -> View:
        if s["name"] == "edit":
            return self._edit(s)
        if s["name"] == "detail":
            return self._detail(s)
        events = sorted(self.table("events"), key=lambda e: (e["date"], e["time"], e["_id"]))
        items: list[View | None] = []
        last = None
        for e in events:
            if e["date"] != last:
                last = e["date"]
                items.append(
                    TextView(
                        f"{_pretty(e['date'])}  ·  {e['date']}",
                        size=36,
                        bold=True,
                        color="primary",
                        padding=(48, 32, 48, 8),
                        rid=self.rid("date_header"),
                    )
                )
            eid = e["_id"]
            end = dt.datetime.fromtimestamp(e["dtend"] // 1000, dt.UTC).strftime("%H:%M")
            items.append(
                self.row(
                    e["title"] or "(No title)",
                    subtitle=f"{e['time']} – {end}",
                    on_click=functools.partial(self.push, "detail", id=eid),
                    title_rid=self.rid("event_title"),
                    subtitle_rid=self.rid("event_time"),
                    rid=self.rid("event_item"),
                    height=170,
                )
            )
        if not items:
            items.append(TextView("No upcoming events", color="text2", padding=64, align_text="center"))
        items.append(Spacer(height=260))
        today = self.phone.now()
        header = TextView(
            f"Today: {today.strftime('%A, %B %-d, %Y')}",
            size=36,
            color="text2",
            padding=(48, 0, 48, 16),
            rid=self.rid("today"),
        )
        body = LinearLayout(header, Divider(), self.list_view(s, *items, key="agenda", weight=1))
        return self.screen(
            self.app_bar("Calendar"),
            body,
            fab=self.fab(
                "New event",
                lambda: self.push("edit", id=None, focus="title"),
                self.rid("floating_action_button"),
            ),
        )

    # ---- editor
    def _edit(self, s: Screen) -> View:
        err = s["params"].get("error", "")

        def labeled(label: str, key: str, hint: str, submit: Any = None) -> View:
            f = self.edit(s, key, hint, on_submit=submit, desc=label)
            return LinearLayout(
                TextView(label, size=36, color="text2", padding=(8, 0, 0, 8)), f, padding=(48, 16, 48, 16)
            )

        rows: list[View | None] = [
            labeled("Title", "title", "Add title"),
            labeled("Date", "date", "YYYY-MM-DD"),
            labeled("Time", "time", "HH:MM", submit=lambda: self._save(s)),
            TextView(err, color="error", size=36, padding=(56, 8, 56, 8), rid=self.rid("error"))
            if err
            else None,
            LinearLayout(
                Spacer(weight=1),
                Button("Cancel", self.phone.back, style="text", rid=self.rid("cancel")),
                Button("Save", lambda: self._save(s), rid=self.rid("save")),
                horizontal=True,
                height=126,
                spacing=24,
                padding=(40, 0, 40, 0),
                margin=(0, 32, 0, 0),
            ),
        ]
        return self.screen(self.app_bar("New event", up=True), self.list_view(s, *rows, key="editor"))

    def _save(self, s: Screen) -> None:
        title = self.field(s, "title").strip()
        date = self.field(s, "date").strip()
        time = self.field(s, "time").strip()
        if not title:
            s["params"]["error"] = "Enter a title"
            return
        if not DATE_RE.match(date):
            s["params"]["error"] = "Enter the date as YYYY-MM-DD"
            return
        if not TIME_RE.match(time):
            s["params"]["error"] = "Enter the time as HH:MM"
            return
        hh, mm = (int(x) for x in time.split(":"))
        try:
            dt.date.fromisoformat(date)
            if not (0 <= hh <= 23 and 0 <= mm <= 59):
                raise ValueError(time)
        except ValueError:
            s["params"]["error"] = "That date or time does not exist"
            return
        self.phone.insert_row("events", {"title": title, "date": date, "time": f"{hh:02d}:{mm:02d}"})
        self.pop()
        self.toast("Event saved")

    # ---- details
    def _detail(self, s: Screen) -> View:
        e = self.event(s["params"].get("id"))
        if e is None:
            return self.screen(
                self.app_bar("Event", up=True),
                self.list_view(s, TextView("Event not found", padding=64, color="text2")),
            )
        end = dt.datetime.fromtimestamp(e["dtend"] // 1000, dt.UTC).strftime("%H:%M")
        rows: list[View | None] = [
            TextView(e["title"], size=64, padding=(48, 32, 48, 16), rid=self.rid("title")),
            TextView(_pretty(e["date"]), size=42, padding=(48, 8, 48, 0), rid=self.rid("when_date")),
            TextView(
                f"{e['time']} – {end}",
                size=42,
                color="text2",
                padding=(48, 8, 48, 32),
                rid=self.rid("when_time"),
            ),
            LinearLayout(
                Spacer(weight=1),
                Button(
                    "Delete",
                    lambda: self.confirm(s, "Delete this event?", e["title"], "Delete", "delete", e["_id"]),
                    style="tonal",
                    rid=self.rid("delete"),
                ),
                horizontal=True,
                height=126,
                padding=(40, 0, 40, 0),
            ),
        ]
        return self.screen(self.app_bar("", up=True), self.list_view(s, *rows, key="detail"))

    def dialog_action(self, s: Screen, action: str, arg: Any) -> None:
        if action == "delete":
            self.phone.tables["events"] = [e for e in self.table("events") if e["_id"] != arg]
            self.pop()
            self.toast("Event deleted")


def event_row(_id: int, title: str, date: str, time: str) -> dict[str, Any]:
    """A calendar row; dtstart is the UTC epoch ms of date+time, dtend one hour later."""
    d = dt.datetime.strptime(f"{date} {time}", "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
    start = int(d.timestamp()) * 1000
    return {
        "_id": _id,
        "title": title,
        "date": date,
        "time": time,
        "dtstart": start,
        "dtend": start + 3600_000,
    }
