"""The oracle's decision engine: from the current screen and device state to one move.

Stateless by design: each call reads the UI tree and the device state afresh and scans the
task's solution from its last step back to the first that is ready and not yet done. A detour
(a wrong tap, an unexpected page) therefore needs no bookkeeping: the next call sees where the
phone is and acts from there. The only memory is which facts (e.g. a code) have been seen on a
screen, as a person would remember them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Ctx, Fill, Move, Task
from mobile_agent.bench.grounding import Screen

__all__ = ["KEYBOARD_PACKAGES", "Decision", "decide", "observe", "recovery_move"]

KEYBOARD_PACKAGES = ("com.android.inputmethod.latin", "com.android.adbkeyboard")


@dataclass
class Decision:
    """The engine's verdict: the task already holds (`done`), or the next `move`."""

    done: bool
    move: Move | None
    plan: list[str]
    index: int  # index of the step acted on (-1: recovery or done)
    screen: Screen
    facts: list[str] = field(default_factory=list)


async def observe(adb: AdbShell) -> Screen:
    """The current UI tree over adb."""
    xml = await adb.ui_xml()
    return Screen.from_xml(xml, await adb.size())


async def decide(task: Task, adb: AdbShell, seen: set[str], screen: Screen | None = None) -> Decision:
    """Choose the next move for `task` on the phone behind `adb`; `seen` is updated in place."""
    if screen is None:
        screen = await observe(adb)
    steps = task.solution()
    plan = [s.text for s in steps]
    text = screen.all_text()
    notes = []
    for key, note, evidence in task.facts():
        if evidence and evidence in text:
            seen.add(key)
        if key in seen:
            notes.append(note)
    if not task.answers and await task.is_successful(adb, answer=None) >= 1.0:
        return Decision(True, None, plan, -1, screen, notes)
    state: dict[str, Any] = await task.oracle_state(adb)
    ctx = Ctx(screen=screen, adb=adb, task=task, state=state, seen=seen)
    for i in range(len(steps) - 1, -1, -1):
        step = steps[i]
        if step.gate is not None and not step.gate(ctx):
            continue
        if step.ready(ctx) and not step.done(ctx):
            # fill a form top-down: prefer the earliest of adjacent pending fields on this screen
            while i > 0 and isinstance(step, Fill) and isinstance(steps[i - 1], Fill):
                prev = steps[i - 1]
                if (prev.gate is not None and not prev.gate(ctx)) or not prev.ready(ctx) or prev.done(ctx):
                    break
                i, step = i - 1, prev
            move = step.act(ctx)
            if move is not None:
                move.step_index = i
                return Decision(False, move, plan, i, screen, notes)
    return Decision(False, recovery_move(screen), plan, -1, screen, notes)


def recovery_move(screen: Screen) -> Move:
    """No step applies here: an unexpected page. Go back (Android's way out of anything)."""
    return Move(
        {"action": "system_button", "button": "Back"},
        "This page is not on the way to the goal; going back.",
        "go back to a known page",
        recovery=True,
    )
