"""The roles' turns in a step, each through the one retry helper (`ModelCalls.ask`).

Manager: plan (an unparsable answer keeps the previous plan; with none the run ends). Worker or
single mode: one proposed action, refused by the policy or a person -> asked again with the
reason. Reflector and Notetaker: their verdict and notes, or None when unusable.
"""

from __future__ import annotations

from typing import Any

from mobile_agent.actions import Answer
from mobile_agent.bus import Bus, EventType
from mobile_agent.config import AgentConfig
from mobile_agent.llm.base import ImagePart, Message, TextPart
from mobile_agent.loop.guards import Approval
from mobile_agent.loop.models import Asked, ModelCalls
from mobile_agent.loop.observe import Screen
from mobile_agent.loop.result import End, Stop
from mobile_agent.output import OutputInvalid, OutputSpec
from mobile_agent.roles import common, manager, notetaker, owl15, reflector, single, worker
from mobile_agent.roles.parsing import (
    NotetakerResult,
    ParseFailure,
    ReflectorResult,
    SingleResult,
    WorkerResult,
)

__all__ = ["Roles"]

Proposal = WorkerResult | SingleResult


class Roles:
    """Asks each role for its part of a step and publishes what it said."""

    def __init__(
        self,
        config: AgentConfig,
        bus: Bus,
        calls: ModelCalls,
        approval: Approval,
        output: OutputSpec | None = None,
    ) -> None:
        self.config = config
        self.bus = bus
        self.calls = calls
        self.approval = approval
        self.output = output
        self.output_value: Any = None  # the last answer that matched `output`
        self._output_refusals = 0

    async def plan(self, step: int, screen: Screen) -> None:
        """The Manager's plan, published; `Stop` when it never parses and there is no plan yet."""

        def build(note: str) -> list[Message]:
            return manager.build_messages(self.bus.state, screen.image, screen.frame, retry_note=note)

        asked = await self.calls.ask("manager", step, self.config.manager_retries + 1, build, manager.parse)
        result = asked.result
        if result is None:
            if not self.bus.state.plan:
                raise Stop(
                    End("failed", f"the Manager's answers could not be parsed: {asked.reason}", "parse")
                )
            return  # keep the previous plan and let the Worker go on
        self.bus.publish(
            EventType.PLAN,
            {
                "thought": result.thought,
                "completed": result.completed,
                "plan": list(result.plan),
                "subgoal": result.subgoal,
                "finished": result.finished,
            },
            step=step,
            role="manager",
        )

    async def propose(self, step: int, screen: Screen) -> Proposal | None:
        """Worker (or single-mode) answer, with bounded retries on parse errors and refusals."""
        role = "single" if self.config.mode == "single" else "worker"

        def build(note: str) -> list[Message]:
            state = self.bus.state
            fmt = self.config.prompt_format
            output = self.output.prompt() if self.output is not None else ""
            if role == "single":
                prompts = owl15 if fmt == "gui-owl-1.5" else single
                return prompts.build_messages(
                    state, screen.image, screen.frame, retry_note=note, output=output
                )
            return worker.build_messages(
                state,
                screen.image,
                screen.frame,
                retry_note=note,
                history_len=self.config.history_len,
                prompt_format=fmt,
                output=output,
            )

        def parse(text: str) -> Proposal | ParseFailure:
            return single.parse(text) if role == "single" else worker.parse(text)

        async def accept(result: Proposal) -> str:
            description = result.conclusion if isinstance(result, SingleResult) else result.description
            self.bus.publish(
                EventType.ACTION_PROPOSED,
                {"thought": result.thought, "action": result.action.to_json(), "description": description},
                step=step,
                role=role,
            )
            if self.output is not None and isinstance(result.action, Answer):
                return self._check_output(step, role, result.action.text)
            return await self.approval.check(step, result.action, description, screen)

        attempts = self.config.worker_retries + 1
        if self.output is not None:
            attempts += self.config.output_retries
        asked: Asked[Proposal] = await self.calls.ask(role, step, attempts, build, parse, accept)
        if asked.result is None:
            self.bus.publish(
                EventType.ACTION_FAILED,
                {"action": {}, "error": f"no usable action after {attempts} attempts: {asked.reason}"},
                step=step,
                role=role,
            )
        return asked.result

    def _check_output(self, step: int, role: str, text: str) -> str:
        """'' when the answer matches the output schema (kept in `output_value`); else the reason
        shown to the model on its retry. `Stop` once `output_retries` answers were refused."""
        assert self.output is not None
        try:
            self.output_value = self.output.validate(text)
            return ""
        except OutputInvalid as exc:
            problem = str(exc)
        self._output_refusals += 1
        self.bus.publish(
            EventType.PARSE_ERROR,
            {
                "role": role,
                "raw": text,
                "reason": f"the answer does not match the output schema: {problem}",
                "attempt": self._output_refusals,
                "kind": "output",
            },
            step=step,
            role=role,
        )
        if self._output_refusals > self.config.output_retries:
            raise Stop(
                End(
                    "failed",
                    f"the answer did not match the output schema after {self._output_refusals} tries: {problem}",
                    "invalid_output",
                )
            )
        return (
            f"Your answer does not match the required JSON Schema: {problem}. Answer again with "
            'action "answer" whose text is only the JSON value that matches the schema.'
        )

    async def reflect(self, step: int, before: Screen, after: Screen, diff: float) -> ReflectorResult | None:
        def build(note: str) -> list[Message]:
            msgs = reflector.build_messages(
                self.bus.state, before.image, after.image, after.frame, change=diff
            )
            if note:
                user = msgs[-1]
                text = user.text() + "\n" + common.retry_section(note)
                msgs[-1] = Message("user", [TextPart(text), *(ImagePart(im) for im in user.images())])
            return msgs

        return (await self.calls.ask("reflector", step, 2, build, reflector.parse)).result

    async def note(self, step: int, after: Screen) -> NotetakerResult | None:
        def build(note: str) -> list[Message]:
            return notetaker.build_messages(self.bus.state, after.image, after.frame)

        return (await self.calls.ask("notetaker", step, 1, build, notetaker.parse)).result
