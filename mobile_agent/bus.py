"""The shared memory bus: typed shared state, an append-only event log, and subscribers.

Every write is an event. The roles never mutate shared state directly: they publish events,
and `MemoryState` is the fold of the log (`reduce`). The trajectory recorder, the CLI progress
view and the HTTP API's live stream are all just subscribers of the same log, so they can never
disagree about what happened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, Field


class EventType:
    """Names of the events on the bus (the `type` field). Payload keys are listed beside each."""

    TASK_STARTED = "task.started"  # instruction, mode, device, model, max_steps, knowledge
    STEP_STARTED = "step.started"  # (step)
    SCREEN = "screen.captured"  # phase ("before"|"after"), file, width, height; blobs["png"]
    UI_TREE = "screen.tree"  # phase ("before"), file (steps/NNN-before.xml); blobs["xml"] (for replay)
    MODEL_CALL = "model.call"  # role, model, latency_s, prompt_tokens, completion_tokens, raw
    PARSE_ERROR = "role.parse_error"  # role, raw, reason, attempt
    PLAN = "plan.updated"  # thought, completed, plan (list[str]), subgoal, finished
    ACTION_PROPOSED = "action.proposed"  # thought, action (dict), description
    ACTION_EXECUTED = "action.executed"  # action, device_points, duration_s
    ACTION_FAILED = "action.failed"  # action, error
    SCREEN_DIFF = "screen.diff"  # changed (bool), diff (0..1)
    REFLECTION = "reflection"  # outcome ("A"|"B"|"C"), error, thought
    NOTES = "notes.updated"  # notes
    ESCALATION = "escalation"  # reason
    HUMAN_REQUESTED = "human.requested"  # kind ("question"|"confirm"), prompt, action
    HUMAN_REPLIED = "human.replied"  # text, approved
    ANSWER = "answer"  # text
    STEP_FINISHED = "step.finished"  # outcome, changed, diff, timings (model_s per role, device_s, settle_s)
    TASK_FINISHED = "task.finished"  # status, reason, answer, steps
    ERROR = "error"  # where, message


class Event(BaseModel):
    """One entry of the log. `blobs` (screenshots) travel in memory only, never in JSON."""

    seq: int
    ts: float
    type: str
    step: int | None = None
    role: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    blobs: dict[str, bytes] = Field(default_factory=dict, exclude=True, repr=False)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class HistoryEntry:
    """One executed step as the roles see it later."""

    step: int
    action: dict[str, Any]
    description: str
    outcome: str = ""  # "A", "B", "C" or "" before reflection
    error: str = ""
    thought: str = ""


@dataclass(frozen=True)
class MemoryState:
    """The shared memory (Mobile-Agent-v3's InfoPool), immutable: a role reads a snapshot."""

    instruction: str = ""
    knowledge: str = ""
    mode: str = "multi"
    plan: tuple[str, ...] = ()
    completed: str = ""
    subgoal: str = ""
    finished: bool = False
    history: tuple[HistoryEntry, ...] = ()
    notes: str = ""
    last_thought: str = ""
    last_action: dict[str, Any] | None = None
    last_description: str = ""
    escalate: bool = False
    escalation_reason: str = ""
    consecutive_failures: int = 0
    human_replies: tuple[str, ...] = ()
    answer: str | None = None
    status: str = "running"
    step: int = 0

    def recent(self, n: int = 5) -> tuple[HistoryEntry, ...]:
        return self.history[-n:] if n > 0 else ()


def reduce(state: MemoryState, event: Event) -> MemoryState:
    """Fold one event into the state. Unknown event types leave it unchanged."""
    d = event.data
    t = event.type
    if t == EventType.TASK_STARTED:
        return replace(
            state,
            instruction=d.get("instruction", ""),
            knowledge=d.get("knowledge", "") or "",
            mode=d.get("mode", state.mode),
        )
    if t == EventType.STEP_STARTED:
        return replace(state, step=event.step or state.step + 1)
    if t == EventType.PLAN:
        return replace(
            state,
            plan=tuple(d.get("plan", state.plan)),
            completed=d.get("completed", state.completed),
            subgoal=d.get("subgoal", state.subgoal),
            finished=bool(d.get("finished", False)),
            escalate=False,
            escalation_reason="",
        )
    if t == EventType.ACTION_PROPOSED:
        return replace(
            state,
            last_thought=d.get("thought", ""),
            last_action=d.get("action"),
            last_description=d.get("description", ""),
        )
    if t in (EventType.ACTION_EXECUTED, EventType.ACTION_FAILED):
        entry = HistoryEntry(
            step=event.step or state.step,
            action=d["action"] if "action" in d else (state.last_action or {}),
            description=state.last_description,
            outcome="C" if t == EventType.ACTION_FAILED else "",
            error=d.get("error", "") if t == EventType.ACTION_FAILED else "",
            thought=state.last_thought,
        )
        failures = (
            state.consecutive_failures + 1 if t == EventType.ACTION_FAILED else state.consecutive_failures
        )
        return replace(state, history=(*state.history, entry), consecutive_failures=failures)
    if t == EventType.REFLECTION:
        outcome = d.get("outcome", "")
        history = state.history
        if history and history[-1].step == (event.step or state.step):
            history = (*history[:-1], replace(history[-1], outcome=outcome, error=d.get("error", "")))
        failures = 0 if outcome == "A" else state.consecutive_failures + 1
        return replace(state, history=history, consecutive_failures=failures)
    if t == EventType.NOTES:
        return replace(state, notes=d.get("notes", ""))
    if t == EventType.ESCALATION:
        return replace(state, escalate=True, escalation_reason=d.get("reason", ""))
    if t == EventType.HUMAN_REPLIED:
        text = d.get("text", "")
        return replace(state, human_replies=(*state.human_replies, text)) if text else state
    if t == EventType.ANSWER:
        return replace(state, answer=d.get("text"))
    if t == EventType.TASK_FINISHED:
        answer = d.get("answer", state.answer)
        return replace(state, status=d.get("status", "failed"), answer=answer)
    return state


Subscriber = Callable[[Event], None]


@dataclass
class Bus:
    """Append-only log + derived state + ordered fan-out to subscribers.

    Subscribers are called synchronously, in publish order, inside `publish`; a subscriber that
    raises is reported once as an `error` event and dropped, so one broken consumer cannot stop
    the run. `stream()` gives async consumers the log from any sequence number, then live events.
    """

    reducer: Callable[[MemoryState, Event], MemoryState] = reduce
    log: list[Event] = field(default_factory=list)
    _state: MemoryState = field(default_factory=MemoryState)
    _subscribers: list[Subscriber] = field(default_factory=list)
    _waiters: list[asyncio.Queue[Event | None]] = field(default_factory=list)
    _closed: bool = False

    @property
    def state(self) -> MemoryState:
        """The current snapshot (immutable; safe to hand to a role)."""
        return self._state

    @property
    def closed(self) -> bool:
        return self._closed

    def publish(
        self,
        type: str,
        data: dict[str, Any] | None = None,
        *,
        step: int | None = None,
        role: str | None = None,
        blobs: dict[str, bytes] | None = None,
    ) -> Event:
        if self._closed:
            raise RuntimeError("the bus is closed; the run has ended")
        event = Event(
            seq=len(self.log) + 1,
            ts=time.time(),
            type=type,
            step=step,
            role=role,
            data=data or {},
            blobs=blobs or {},
        )
        self.log.append(event)
        self._state = self.reducer(self._state, event)
        for sub in list(self._subscribers):
            try:
                sub(event)
            except Exception as exc:  # a broken consumer must not end the run
                self._subscribers.remove(sub)
                self.publish(EventType.ERROR, {"where": f"subscriber {sub!r}", "message": repr(exc)})
        for queue in self._waiters:
            queue.put_nowait(event)
        return event

    def subscribe(self, subscriber: Subscriber, *, replay: bool = False) -> Callable[[], None]:
        """Register a callback; with `replay`, it first receives the events already logged."""
        if replay:
            for event in self.log:
                subscriber(event)
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber) if subscriber in self._subscribers else None

    async def stream(self, after_seq: int = 0) -> AsyncIterator[Event]:
        """Events with seq > after_seq: first those logged, then live ones until `close()`."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._waiters.append(queue)
        try:
            for event in list(self.log):
                if event.seq > after_seq:
                    yield event
                    after_seq = event.seq
            if self._closed:
                return
            while True:
                item = await queue.get()
                if item is None:
                    return
                if item.seq > after_seq:
                    yield item
                    after_seq = item.seq
        finally:
            self._waiters.remove(queue)

    def close(self) -> None:
        """End live streams (the log stays readable)."""
        self._closed = True
        for queue in self._waiters:
            queue.put_nowait(None)
