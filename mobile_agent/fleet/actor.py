"""One Ray actor per phone, pinned to its host's node: it runs the agent for one task at a time.

The host owns the ADB connection (USB does not travel), so the actor lives on the host's node
(a custom resource only that node has). A replica calls `run(spec)` with the lease's fencing
token; the actor refuses a token it has already seen or a second task while busy, streams the
run's events into the store itself (`EventSink`) and records the end (`FleetStore.finish`)
with the run's result.json and report.html, all fenced: a replica that dies mid-task loses
nothing, and one that is stale cannot make a phone run a task twice. `ping` and `cancel` run in
their own concurrency group, so they answer while a step is in flight. A watchdog ends the actor when its host process is gone.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import ray
from sqlalchemy.exc import SQLAlchemyError

from mobile_agent.api.store import TaskRecord, TaskRow, make_engine
from mobile_agent.api.worker import TaskContext, TaskOutcome, agent_runner, to_outcome
from mobile_agent.bus import Bus, EventType
from mobile_agent.device.base import DeviceError
from mobile_agent.hosts import pid_alive
from mobile_agent.human import HumanTimeout

from .artifacts import run_meta, settle_run_dir
from .human import FleetHumanChannel
from .leases import Fenced, FleetStore
from .sink import EventSink

__all__ = ["PhoneActor", "actor_name"]

log = logging.getLogger(__name__)

NAMESPACE = "mobile-agent"
PREFIX = "phone:"


def actor_name(serial: str) -> str:
    """The phone's actor name in the cluster's namespace (serials are unique across hosts)."""
    return f"{PREFIX}{serial}"


def _artifacts(task: TaskRecord, run_dir: Path, bus: Bus, end: dict[str, Any]) -> list[tuple[str, bytes]]:
    """The run's result.json and report.html, saying the end about to be recorded (none if they
    cannot be made: the end is recorded all the same)."""
    try:
        return settle_run_dir(
            run_dir,
            [e.to_json() for e in bus.log],
            status=end["status"],
            reason=end["reason"] or "",
            error=end["error"],
            meta=run_meta(task),
            finished_at=end["finished_at"],
        )
    except Exception:
        log.exception("task %s: its result.json and report.html could not be made", task.id)
        return []


@ray.remote(num_cpus=0, max_restarts=0, concurrency_groups={"ctl": 4})  # type: ignore[call-overload]
class PhoneActor:
    def __init__(
        self, serial: str, host: str, host_pid: int, adb: tuple[str, int] | None, runs_dir: str
    ) -> None:
        self.serial, self.host, self.adb = serial, host, adb
        self.runs_dir = Path(runs_dir)
        self._token = 0
        self._busy: tuple[str, int] | None = None
        self._cancel: asyncio.Event | None = None
        self._stores: dict[str, FleetStore] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        threading.Thread(target=self._watchdog, args=(host_pid,), daemon=True).start()
        import mobile_agent.agent  # noqa: F401  (loaded now, not in the first task's time)

    @staticmethod
    def _watchdog(host_pid: int) -> None:
        while pid_alive(host_pid):
            time.sleep(0.2)
        os._exit(70)  # the host is gone: its phone (and its sim) with it

    @ray.method(concurrency_group="ctl")
    async def ping(self) -> dict[str, Any]:
        busy = self._busy
        return {
            "serial": self.serial,
            "host": self.host,
            "task_id": busy[0] if busy else None,
            "token": busy[1] if busy else None,
        }

    @ray.method(concurrency_group="ctl")
    async def cancel(self, task_id: str) -> bool:
        busy, cancel, loop = self._busy, self._cancel, self._loop
        if busy is None or busy[0] != task_id or cancel is None or loop is None:
            return False
        loop.call_soon_threadsafe(cancel.set)
        return True

    def _store(self, url: str) -> FleetStore:
        if url not in self._stores:
            self._stores[url] = FleetStore(make_engine(url))
        return self._stores[url]

    async def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Run one leased task; returns {"accepted": bool, "status": ...}."""
        task = TaskRecord(**spec["task"])
        token = int(spec["token"])
        if self._busy is not None or token <= self._token:
            return {"accepted": False, "reason": f"busy with {self._busy} or stale token {token}"}
        self._token, self._busy = token, (task.id, token)
        self._loop, self._cancel = asyncio.get_running_loop(), asyncio.Event()
        try:
            return await self._run(task, token, self._store(spec["db_url"]), spec)
        finally:
            self._busy, self._cancel = None, None

    async def _run(
        self, task: TaskRecord, token: int, store: FleetStore, spec: dict[str, Any]
    ) -> dict[str, Any]:
        cancel = self._cancel
        assert cancel is not None
        sink = EventSink(
            store,
            self.serial,
            task.id,
            token,
            capacity=int(spec.get("buffer_events", 10_000)),
            on_overflow=cancel.set,
        ).start()
        bus = Bus()
        unsubscribe = bus.subscribe(sink.put)
        human_timeout_s = float(spec.get("human_timeout_s") or 600.0)
        ctx = TaskContext(
            task=task,
            serial=self.serial,
            bus=bus,
            out_dir=self.runs_dir / task.id,
            human=FleetHumanChannel(
                store, self.serial, task.id, token, timeout_s=human_timeout_s, cancel=cancel
            ),
            human_timeout_s=human_timeout_s,
            cancel=cancel,
            max_steps=task.max_steps,
            max_seconds=task.max_seconds,
            adb_server=self.adb,
        )
        try:
            outcome = to_outcome(await asyncio.wait_for(agent_runner(ctx), task.max_seconds + 30))
        except TimeoutError:
            outcome = TaskOutcome("failed", reason=f"time budget of {task.max_seconds:g} s exceeded")
        except HumanTimeout as exc:
            outcome = TaskOutcome("failed", reason=f"waiting for a human: {exc}", error="human_timeout")
        except DeviceError as exc:
            outcome = TaskOutcome(
                "failed", reason=f"device {self.serial} failed: {exc}", error="device_error"
            )
        except Exception as exc:
            log.exception("task %s crashed", task.id)
            outcome = TaskOutcome("failed", reason=f"{type(exc).__name__}: {exc}", error="internal")
        if sink.overflowed:
            outcome = TaskOutcome(
                "failed",
                reason=f"the task store was unreachable and {sink.capacity} events waited for it: the task "
                f"was stopped (no event was dropped) ({sink.store_error})",
                error="store_unavailable",
                steps=outcome.steps,
            )
        elif spec.get("cancel_requested") or (cancel.is_set() and outcome.status != "succeeded"):
            outcome.status, outcome.reason = "cancelled", "cancelled by request"
        steps = outcome.steps or bus.state.step
        data = {"status": outcome.status, "reason": outcome.reason, "answer": outcome.answer, "steps": steps}
        if not any(e.type == EventType.TASK_FINISHED for e in bus.log) and not bus.closed:
            bus.publish(EventType.TASK_FINISHED, data)
        unsubscribe()
        await sink.close()
        if sink.fenced is not None:
            return {"accepted": True, "status": "fenced", "reason": str(sink.fenced)}
        values = {
            "status": outcome.status,
            "reason": outcome.reason,
            "answer": outcome.answer,
            "steps": steps,
            "finished_at": time.time(),
            "timings": outcome.timings,
            "usage": outcome.usage,
            "claimed_success": outcome.claimed_success,
            "error": outcome.error,
            "pending_request": None,
        }
        if "output" in TaskRow.__table__.columns:  # structured answers, where the store has them
            values["output"] = getattr(outcome, "output", None)
        artifacts = await asyncio.to_thread(_artifacts, task, ctx.out_dir, bus, values)
        while True:  # the end is recorded once the store answers (or the lease was revoked)
            try:
                await asyncio.to_thread(
                    store.finish, self.serial, task.id, token, artifacts=artifacts, **values
                )
                break
            except Fenced as exc:
                return {"accepted": True, "status": "fenced", "reason": str(exc)}
            except (SQLAlchemyError, OSError):
                await asyncio.sleep(0.5)
        return {"accepted": True, "status": outcome.status, "reason": outcome.reason, "steps": steps}
