"""Scripted responders for the stub server: answers replayed in order, per role, or the answers
of a recorded run (a test instrument)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from mobile_agent.eventlog import recorded_answers
from mobile_agent.testing.stub_server import ChatRequest

__all__ = ["Answer", "ScriptExhausted", "ScriptedResponder", "load_recorded_run"]


class ScriptExhausted(RuntimeError):
    """A scripted role was asked for more answers than it was given."""


Answer = str | Callable[[ChatRequest], str]


class ScriptedResponder:
    """Replays answers in order, per role (Reflector and Notetaker are called concurrently).

    `answers` is a list (one queue for every request) or a dict role -> list; the key "*" (or
    None) is the queue for any role without its own. An entry may be a string or a callable
    of the request. Running out raises `ScriptExhausted` naming the role and how many it had.
    """

    def __init__(self, answers: dict[str | None, list[Answer]] | list[Answer]) -> None:
        if isinstance(answers, list):
            answers = {"*": answers}
        self._queues: dict[str, list[Answer]] = {str(k or "*").lower(): list(v) for k, v in answers.items()}
        self._given: dict[str, int] = {k: len(v) for k, v in self._queues.items()}
        self._lock = threading.Lock()
        self.log: list[tuple[str | None, str]] = []  # (role, answer) in the order given

    def remaining(self) -> dict[str, int]:
        """How many answers are left per queue."""
        with self._lock:
            return {k: len(v) for k, v in self._queues.items()}

    def __call__(self, request: ChatRequest) -> str:
        key = request.role if request.role in self._queues else "*"
        with self._lock:
            queue = self._queues.get(key)
            if not queue:
                given = self._given.get(key, 0)
                who = f"role {request.role!r}" if key != "*" else f"the shared script (role {request.role!r})"
                raise ScriptExhausted(
                    f"scripted answers for {who} exhausted after {given} answer(s); "
                    f"queues left: {self._remaining_unlocked()}"
                )
            entry = queue.pop(0)
        answer = entry(request) if callable(entry) else entry
        with self._lock:
            self.log.append((request.role, answer))
        return answer

    def _remaining_unlocked(self) -> dict[str, int]:
        return {k: len(v) for k, v in self._queues.items()}


def load_recorded_run(run_dir: str | Path) -> dict[str | None, list[Answer]]:
    """Per-role raw answers of a recorded run (its events.jsonl `model.call` events), in order."""
    return {role: list(answers) for role, answers in recorded_answers(run_dir).items()}
