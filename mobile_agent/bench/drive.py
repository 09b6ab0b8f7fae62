"""Drive a phone with the oracle's moves directly over adb, without the agent framework.

A triage tool: if a task passes here but fails through the framework, the fault is in the
framework (prompts, parsing, coordinates, device layer); if it fails here, it is in the task's
solution or the phone. Tests also use it to do a task *wrongly* on purpose and check that the
verifier catches it.
"""

from __future__ import annotations

import shlex

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Move, Task
from mobile_agent.bench.policy import decide

KEYCODES = {"Back": 4, "Home": 3, "Menu": 82, "Enter": 66}
APP_PACKAGES = {
    "settings": "com.android.settings",
    "contacts": "com.android.contacts",
    "messages": "com.android.messaging",
    "clock": "com.android.deskclock",
    "notes": "org.mobileagent.notes",
    "calendar": "com.android.calendar",
    "gallery": "com.android.gallery3d",
}


async def execute(adb: AdbShell, move: Move) -> None:
    """Perform one move (device coordinates) with plain `adb shell input` / `monkey` commands."""
    a = move.action
    kind = a["action"]
    if kind == "click":
        x, y = a["coordinate"]
        await adb.shell(f"input tap {int(x)} {int(y)}")
    elif kind == "long_press":
        x, y = a["coordinate"]
        ms = int(float(a.get("time", 1.0)) * 1000)
        await adb.shell(f"input swipe {int(x)} {int(y)} {int(x)} {int(y)} {ms}")
    elif kind == "swipe":
        (x1, y1), (x2, y2) = a["coordinate"], a["coordinate2"]
        await adb.shell(f"input swipe {int(x1)} {int(y1)} {int(x2)} {int(y2)} 300")
    elif kind == "type":
        text = a["text"]
        if text.isascii():
            await adb.shell(f"input text {shlex.quote(text.replace(' ', '%s'))}")
        else:
            await adb.shell(f"am broadcast -a ADB_INPUT_TEXT --es msg {shlex.quote(text)}")
    elif kind == "key":
        name = a["text"].upper()
        await adb.shell(
            f"input keyevent {shlex.quote(name if name.startswith('KEYCODE_') else 'KEYCODE_' + name)}"
        )
    elif kind == "system_button":
        await adb.shell(f"input keyevent {KEYCODES[a['button']]}")
    elif kind == "open":
        pkg = APP_PACKAGES.get(a["text"].strip().lower(), a["text"])
        await adb.shell(f"monkey -p {shlex.quote(pkg)} -c android.intent.category.LAUNCHER 1")
    elif kind == "wait":
        return
    else:
        raise ValueError(f"cannot execute {kind} over adb")


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
