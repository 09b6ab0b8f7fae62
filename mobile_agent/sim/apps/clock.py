"""Clock: the Alarm tab (alarms with time, label and an on/off switch; add, edit, delete) and a Clock tab."""

from __future__ import annotations

import functools
from typing import Any

from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.providers import Provider
from mobile_agent.sim.seed import SeedContext
from mobile_agent.sim.ui import Button, LinearLayout, Spacer, Switch, TextView, View

ALARMS = [(6, 30, "Wake up"), (7, 15, "Gym"), (8, 0, ""), (22, 0, "Take medicine"), (13, 45, "Call mom")]


class ClockApp(App):
    package = "com.android.deskclock"
    label = "Clock"
    activity = "com.android.deskclock.DeskClock"
    icon = "alarm"
    color = (63, 81, 181)
    providers = (
        Provider(
            table="alarms",
            uris={"content://com.android.deskclock/alarms": None},
            columns=("_id", "hour", "minutes", "enabled", "label"),
        ),
    )
    seed_order = 4  # when it draws from the seed's random stream

    def seed_rows(self, table: str, seed: SeedContext) -> list[dict[str, Any]]:
        alarms = []
        for i, (h, minute, label) in enumerate(sorted(seed.rng.sample(ALARMS, 3)), 1):
            alarms.append(
                {
                    "_id": i,
                    "hour": h,
                    "minutes": minute,
                    "enabled": 1 if seed.rng.random() < 0.6 else 0,
                    "label": label,
                }
            )
        return alarms

    def new_row(self, table: str, values: dict[str, Any], type_: int | None) -> dict[str, Any]:
        return {
            "hour": int(values.get("hour", 0)),
            "minutes": int(values.get("minutes", 0)),
            "enabled": int(values.get("enabled", 1)),
            "label": str(values.get("label", "")),
        }

    activities = {"com.android.deskclock.AlarmClock": "main"}

    def alarm(self, aid: Any) -> dict[str, Any] | None:
        return next((a for a in self.table("alarms") if a["_id"] == aid), None)

    def build(self, s: Screen) -> View:
        if s["name"] == "edit":
            return self._edit(s)
        return self._main(s)

    def _tabs(self, s: Screen) -> View:
        tab = s["params"].get("tab", "alarm")

        def tab_view(name: str, label: str) -> View:
            sel = tab == name
            return TextView(
                label,
                size=40,
                bold=sel,
                align_text="center",
                weight=1,
                height=120,
                color="primary" if sel else "text2",
                selected=sel,
                bg="tonal" if sel else None,
                radius=60,
                on_click=lambda: s["params"].__setitem__("tab", name),
                desc=label,
                rid=self.rid(f"tab_{name}"),
            )

        return LinearLayout(
            tab_view("alarm", "Alarm"),
            tab_view("clock", "Clock"),
            horizontal=True,
            height=136,
            padding=(40, 8, 40, 8),
            spacing=24,
            rid=self.rid("tabs"),
        )

    def _main(self, s: Screen) -> View:
        if s["params"].get("tab", "alarm") == "clock":
            now = self.phone.now()
            body = LinearLayout(
                self._tabs(s),
                Spacer(height=200),
                TextView(now.strftime("%H:%M"), size=200, align_text="center", rid=self.rid("digital_clock")),
                TextView(
                    now.strftime("%a, %b %-d"),
                    size=48,
                    color="text2",
                    align_text="center",
                    rid=self.rid("date"),
                ),
                TextView(
                    "Coordinated Universal Time",
                    size=36,
                    color="text2",
                    align_text="center",
                    padding=(0, 24, 0, 0),
                ),
                Spacer(weight=1),
            )
            return self.screen(self.app_bar("Clock"), body)
        alarms = sorted(self.table("alarms"), key=lambda a: (a["hour"], a["minutes"], a["_id"]))
        cards: list[View | None] = []
        for a in alarms:
            aid = a["_id"]
            on = bool(a["enabled"])
            texts = LinearLayout(
                TextView(
                    f"{a['hour']:02d}:{a['minutes']:02d}",
                    size=88,
                    color="text" if on else "text2",
                    rid=self.rid("digital_clock"),
                ),
                TextView(a["label"] or "Alarm", size=36, color="text2", rid=self.rid("label"), max_lines=1),
                weight=1,
            )
            cards.append(
                LinearLayout(
                    texts,
                    Switch(
                        on,
                        on_click=functools.partial(_flip_enabled, a),
                        rid=self.rid("onoff"),
                        desc=f"{a['hour']:02d}:{a['minutes']:02d} alarm",
                    ),
                    horizontal=True,
                    bg="card",
                    radius=40,
                    padding=(48, 24, 40, 24),
                    margin=(32, 12, 32, 12),
                    on_click=lambda aid=aid: self._open_editor(aid),
                    rid=self.rid("alarm_item"),
                )
            )
        if not cards:
            cards.append(TextView("No alarms", color="text2", padding=64, align_text="center"))
        cards.append(Spacer(height=260))
        body = LinearLayout(self._tabs(s), self.list_view(s, *cards, key="alarm_recycler_view", weight=1))
        return self.screen(
            self.app_bar("Alarm"),
            body,
            fab=self.fab("Add alarm", lambda: self.push("edit", id=None), self.rid("fab")),
        )

    def _open_editor(self, aid: int) -> None:
        a = self.alarm(aid)
        if a is not None:
            self.push(
                "edit",
                id=aid,
                fields={"hour": f"{a['hour']:02d}", "minute": f"{a['minutes']:02d}", "label": a["label"]},
            )

    # ---- editor
    def _bump(self, s: Screen, key: str, delta: int, mod: int, default: int) -> None:
        try:
            v = int(self.field(s, key))
        except ValueError:
            v = default - delta
        s["fields"][key] = f"{(v + delta) % mod:02d}"

    def _spinner(self, s: Screen, key: str, hint: str, label: str, mod: int, default: int) -> View:
        field = self.edit(s, key, hint, desc=label, align_text="center", size=72, width=240)
        field.padding = (16, 24, 16, 24)
        return LinearLayout(
            TextView(label, size=36, color="text2", align_text="center"),
            self.action(
                "plus",
                f"Increase {label.lower()}",
                lambda: self._bump(s, key, 1, mod, default),
                rid=self.rid(f"{key}_up"),
            ),
            field,
            self.action(
                "minus",
                f"Decrease {label.lower()}",
                lambda: self._bump(s, key, -1, mod, default),
                rid=self.rid(f"{key}_down"),
            ),
            width=260,
            spacing=8,
        )

    def _edit(self, s: Screen) -> View:
        aid = s["params"].get("id")
        err = s["params"].get("error", "")
        pickers = LinearLayout(
            Spacer(weight=1),
            self._spinner(s, "hour", "07", "Hour", 24, 7),
            TextView(":", size=90, width=60, align_text="center", height=160),
            self._spinner(s, "minute", "00", "Minute", 60, 0),
            Spacer(weight=1),
            horizontal=True,
            padding=(0, 32, 0, 32),
        )
        label = self.edit(s, "label", "Label", on_submit=lambda: self._save(s))
        label.margin = (48, 16, 48, 16)
        rows: list[View | None] = [
            pickers,
            TextView("24-hour clock: hour 0-23, minute 0-59", size=32, color="text2", align_text="center"),
            TextView("Label", size=36, color="text2", padding=(56, 32, 0, 0)),
            label,
            TextView(err, color="error", size=36, padding=(56, 8, 56, 8), rid=self.rid("error"))
            if err
            else None,
            LinearLayout(
                Button(
                    "Delete",
                    lambda: self.confirm(s, "Delete alarm?", "", "Delete", "delete", aid),
                    style="text",
                    rid=self.rid("delete"),
                )
                if aid is not None
                else None,
                Spacer(weight=1),
                Button("Cancel", self.phone.back, style="text", rid=self.rid("cancel")),
                Button("Save", lambda: self._save(s), rid=self.rid("save")),
                horizontal=True,
                height=126,
                spacing=24,
                padding=(40, 0, 40, 0),
                margin=(0, 40, 0, 0),
            ),
        ]
        title = "Edit alarm" if aid is not None else "Add alarm"
        return self.screen(self.app_bar(title, up=True), self.list_view(s, *rows, key="editor"))

    def _save(self, s: Screen) -> None:
        try:
            h = int(self.field(s, "hour").strip() or "x")
            m = int(self.field(s, "minute").strip() or "0")
        except ValueError:
            h, m = -1, -1
        if not (0 <= h <= 23 and 0 <= m <= 59):
            s["params"]["error"] = "Enter a valid time (hour 0-23, minute 0-59)"
            return
        label = self.field(s, "label").strip()
        a = self.alarm(s["params"].get("id"))
        if a is not None:
            a.update(hour=h, minutes=m, label=label, enabled=1)
        else:
            self.phone.insert_row("alarms", {"hour": h, "minutes": m, "label": label, "enabled": 1})
        self.pop()
        self.toast(f"Alarm set for {h:02d}:{m:02d}")

    def dialog_action(self, s: Screen, action: str, arg: Any) -> None:
        if action == "delete":
            self.phone.tables["alarms"] = [a for a in self.table("alarms") if a["_id"] != arg]
            self.pop()
            self.toast("Alarm deleted")


def _flip_enabled(alarm: dict[str, Any]) -> None:
    alarm["enabled"] = 0 if alarm["enabled"] else 1
