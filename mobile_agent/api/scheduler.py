"""The scheduler: a FIFO queue of tasks, device leases, one asyncio job per running task.

A task that names a device waits for that device; any other task takes the first free one, in
submission order. Every event a running task publishes is persisted (`EventWriter`) as it comes,
so the live stream can be replayed from the store after the task ends or the server restarts.
On start the scheduler takes the store (one server per store, see `owner`); tasks the previous
server left running are finished as `interrupted` with their result rebuilt from the run's event
log (see `recovery`), and queued ones are queued again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mobile_agent.bus import Bus, EventType
from mobile_agent.device.base import DeviceError
from mobile_agent.human import HumanTimeout

from .devices import DevicePool
from .human import ApiHumanChannel, NoPendingRequest
from .owner import StoreOwner
from .recovery import mark_interrupted, recover_task
from .settings import ApiSettings
from .store import ACTIVE, TaskRecord, TaskStore
from .worker import TaskContext, TaskOutcome, TaskRunner, to_outcome

log = logging.getLogger(__name__)

DEVICE_ERRORS = ("device_disconnected", "device_not_found", "device_error")
INTERRUPTED_REASON = "the server stopped while this task was running; its trajectory is kept"


class EventWriter:
    """Persists bus events in batches from one background job, off the event loop thread."""

    def __init__(self, store: TaskStore) -> None:
        self.store = store
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._job: asyncio.Task[None] | None = None
        self.written = 0

    def start(self) -> None:
        self._job = asyncio.create_task(self._loop(), name="event-writer")

    def put(self, task_id: str, event: dict[str, Any]) -> None:
        self._queue.put_nowait((task_id, event))

    async def flush(self) -> None:
        """Return when every event put so far is in the store."""
        await self._queue.join()

    async def stop(self) -> None:
        if self._job is None:
            return
        await self.flush()
        self._job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._job
        self._job = None

    def _write(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for task_id, event in batch:
            by_task[task_id].append(event)
        for task_id, events in by_task.items():
            try:
                self.store.add_events(task_id, events)
                self.written += len(events)
            except Exception:
                log.exception("could not persist %d events of task %s", len(events), task_id)

    async def _loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < 1000:
                batch.append(self._queue.get_nowait())
            try:
                await self.store.run(self._write, batch)
            finally:
                for _ in batch:
                    self._queue.task_done()


@dataclass
class Running:
    task_id: str
    serial: str
    bus: Bus
    cancel: asyncio.Event
    human: ApiHumanChannel
    job: asyncio.Task[None] | None = None
    cancel_requested: bool = False


class Scheduler:
    """Queue, leases and task jobs; all state is touched on the event loop thread only."""

    def __init__(
        self,
        store: TaskStore,
        pool: DevicePool,
        settings: ApiSettings,
        runner: TaskRunner,
        *,
        owner: StoreOwner | None = None,
    ) -> None:
        self.store = store
        # the store's lease: `serve` takes it before the app is built, else start(); stop() gives it back
        self.owner = owner
        self.pool = pool
        self.settings = settings
        self.runner = runner
        self.writer = EventWriter(store)
        self.running: dict[str, Running] = {}
        self._queue: list[TaskRecord] = []
        self._change = asyncio.Event()
        self._stopping = False
        self._refresher: asyncio.Task[None] | None = None
        self.runs_dir = settings.runs_dir.resolve()

    # lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Take the store (StoreBusy if another server holds it: then nothing is written), recover
        what the last server left, and start dispatching."""
        if self.owner is None:
            self.owner = await asyncio.to_thread(StoreOwner(self.store.url).acquire)
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
            self.writer.start()
            await self.recover()
            self.pool.on_change(self.dispatch)
            await self.pool.refresh()
        except BaseException:
            await self.writer.stop()
            await asyncio.to_thread(self.owner.release)
            self.owner = None
            raise
        self._refresher = asyncio.create_task(self._refresh_loop(), name="device-refresh")
        self.dispatch()

    async def recover(self) -> None:
        """Finish what the last server left running as interrupted, with its result rebuilt from
        its event log (result.json, report.html, steps, timings, usage); queue what it left queued."""
        for rec in await self.store.run(self.store.tasks_with_status, ACTIVE):
            try:
                await asyncio.to_thread(recover_task, self.store, rec, self.runs_dir, INTERRUPTED_REASON)
            except Exception:
                log.exception("could not rebuild the result of task %s; marking it interrupted", rec.id)
                await self.store.run(mark_interrupted, self.store, rec.id, INTERRUPTED_REASON)
        self._queue = await self.store.run(self.store.tasks_with_status, ["queued"])

    async def stop(self) -> None:
        """Stop every job; tasks still running are recorded as interrupted."""
        self._stopping = True
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        jobs = [r.job for r in self.running.values() if r.job is not None]
        for r in self.running.values():
            r.cancel.set()
        for job in jobs:
            job.cancel()
        if jobs:
            await asyncio.gather(*jobs, return_exceptions=True)
        await self.writer.stop()
        self.notify()
        if self.owner is not None:  # last: nothing of this server writes to the store after it
            await asyncio.to_thread(self.owner.release)
            self.owner = None

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.device_refresh_s)
            try:
                await self.pool.refresh()
            except Exception:
                log.exception("device refresh failed")

    # change notification (SSE waiters, the viewer's list) ---------------------------------

    def notify(self) -> None:
        self._change.set()
        self._change = asyncio.Event()

    async def wait_change(self, wait_s: float) -> None:
        """Return at the next task/device change, or after `wait_s` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._change.wait(), wait_s)

    # queries -----------------------------------------------------------------------------

    def queued_ids(self) -> list[str]:
        return [t.id for t in self._queue]

    def live_bus(self, task_id: str) -> Bus | None:
        r = self.running.get(task_id)
        return r.bus if r else None

    # commands ----------------------------------------------------------------------------

    def submit(self, task: TaskRecord) -> None:
        self._queue.append(task)
        self.notify()
        self.dispatch()

    def dispatch(self) -> None:
        """Give free devices to queued tasks, oldest first (synchronous: no double lease)."""
        if self._stopping:
            return
        for task in list(self._queue):
            dev = self.pool.free(task.device)
            if dev is None:
                continue
            self.pool.lease(dev.serial, task.id)
            self._queue.remove(task)
            self._start(task, dev.serial)

    def _start(self, task: TaskRecord, serial: str) -> None:
        cancel = asyncio.Event()

        async def set_status(status: str, pending: dict[str, Any] | None) -> None:
            await self.store.run(
                self.store.update_task,
                task.id,
                only_if_status=ACTIVE,
                status=status,
                pending_request=pending,
            )
            self.notify()

        human = ApiHumanChannel(
            task.id, set_status=set_status, timeout_s=self.settings.human_timeout_s, cancel=cancel
        )
        running = Running(task.id, serial, Bus(), cancel, human)
        self.running[task.id] = running
        running.job = asyncio.create_task(self._run(running, task), name=f"task-{task.id}")

    async def cancel(self, task_id: str) -> str | None:
        """Cancel a queued task now, or ask a running one to stop; None if it is not active."""
        for task in self._queue:
            if task.id == task_id:
                self._queue.remove(task)
                await self.store.run(self.store.cancel_queued, task_id)
                self.notify()
                return "cancelled"
        running = self.running.get(task_id)
        if running is None:
            return None
        running.cancel_requested = True
        running.cancel.set()
        job = running.job
        if job is not None:
            asyncio.get_running_loop().call_later(
                self.settings.cancel_grace_s, lambda: None if job.done() else job.cancel()
            )
        return "cancelling"

    async def reply(self, task_id: str, text: str, approve: bool | None) -> None:
        running = self.running.get(task_id)
        if running is None:
            raise NoPendingRequest(f"task {task_id} is not running")
        running.human.reply(text, approve)

    # one task ----------------------------------------------------------------------------

    def _relative_run_dir(self, path: Path | None, task_id: str) -> str:
        if path is None:
            return task_id
        try:
            return str(Path(path).resolve().relative_to(self.runs_dir))
        except ValueError:
            return str(path)

    async def _run(self, running: Running, task: TaskRecord) -> None:
        task_id, serial, bus = task.id, running.serial, running.bus
        out_dir = self.runs_dir / task_id
        started = time.time()
        try:
            claimed = await self.store.run(
                self.store.update_task,
                task_id,
                only_if_status=["queued"],
                status="running",
                assigned_device=serial,
                started_at=started,
                run_dir=task_id,
            )
        except Exception:  # the store is down: give the device back, leave the task queued in it
            log.exception("could not start task %s", task_id)
            claimed = False
        if not claimed:  # cancelled (or finished by another server) in the meantime
            self.running.pop(task_id, None)
            self.pool.release(serial, task_id)
            self.notify()
            return
        unsubscribe = bus.subscribe(lambda ev: self.writer.put(task_id, ev.to_json()))
        self.notify()
        ctx = TaskContext(
            task=task,
            serial=serial,
            bus=bus,
            out_dir=out_dir,
            human=running.human,
            cancel=running.cancel,
            max_steps=task.max_steps,
            max_seconds=task.max_seconds,
            human_timeout_s=self.settings.human_timeout_s,
            adb_server=(self.settings.adb_host, self.settings.adb_port),
            cache_dir=self.settings.cache_dir,
        )
        healthy: bool | None = None
        try:
            result = await asyncio.wait_for(
                self.runner(ctx), timeout=task.max_seconds + self.settings.cancel_grace_s
            )
            outcome = to_outcome(result)
        except TimeoutError:
            outcome = TaskOutcome(
                "failed", reason=f"time budget of {task.max_seconds:g} s exceeded and the task did not stop"
            )
        except asyncio.CancelledError:
            if self._stopping:
                outcome = TaskOutcome("interrupted", reason=INTERRUPTED_REASON)
            else:
                outcome = TaskOutcome("cancelled", reason="cancelled: the task did not stop in time")
        except HumanTimeout as exc:
            outcome = TaskOutcome("failed", reason=f"waiting for a human: {exc}", error="human_timeout")
        except DeviceError as exc:
            healthy = False
            outcome = TaskOutcome(
                "failed", reason=f"device {serial} failed: {type(exc).__name__}: {exc}", error="device_error"
            )
        except Exception as exc:
            log.exception("task %s crashed", task_id)
            outcome = TaskOutcome("failed", reason=f"{type(exc).__name__}: {exc}", error="internal")
        if outcome.error in DEVICE_ERRORS:
            healthy = False
        if running.cancel_requested and outcome.status not in ("succeeded", "cancelled"):
            outcome.status = "cancelled"
            outcome.reason = (
                f"cancelled by request ({outcome.reason})" if outcome.reason else "cancelled by request"
            )
        if outcome.status not in ("succeeded", "cancelled", "interrupted") and healthy is None:
            try:
                healthy = await asyncio.wait_for(self.pool.probe(serial), 15)
            except (TimeoutError, Exception):
                healthy = False
            if not healthy:
                outcome.reason = (
                    f"device {serial} stopped answering (disconnected?): {outcome.reason or ''}".rstrip(": ")
                )
        steps = outcome.steps or bus.state.step
        finished = time.time()
        data = {"status": outcome.status, "reason": outcome.reason, "answer": outcome.answer, "steps": steps}
        has_finished = any(e.type == EventType.TASK_FINISHED for e in bus.log)
        if not has_finished and not bus.closed:
            bus.publish(EventType.TASK_FINISHED, data)
            has_finished = True
        unsubscribe()
        await self.writer.flush()
        if not has_finished:
            await self.store.run(self.store.append_event, task_id, EventType.TASK_FINISHED, data)
        await self.store.run(
            self.store.update_task,
            task_id,
            status=outcome.status,
            reason=outcome.reason,
            answer=outcome.answer,
            steps=steps,
            finished_at=finished,
            timings=outcome.timings,
            usage=outcome.usage,
            claimed_success=outcome.claimed_success,
            error=outcome.error,
            output=outcome.output,
            run_dir=self._relative_run_dir(outcome.run_dir, task_id),
            pending_request=None,
        )
        self.running.pop(task_id, None)
        if not bus.closed:
            bus.close()
        self.pool.release(
            serial,
            task_id,
            healthy=healthy is not False,
            error=None if healthy is not False else outcome.reason,
        )
        self.notify()
