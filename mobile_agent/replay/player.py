"""Replaying a recipe on a device, inside the step loop, with no model call.

Each recorded step waits (polling the UI tree until a deadline, no fixed sleep) for its
recorded screen: the same app in front and, for a tap, the element it targeted (see
`match`), whose current bounds the tap is re-targeted to; for other actions a screen close
enough to the recorded one (and the focused field for typing). The action then goes through
the framework's actuation table, published as the loop publishes a model's step (so the run
directory of a replay is itself a recipe, and the model that takes over sees the history).

When a screen never comes, the replay has diverged: a `replay.diverged` event says where and
why, and the model takes over from that step (`Player.play` returns None), or, with no model
to hand over to, the run fails there (`replay_diverged`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mobile_agent.actions import ActionError, parse_action
from mobile_agent.bus import EventType
from mobile_agent.device.base import DeviceError
from mobile_agent.loop import actuation
from mobile_agent.loop.result import End
from mobile_agent.replay.match import Screen, find, identify, parse_tree, retarget, similarity
from mobile_agent.replay.recipe import Recipe, RecipeStep

if TYPE_CHECKING:
    from mobile_agent.loop.runner import Runner

__all__ = ["Check", "Player", "check_step"]

TAPS = ("click", "long_press")
MIN_SIMILARITY = 0.4  # of two screens' identified nodes (Jaccard), for steps with no target


@dataclass
class Check:
    """How the live screen compares with a recorded step: the points to act on, or why not."""

    points: list[tuple[int, int]] | None
    reason: str = ""
    note: str = ""


def check_step(rs: RecipeStep | None, recorded_xml: str, live: Screen) -> Check:
    """Does the live screen match the step's recorded one? For a tap, where is its element now?"""
    rec = parse_tree(recorded_xml)
    if live.package != rec.package:
        return Check(
            None, f"expected {rec.package or 'another app'} in front, found {live.package or 'none'}"
        )
    if rs is not None and rs.name in TAPS and rs.points:
        x, y = rs.points[0]
        ident = identify(rec, x, y)
        if ident is not None:
            el = find(live, ident)
            if el is None:
                return Check(None, f"{ident.describe()} (tapped in the recording) is not on the screen")
            new = retarget(ident, el, x, y)
            note = f"{ident.describe()} moved: ({x},{y}) -> {new}" if new != (x, y) else ""
            return Check([new], note=note)
    score = similarity(rec, live)
    if score < MIN_SIMILARITY:
        return Check(None, f"the screen differs from the recorded one (similarity {score:.2f})")
    if rs is not None and rs.name == "type":
        focused = [n for n in rec.nodes if n.focused and "EditText" in n.cls]
        if focused:
            f = focused[-1]
            want = identify(rec, (f.bounds[0] + f.bounds[2]) // 2, (f.bounds[1] + f.bounds[3]) // 2)
            el = find(live, want) if want is not None else None
            if el is None or not el.focused:
                return Check(None, "the text field to type into is not focused")
    return Check(list(rs.points) if rs is not None else [])


class Player:
    """Plays one recipe as the prelude of a `Runner` (see `Runner(prelude=...)`)."""

    def __init__(
        self, recipe: Recipe, *, can_hand_over: bool, timeout_s: float = 10.0, interval_s: float = 0.1
    ) -> None:
        self.recipe = recipe
        self.can_hand_over = can_hand_over
        self.timeout_s = timeout_s
        self.interval_s = interval_s
        self.replayed = 0
        self.diverged_at: int | None = None

    async def __call__(self, runner: Runner) -> End | None:
        return await self.play(runner)

    async def _wait_for(self, runner: Runner, rs: RecipeStep | None, xml: str) -> tuple[Check, str]:
        """Poll the UI tree until the recorded screen is there or the deadline passes."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            live_xml = await runner.observe.ui_tree()
            try:
                check = check_step(rs, xml, parse_tree(live_xml))
            except ValueError as exc:
                check = Check(None, str(exc))
            if check.points is not None or time.monotonic() >= deadline:
                return check, live_xml
            await asyncio.sleep(self.interval_s)

    def _diverge(self, runner: Runner, step: int, reason: str) -> End | None:
        self.diverged_at = step
        hand = self.can_hand_over
        runner.bus.publish(
            "replay.diverged",
            {
                "step": step,
                "reason": reason,
                "replayed": self.replayed,
                "hand_over": hand,
                "message": f"step {step}: {reason}; "
                + ("the model takes over from here" if hand else "no model is configured to take over"),
            },
            step=step,
        )
        if hand:
            return None
        return End(
            "failed",
            f"replay diverged at step {step}: {reason} (no model is configured to take over)",
            "replay_diverged",
        )

    async def play(self, runner: Runner) -> End | None:
        recipe, bus = self.recipe, runner.bus
        bus.publish(
            "replay.started",
            {
                "recipe": str(recipe.run_dir),
                "steps": len(recipe.steps),
                "message": f"replaying {len(recipe.steps)} recorded step(s) of {recipe.run_dir} (no model calls)",
            },
        )
        for rs in recipe.steps:
            step = runner.steps + 1
            if step > runner.max_steps:
                return End("failed", f"step budget of {runner.max_steps} steps used up", "step_budget")
            assert rs.tree is not None  # the recipe refuses steps without one
            check, live_xml = await self._wait_for(runner, rs, rs.tree)
            if check.points is None:
                return self._diverge(runner, step, check.reason)
            runner.steps = step
            runner.meter.new_step()
            bus.publish(EventType.STEP_STARTED, {"step": step, "replayed": True}, step=step)
            runner.observe.publish(step, "before", await runner.observe.capture())
            bus.publish(
                EventType.UI_TREE,
                {"phase": "before", "file": f"steps/{step:03d}-before.xml"},
                step=step,
                blobs={"xml": live_xml.encode("utf-8")},
            )
            bus.publish(
                EventType.ACTION_PROPOSED,
                {"thought": rs.thought, "action": rs.action, "description": rs.description, "replayed": True},
                step=step,
                role="replay",
            )
            try:
                action = parse_action(rs.action)
                call = actuation.device_call(runner.device, action, check.points)
                t0 = time.perf_counter()
                if call is not None:
                    await runner.observe.device_call(call.what, call.call)
            except (ActionError, DeviceError) as exc:
                if isinstance(exc, DeviceError) and not actuation.recoverable(exc):
                    raise
                bus.publish(EventType.ACTION_FAILED, {"action": rs.action, "error": str(exc)}, step=step)
                runner._end_step(step, "C", None, None)
                return self._diverge(runner, step + 1, f"the recorded {rs.name} failed: {exc}")
            bus.publish(
                EventType.ACTION_EXECUTED,
                {
                    "action": rs.action,
                    "device_points": [list(p) for p in check.points],
                    "device_size": list(rs.device_size) if rs.device_size else [],
                    "duration_s": round(time.perf_counter() - t0, 4),
                    "replayed": True,
                },
                step=step,
            )
            bus.publish(EventType.REFLECTION, {"outcome": "A", "error": "", "source": "replay"}, step=step)
            if check.note:
                bus.publish("replay.retargeted", {"message": check.note}, step=step)
            self.replayed += 1
            runner._end_step(step, "A", None, None)
        return self._finish(runner, await self._final(runner))

    async def _final(self, runner: Runner) -> str:
        """Wait for the screen the recording ended on; '' when it is there (or none was recorded)."""
        if self.recipe.final_tree is None:
            return ""
        check, _ = await self._wait_for(runner, None, self.recipe.final_tree)
        return "" if check.points is not None else check.reason

    def _finish(self, runner: Runner, reason: str) -> End | None:
        recipe, n = self.recipe, self.replayed
        if reason:
            return self._diverge(runner, runner.steps + 1, f"the final screen never came ({reason})")
        if recipe.end == "answer" and self.can_hand_over:
            # an answer is read off the phone as it is now: the recorded one may be stale (another
            # alarm, a new message), so the model reads it from the screen the replay reached
            runner.bus.publish(
                "replay.answer",
                {
                    "replayed": n,
                    "message": f"replayed {n} recorded step(s); the model reads the answer off the "
                    "current screen (the recorded answer may be stale)",
                },
                step=runner.steps,
            )
            return None
        if recipe.end == "answer":
            runner.bus.publish(
                EventType.ANSWER, {"text": recipe.answer or "", "replayed": True}, step=runner.steps
            )
            return End(
                "succeeded",
                f"replayed {n} recorded step(s) and the recorded answer (no model is configured to "
                "read it off the current screen)",
                claimed=True,
            )
        return End("succeeded", f"replayed the {n} recorded step(s) with no model call", claimed=True)
