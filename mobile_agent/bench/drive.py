"""Drive a phone with the oracle's moves directly over adb, without the agent (no model, no loop).

Moves go through the framework's one actuation table (`mobile_agent.loop.actuation`) onto a
device made of plain `adb shell` commands.

A triage tool: if a task passes here but fails through the framework, the fault is in the
framework (prompts, parsing, coordinates, device layer); if it fails here, it is in the task's
solution or the phone. Tests also use it to do a task *wrongly* on purpose and check that the
verifier catches it.
"""

from __future__ import annotations

import shlex

from mobile_agent.actions import parse_action
from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Move, Task
from mobile_agent.bench.policy import decide
from mobile_agent.loop.actuation import actuate
from mobile_agent.sim.apps import ALL_APPS

__all__ = ["APP_PACKAGES", "ShellDevice", "drive", "execute"]

# App label (lower case) -> package, as the virtual phone's apps declare them (one table: the apps).
APP_PACKAGES = {app.label.lower(): app.package for app in ALL_APPS if app.label}


class ShellDevice:
    """The device calls actions make (`loop.actuation.Actuated`), as plain `adb shell` commands."""

    def __init__(self, adb: AdbShell) -> None:
        self.adb = adb

    async def tap(self, x: int, y: int) -> None:
        await self.adb.shell(f"input tap {int(x)} {int(y)}")

    async def long_press(self, x: int, y: int, duration_s: float = 1.0) -> None:
        ms = int(float(duration_s) * 1000)
        await self.adb.shell(f"input swipe {int(x)} {int(y)} {int(x)} {int(y)} {ms}")

    async def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_s: float | None = None) -> None:
        ms = 300 if duration_s is None else int(duration_s * 1000)
        await self.adb.shell(f"input swipe {int(x1)} {int(y1)} {int(x2)} {int(y2)} {ms}")

    async def type_text(self, text: str) -> None:
        if text.isascii():
            await self.adb.shell(f"input text {shlex.quote(text.replace(' ', '%s'))}")
        else:
            await self.adb.shell(f"am broadcast -a ADB_INPUT_TEXT --es msg {shlex.quote(text)}")

    async def key(self, name: str) -> None:
        name = name.upper()
        await self.adb.shell(
            f"input keyevent {shlex.quote(name if name.startswith('KEYCODE_') else 'KEYCODE_' + name)}"
        )

    async def back(self) -> None:
        await self.adb.shell("input keyevent 4")

    async def home(self) -> None:
        await self.adb.shell("input keyevent 3")

    async def open_app(self, name: str) -> str:
        pkg = APP_PACKAGES.get(name.strip().lower(), name)
        await self.adb.shell(f"monkey -p {shlex.quote(pkg)} -c android.intent.category.LAUNCHER 1")
        return pkg


async def execute(adb: AdbShell, move: Move) -> None:
    """Perform one move (device coordinates) through the framework's actuation table, with plain
    `adb shell input` / `monkey` commands as the device."""
    action = parse_action(move.action)
    points = [(int(x), int(y)) for x, y in action.points()]
    await actuate(ShellDevice(adb), action, points)


async def drive(
    task: Task, adb: AdbShell, max_steps: int | None = None
) -> tuple[bool, str | None, list[Move]]:
    """Follow the oracle's policy until the goal holds, an answer is given, or the budget ends.

    Returns (finished, answer, moves).
    """
    seen: set[str] = set()
    moves: list[Move] = []
    for _ in range(max_steps or task.max_steps * 2):
        d = await decide(task, adb, seen)
        if d.done:
            return True, None, moves
        assert d.move is not None
        moves.append(d.move)
        if d.move.action["action"] == "answer":
            return True, d.move.action["text"], moves
        await execute(adb, d.move)
    return False, None, moves
