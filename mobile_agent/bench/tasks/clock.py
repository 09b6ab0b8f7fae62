"""Clock tasks: add an alarm (with a label), disable, enable and delete an alarm."""

from __future__ import annotations

import random
from typing import Any

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Step, Task, norm_text
from mobile_agent.bench.tasks import ui
from mobile_agent.bench.tasks.common import ALARMS, delete_where, fmt_time, fmt_time_12, rows

__all__ = ["LABELS", "TASKS", "AddAlarm", "AddAlarmLabel", "DeleteAlarm", "DisableAlarm", "EnableAlarm"]

LABELS = ("Gym", "Medicine", "Call mom", "Standup", "Laundry", "Pick up kids")


def _at(r: dict[str, str], h: int, m: int) -> bool:
    try:
        return int(r.get("hour", "-1")) == h and int(r.get("minutes", "-1")) == m
    except ValueError:
        return False


def _time_params(rng: random.Random) -> dict[str, Any]:
    h, m = rng.randint(5, 22), rng.choice([0, 5, 10, 15, 20, 30, 40, 45, 50])
    return {"hour": h, "minute": m, "time": fmt_time(h, m), "time12": fmt_time_12(h, m)}


class AddAlarm(Task):
    name = "clock_add_alarm"
    app = "Clock"
    complexity = 1.2
    goal_template = "Set an alarm for {time}."

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return _time_params(rng)

    async def setup(self, adb: AdbShell) -> None:
        p = self.params
        await delete_where(adb, ALARMS, lambda r: _at(r, p["hour"], p["minute"]))

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        p = self.params
        found = [
            r for r in await rows(adb, ALARMS) if _at(r, p["hour"], p["minute"]) and r.get("enabled") == "1"
        ]
        if not found:
            return 0.0
        if p.get("label") and not any(norm_text(r.get("label")) == norm_text(p["label"]) for r in found):
            return 0.0
        return 1.0

    def solution(self) -> list[Step]:
        p = self.params
        return ui.clock_add_alarm(p["hour"], p["minute"], p.get("label", ""))


class AddAlarmLabel(AddAlarm):
    name = "clock_add_alarm_label"
    complexity = 1.5
    goal_template = 'Create an alarm at {time} labelled "{label}".'

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return _time_params(rng) | {"label": rng.choice(LABELS)}


class _ExistingAlarm(Task):
    app = "Clock"
    complexity = 0.8
    start_enabled = True

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return _time_params(rng) | {"label": rng.choice(LABELS)}

    async def setup(self, adb: AdbShell) -> None:
        p = self.params
        await delete_where(adb, ALARMS, lambda r: _at(r, p["hour"], p["minute"]))
        await adb.insert(
            ALARMS,
            {
                "hour": p["hour"],
                "minutes": p["minute"],
                "enabled": int(self.start_enabled),
                "label": p["label"],
            },
        )

    async def _mine(self, adb: AdbShell) -> list[dict[str, str]]:
        p = self.params
        return [r for r in await rows(adb, ALARMS) if _at(r, p["hour"], p["minute"])]


class DisableAlarm(_ExistingAlarm):
    name = "clock_disable_alarm"
    goal_template = "Turn off the {time} alarm."

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        mine = await self._mine(adb)
        return 1.0 if mine and all(r.get("enabled") == "0" for r in mine) else 0.0

    def solution(self) -> list[Step]:
        return ui.clock_toggle_alarm(self.params["hour"], self.params["minute"], on=False)


class EnableAlarm(_ExistingAlarm):
    name = "clock_enable_alarm"
    start_enabled = False
    goal_template = "Switch on my {time} alarm."

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        mine = await self._mine(adb)
        return 1.0 if mine and any(r.get("enabled") == "1" for r in mine) else 0.0

    def solution(self) -> list[Step]:
        return ui.clock_toggle_alarm(self.params["hour"], self.params["minute"], on=True)


class DeleteAlarm(_ExistingAlarm):
    name = "clock_delete_alarm"
    complexity = 1.0
    goal_template = "Delete the alarm set for {time}."

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        return 0.0 if await self._mine(adb) else 1.0

    def solution(self) -> list[Step]:
        return ui.clock_delete_alarm(self.params["hour"], self.params["minute"])


TASKS: list[type[Task]] = [AddAlarm, AddAlarmLabel, DisableAlarm, EnableAlarm, DeleteAlarm]
