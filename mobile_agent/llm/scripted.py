"""An in-process `ChatModel` that replays answers: unit tests and offline demos, no HTTP.

It is the "scripted" backend of `make_model` (replaying given answers, or a recorded run's).
For tests over the wire use `mobile_agent.testing.StubChatServer` with `OpenAICompatModel`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path

from mobile_agent.coords import image_tokens
from mobile_agent.eventlog import recorded_answers
from mobile_agent.llm.base import ChatResponse, Message, ModelError, Usage
from mobile_agent.llm.request_role import detect_role

__all__ = ["ScriptFn", "ScriptedModel", "role_of"]

ScriptFn = Callable[[list[Message]], "str | Awaitable[str]"]


def role_of(messages: list[Message]) -> str | None:
    """The role a request is for, read as the stub server reads it (`# Role: X` / `mobile_use`)."""
    return detect_role([{"role": m.role, "content": m.text()} for m in messages])


def _estimate_usage(messages: list[Message], answer: str) -> Usage:
    prompt = 0
    for m in messages:
        prompt += sum(image_tokens(im.height, im.width) for im in m.images())
        text = m.text()
        prompt += len(text) // 4 if text else 0
    return Usage(prompt_tokens=prompt, completion_tokens=max(1, len(answer) // 4))


class ScriptedModel:
    """Answers from a list (in order), a dict role -> list (per role), or a callable.

    A callable receives the messages and returns the text (sync or async). Running out of
    answers raises `ModelError` naming the role. `calls` keeps every request for assertions.
    """

    def __init__(
        self,
        answers: list[str] | dict[str, list[str]] | ScriptFn,
        name: str = "scripted",
        latency_s: float = 0.0,
    ) -> None:
        self.name = name
        self.latency_s = latency_s
        self._fn: ScriptFn | None = answers if callable(answers) else None
        self._queues: dict[str, list[str]] = {}
        if isinstance(answers, list):
            self._queues = {"*": list(answers)}
        elif isinstance(answers, dict):
            self._queues = {str(k or "*").lower(): list(v) for k, v in answers.items()}
        self.calls: list[list[Message]] = []

    @classmethod
    def from_run(cls, run_dir: str | Path, name: str = "replay") -> ScriptedModel:
        """Replay a recorded run: each role gets its `model.call` answers from events.jsonl, in order."""
        return cls(recorded_answers(run_dir), name=name)

    def remaining(self) -> dict[str, int]:
        return {k: len(v) for k, v in self._queues.items()}

    async def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> ChatResponse:
        self.calls.append(list(messages))
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        if self._fn is not None:
            out = self._fn(messages)
            text = await out if inspect.isawaitable(out) else out
        else:
            role = role_of(messages)
            key = role if role in self._queues else "*"
            queue = self._queues.get(key)
            if not queue:
                raise ModelError(f"scripted model {self.name!r}: no answers left for role {role!r}")
            text = queue.pop(0)
        return ChatResponse(text=str(text), usage=_estimate_usage(messages, str(text)), model=self.name)

    async def aclose(self) -> None:
        return None
