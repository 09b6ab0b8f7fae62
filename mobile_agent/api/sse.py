"""The task event stream: replay from the store or the live bus, then live events, as SSE.

While a task runs its bus holds the whole log in memory, so a reader streams from the bus;
once it has ended (or before it starts, or after a restart) the store holds every event. The
scheduler flushes a task's events to the store before it drops the bus, so switching from one
source to the other never loses or repeats an event. The stream ends after `task.finished`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from mobile_agent.bus import EventType

from .scheduler import Scheduler
from .store import TERMINAL, TaskStore


async def task_events(
    task_id: str, store: TaskStore, scheduler: Scheduler, after_seq: int = 0, poll_s: float = 1.0
) -> AsyncIterator[dict[str, Any]]:
    """Events of one task with seq > after_seq (JSON form), ending with task.finished."""
    after = after_seq
    while True:
        bus = scheduler.live_bus(task_id)
        if bus is not None:
            async for event in bus.stream(after):
                yield event.to_json()
                after = event.seq
                if event.type == EventType.TASK_FINISHED:
                    return
        task = await store.run(store.get_task, task_id)
        rows = await store.run(store.events, task_id, after)
        for row in rows:
            yield row
            after = row["seq"]
            if row["type"] == EventType.TASK_FINISHED:
                return
        if task is None or task.status in TERMINAL:
            return
        live = scheduler.live_bus(task_id)
        if live is None or live.closed:  # not started yet, or ending: wait for the scheduler
            await scheduler.wait_change(poll_s)


def to_sse(event: dict[str, Any]) -> dict[str, Any]:
    """One SSE message: id = seq (for Last-Event-ID), data = the event as JSON."""
    return {"id": str(event["seq"]), "data": json.dumps(event, ensure_ascii=False, separators=(",", ":"))}


async def sse_messages(
    task_id: str, store: TaskStore, scheduler: Scheduler, after_seq: int = 0
) -> AsyncIterator[dict[str, Any]]:
    async for event in task_events(task_id, store, scheduler, after_seq):
        yield to_sse(event)
