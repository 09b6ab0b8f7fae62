"""Model calls for the loop: usage accounting, `model.call` events, and ONE retry helper.

`ModelCalls.call` times a call (per role, and the step's time with any call in flight),
counts tokens as the response reports them and image tokens as the model's processor would
(`AgentConfig.image_factor`, set once by the serving profile in config). `ModelCalls.ask` is the
retry helper every role goes through: build -> call -> parse, a `parse.error` event per unusable
answer, and the reason fed back into the next attempt's prompt.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mobile_agent.bus import Bus, EventType
from mobile_agent.coords import image_tokens
from mobile_agent.llm.base import ChatModel, ChatResponse, Message, ModelError
from mobile_agent.loop.result import Meter
from mobile_agent.roles.parsing import ParseFailure

__all__ = ["Asked", "ModelCalls"]

R = TypeVar("R")


@dataclass(frozen=True)
class Asked(Generic[R]):
    """What `ModelCalls.ask` got: the accepted result, or None and the last reason it was refused."""

    result: R | None
    reason: str


class ModelCalls:
    """The loop's model calls: which model serves a role, and what every call cost."""

    def __init__(self, models: dict[str, ChatModel], bus: Bus, meter: Meter, *, image_factor: int) -> None:
        self.models = models
        self.bus = bus
        self.meter = meter
        self.image_factor = image_factor
        self.usage: dict[str, dict[str, int]] = {}
        self.image_tokens = 0
        self.server_image_tokens: int | None = None

    def model(self, role: str) -> ChatModel:
        model = self.models.get(role) or self.models.get("worker") or self.models.get("default")
        if model is None:
            raise ModelError(f"no model configured for the {role} role")
        return model

    async def call(self, role: str, messages: list[Message], step: int) -> ChatResponse:
        """One model call for `role`, timed and counted, published as a `model.call` event."""
        model = self.model(role)
        clock = self.meter.clock
        t0 = time.perf_counter()
        clock.call_started()
        try:
            response = await model.chat(messages)
        finally:
            clock.call_ended()
        latency = time.perf_counter() - t0
        clock.model_s[role] = clock.model_s.get(role, 0.0) + latency
        self.meter.totals.add_model(role, latency)
        images = [im for m in messages for im in m.images()]
        img_tokens = sum(image_tokens(im.height, im.width, self.image_factor) for im in images)
        self.image_tokens += img_tokens
        prompt_tokens, completion_tokens = response.usage.prompt_tokens, response.usage.completion_tokens
        u = self.usage.setdefault(
            role, {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "image_tokens": 0}
        )
        if response.server_image_tokens is not None:  # what the server counted, beside our estimate
            u["server_image_tokens"] = u.get("server_image_tokens", 0) + response.server_image_tokens
            self.server_image_tokens = (self.server_image_tokens or 0) + response.server_image_tokens
        u["calls"] += 1
        u["prompt_tokens"] += prompt_tokens
        u["completion_tokens"] += completion_tokens
        u["image_tokens"] += img_tokens
        self.bus.publish(
            EventType.MODEL_CALL,
            {
                "role": role,
                "model": response.model or getattr(model, "name", ""),
                "latency_s": round(latency, 4),
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "image_tokens": img_tokens,
                "images": len(images),
                "usage_from_server": response.usage_from_server,
                "server_image_tokens": response.server_image_tokens,
                "raw": response.text,
            },
            step=step,
            role=role,
        )
        return response

    def parse_error(self, step: int, failure: ParseFailure, attempt: int) -> None:
        self.bus.publish(
            EventType.PARSE_ERROR,
            {"role": failure.role, "raw": failure.raw, "reason": failure.reason, "attempt": attempt},
            step=step,
            role=failure.role,
        )

    async def ask(
        self,
        role: str,
        step: int,
        attempts: int,
        build: Callable[[str], list[Message]],
        parse: Callable[[str], R | ParseFailure],
        accept: Callable[[R], Awaitable[str]] | None = None,
    ) -> Asked[R]:
        """Up to `attempts` calls until an answer parses and `accept` has no objection.

        `build(note)` makes the messages ('' on the first attempt, else why the last answer
        could not be used); `accept(result)` returns '' to take the result or the reason to ask
        again (a refused action). Each unparsable answer is a `parse.error` event.
        """
        note = ""
        for attempt in range(1, attempts + 1):
            response = await self.call(role, build(note), step)
            result = parse(response.text)
            if isinstance(result, ParseFailure):
                self.parse_error(step, result, attempt)
                note = result.reason
                continue
            refusal = await accept(result) if accept is not None else ""
            if refusal:
                note = refusal
                continue
            return Asked(result, "")
        return Asked(None, note)

    def summary(self) -> dict[str, Any]:
        """The run's `usage`: per role, totals, calls and image tokens (our estimate, and the server's
        own count where it reported one: vLLM counts the image tokens it really saw)."""
        summary: dict[str, Any] = {
            "per_role": self.usage,
            "prompt_tokens": sum(u["prompt_tokens"] for u in self.usage.values()),
            "completion_tokens": sum(u["completion_tokens"] for u in self.usage.values()),
            "calls": sum(u["calls"] for u in self.usage.values()),
            "image_tokens": self.image_tokens,
        }
        if self.server_image_tokens is not None:
            summary["server_image_tokens"] = self.server_image_tokens
        return summary
