"""Guards: the sensitive-action policy, human approval, and the loop and failure budgets.

Two measured loop rules each escalate to the Manager first, then fail the task: the same action
N times in a row with no measured screen change, and the same action on the same screen N times
in the run (a cycle such as open X -> wrong page -> Back -> open X ...). N consecutive failed
steps escalate; more end the run.
"""

from __future__ import annotations

import asyncio
import json

from mobile_agent.actions import Action, Click, LongPress, Type
from mobile_agent.bus import Bus, EventType
from mobile_agent.config import AgentConfig
from mobile_agent.device.base import DeviceError
from mobile_agent.human import HumanChannel, HumanReply, HumanRequest, HumanTimeout
from mobile_agent.loop.observe import Observer, Screen, screen_key
from mobile_agent.loop.result import End, Stop
from mobile_agent.policy import Policy

__all__ = ["Approval", "LoopGuard", "check_failures"]


class Approval:
    """Whether an action may run: the policy's verdict, and a person's when one must decide."""

    def __init__(self, config: AgentConfig, bus: Bus, observe: Observer, human: HumanChannel | None) -> None:
        self.config = config
        self.bus = bus
        self.observe = observe
        self.human = human
        mode = config.policy or ("confirm" if human is not None else "allow")
        self.policy = Policy(mode=mode, keywords=tuple(config.sensitive_keywords))

    async def check(self, step: int, action: Action, description: str, screen: Screen) -> str:
        """'' when the action may run; else why not (told to the Worker on its retry)."""
        if not self.policy.needs_ui or not isinstance(action, Click | LongPress | Type):
            return ""
        point = screen.frame.to_device(*action.points()[0]) if action.points() else None
        try:
            xml = await self.observe.ui_tree()
        except DeviceError as exc:
            self.bus.publish(
                EventType.ERROR, {"where": "policy", "message": f"UI tree unavailable: {exc}"}, step=step
            )
            xml = ""
        reason = self.policy.check(action, description, device_point=point, ui_xml=xml)
        if not reason:
            return ""
        if self.policy.mode == "deny" or self.human is None:
            why = (
                "the sensitive-action policy forbids it"
                if self.policy.mode == "deny"
                else "nobody can approve it"
            )
            self.bus.publish(
                EventType.HUMAN_REPLIED,
                {"kind": "confirm", "text": "", "approved": False, "auto": True, "reason": reason},
                step=step,
            )
            return f"The action {action.describe()} was refused ({reason}; {why}). Choose another action."
        reply = await self.ask_human(
            step, HumanRequest("confirm", f"Allow this step? {reason}.", action.to_json())
        )
        if reply.approved:
            return ""
        said = f" The user said: {reply.text}" if reply.text else ""
        return f"The user declined the action {action.describe()} ({reason}).{said} Choose another action."

    async def ask_human(self, step: int, request: HumanRequest) -> HumanReply:
        """Ask the human channel and wait (bounded by `human_timeout_s`); no channel: a stock reply."""
        self.bus.publish(
            EventType.HUMAN_REQUESTED,
            {"kind": request.kind, "prompt": request.prompt, "action": request.action},
            step=step,
        )
        if self.human is None:
            reply = HumanReply(text="(nobody is available to answer; carry on without it)", approved=False)
        else:
            try:
                reply = await asyncio.wait_for(self.human.request(request), self.config.human_timeout_s)
            except TimeoutError:
                raise HumanTimeout(f"nobody answered within {self.config.human_timeout_s:g} s") from None
        self.bus.publish(
            EventType.HUMAN_REPLIED,
            {"kind": request.kind, "text": reply.text, "approved": reply.approved},
            step=step,
        )
        return reply


def check_failures(config: AgentConfig, bus: Bus, step: int) -> None:
    """Escalate (multi mode) after every `escalate_after_failures` failed steps in a row; raise
    `Stop` after `fail_after_failures`."""
    failures = bus.state.consecutive_failures
    if failures >= config.fail_after_failures:
        raise Stop(End("failed", f"{failures} steps in a row failed", "too_many_failures"))
    if (
        config.mode == "multi"
        and failures >= config.escalate_after_failures
        and failures % config.escalate_after_failures == 0
    ):
        if not bus.state.escalate:
            bus.publish(
                EventType.ESCALATION,
                {
                    "reason": f"The last {failures} actions failed (wrong page or no change).",
                    "kind": "failures",
                },
                step=step,
            )


class LoopGuard:
    """The two loop rules, counted over the run; each escalates first, then fails the task."""

    def __init__(self, config: AgentConfig, bus: Bus) -> None:
        self.config = config
        self.bus = bus
        self._repeat = 0
        self._last_sig = ""
        self._loop_escalated = False
        self._seen: dict[tuple[bytes, str], int] = {}
        self._cycle_escalated: set[tuple[bytes, str]] = set()

    def check(self, step: int, action: Action, changed: bool, before: Screen) -> None:
        """Count this executed action; publish an escalation or raise `Stop` when a rule trips."""
        n = self.config.loop_threshold
        sig = json.dumps(action.to_json(), sort_keys=True)
        key = (before.key if before.key is not None else screen_key(before.raw), sig)
        seen = self._seen[key] = self._seen.get(key, 0) + 1
        if changed:
            self._repeat = 0
            self._loop_escalated = False
        elif sig == self._last_sig:
            self._repeat += 1
        else:
            self._repeat = 1
        self._last_sig = sig
        if self._repeat >= n:
            what = f"{action.describe()} was repeated {self._repeat} times and the screen did not change"
            if self._loop_escalated or self.config.mode == "single":
                raise Stop(End("failed", f"stuck in a loop: {what}", "stuck"))
            self._loop_escalated = True
            self._cycle_escalated.add(key)
            self._repeat = 0
            self.bus.publish(
                EventType.ESCALATION,
                {"reason": f"The agent may be stuck: {what}.", "kind": "loop"},
                step=step,
            )
            return
        if seen >= n:
            what = f"{action.describe()} was done {seen} times on the same screen"
            if seen >= 2 * n:
                raise Stop(End("failed", f"stuck in a cycle: {what}", "stuck"))
            if key not in self._cycle_escalated and self.config.mode == "multi":
                self._cycle_escalated.add(key)
                self.bus.publish(
                    EventType.ESCALATION,
                    {"reason": f"The agent may be going in circles: {what}.", "kind": "cycle"},
                    step=step,
                )
