"""A running task's events on their way into the store: batched, fenced, buffered through outages.

The phone's actor publishes events on its bus; `EventSink.put` queues each one (with its
screenshot) and a background job writes them in batches. When the store is unreachable the
events wait in the buffer and are retried with backoff, in order, until it answers again. The
buffer is bounded: when it fills, `on_overflow` is called once (the actor stops the task, which
then fails saying so) and the few events the stopping task still publishes are kept too, so no
event is ever dropped silently. A fenced write (the lease was revoked: the task was ended as
`host_lost` elsewhere) ends the sink: nothing more of this run may reach the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from mobile_agent.bus import Event, EventType

from .leases import Fenced, FleetStore

__all__ = ["EventSink"]

log = logging.getLogger(__name__)


class EventSink:
    """Ordered, batched, retried writes of one task's events (one per running task)."""

    def __init__(
        self,
        store: FleetStore,
        serial: str,
        task_id: str,
        token: int,
        *,
        capacity: int = 10_000,
        on_overflow: Callable[[], None] | None = None,
        batch: int = 200,
    ) -> None:
        self.store, self.serial, self.task_id, self.token = store, serial, task_id, token
        self.capacity = capacity
        self.on_overflow = on_overflow
        self.batch = batch
        self._buffer: deque[tuple[dict[str, Any], list[tuple[str, bytes]]]] = deque()
        self._wake = asyncio.Event()
        self._job: asyncio.Task[None] | None = None
        self.overflowed = False
        self.fenced: Fenced | None = None
        self.store_error: str | None = None  # the last store error while it is down
        self.written = 0

    def start(self) -> EventSink:
        self._job = asyncio.create_task(self._loop(), name=f"sink-{self.task_id}")
        return self

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def put(self, event: Event) -> None:
        """Queue one bus event (a bus subscriber: called synchronously, never blocks)."""
        if self.fenced is not None:
            return
        blobs: list[tuple[str, bytes]] = []
        png = event.blobs.get("png") if event.type == EventType.SCREEN else None
        if png is not None and event.data.get("file"):
            blobs.append((str(event.data["file"]), png))
        self._buffer.append((event.to_json(), blobs))
        if len(self._buffer) >= self.capacity and not self.overflowed:
            self.overflowed = True
            log.error("task %s: %d events wait for the store; stopping the task", self.task_id, self.capacity)
            if self.on_overflow is not None:
                self.on_overflow()
        self._wake.set()

    async def drain(self) -> None:
        """Return once every queued event is in the store (waits through an outage) or fenced."""
        while self._buffer and self.fenced is None:
            self._wake.set()
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        await self.drain()
        if self._job is not None:
            self._job.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._job

    async def _loop(self) -> None:
        backoff = 0.1
        while True:
            if not self._buffer:
                self._wake.clear()
                await self._wake.wait()
                continue
            items = [self._buffer[i] for i in range(min(self.batch, len(self._buffer)))]
            events = [e for e, _ in items]
            blobs = [b for _, bs in items for b in bs]
            try:
                await asyncio.to_thread(
                    self.store.write_events, self.serial, self.task_id, self.token, events, blobs
                )
            except Fenced as exc:
                self.fenced = exc
                self._buffer.clear()
                log.warning("task %s: %s; its remaining events are not written", self.task_id, exc)
                return
            except (SQLAlchemyError, OSError) as exc:
                self.store_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                await asyncio.sleep(backoff)
                backoff = min(2.0, backoff * 2)
                continue
            backoff = 0.1
            self.store_error = None
            for _ in items:
                self._buffer.popleft()
            self.written += len(items)
