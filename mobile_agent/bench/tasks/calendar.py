"""Calendar tasks: add an event at a date and time, delete an event."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Step, Task, norm_text
from mobile_agent.bench.tasks import ui
from mobile_agent.bench.tasks.common import EVENTS, delete_where, rows

__all__ = ["TASKS", "TITLES", "AddEvent", "DeleteEvent", "phone_today"]

TITLES = ("Dentist", "Team lunch", "Yoga class", "Parent meeting", "Car service", "Book club")


async def phone_today(adb: AdbShell) -> date:
    """The phone's own date (`date +%Y-%m-%d`), which the Calendar app opens on."""
    out = (await adb.shell("date +%Y-%m-%d")).strip()
    try:
        return date.fromisoformat(out[:10])
    except ValueError:
        return date.today()


def _events(rs: list[dict[str, str]], title: str) -> list[dict[str, str]]:
    return [r for r in rs if norm_text(r.get("title")) == norm_text(title)]


class AddEvent(Task):
    """The date is a few days after the phone's today (set at initialisation, so the goal holds it)."""

    name = "calendar_add_event"
    app = "Calendar"
    complexity = 1.8
    goal_template = 'Add a calendar event "{title}" on {date} at {time}.'

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        h, m = rng.randint(8, 19), rng.choice([0, 15, 30, 45])
        return {
            "title": rng.choice(TITLES),
            "offset": rng.randint(1, 12),
            "hour": h,
            "minute": m,
            "time": f"{h:02d}:{m:02d}",
            "date": "(set at initialisation)",
        }

    async def setup(self, adb: AdbShell) -> None:
        p = self.params
        p["date"] = (await phone_today(adb) + timedelta(days=p["offset"])).isoformat()
        await delete_where(adb, EVENTS, lambda r: norm_text(r.get("title")) == norm_text(p["title"]))

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        p = self.params
        ok = [
            r
            for r in _events(await rows(adb, EVENTS), p["title"])
            if r.get("date") == p["date"] and r.get("time") == p["time"]
        ]
        return 1.0 if ok else 0.0

    def solution(self) -> list[Step]:
        p = self.params
        return ui.calendar_add_event(p["title"], p["date"], p["hour"], p["minute"])


class DeleteEvent(Task):
    name = "calendar_delete_event"
    app = "Calendar"
    complexity = 1.2
    goal_template = 'Delete the "{title}" event from my calendar.'

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return {
            "title": rng.choice(TITLES) + " (old)",
            "offset": rng.randint(0, 5),
            "hour": rng.randint(9, 17),
            "date": "(set at initialisation)",
        }

    async def setup(self, adb: AdbShell) -> None:
        p = self.params
        day = await phone_today(adb) + timedelta(days=p["offset"])
        p["date"] = day.isoformat()
        await delete_where(adb, EVENTS, lambda r: norm_text(r.get("title")) == norm_text(p["title"]))
        await adb.insert(EVENTS, {"title": p["title"], "date": p["date"], "time": f"{p['hour']:02d}:00"})

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        return 0.0 if _events(await rows(adb, EVENTS), self.params["title"]) else 1.0

    def solution(self) -> list[Step]:
        return ui.calendar_delete_event(self.params["title"], self.params["date"])


TASKS: list[type[Task]] = [AddEvent, DeleteEvent]
