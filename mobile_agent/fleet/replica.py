"""An API replica's scheduler: leases from the store, work on the hosts' phone actors.

It keeps the interface the routes use (`submit`, `cancel`, `queued_ids`, `wait_change`...), but
nothing of a task lives in the replica: the queue is the `tasks` table, a lease is a row lock
(`FleetStore.lease_batch`), and the phone's actor streams events and records the end itself.
So any replica serves any task, and a replica that dies loses nothing.

Two loops per replica:
- dispatch: lease free phones to queued tasks and hand each lease to its phone's actor; a phone
  that refuses (busy, stale token) or cannot be reached gives the task back to the queue.
- monitor: ping every phone actor of the cluster. A phone that answers is `available` (or stays
  leased); one that has not answered for `lost_after_s`, or whose actor died, is `offline`, and
  its task ends `failed` with `host_lost: ...` after the events it streamed (`FleetStore.revoke`,
  which also revokes the fencing token, and rebuilds the task's result.json and report.html from
  what it streamed: the host cannot write them any more). Every replica monitors; the store's row locks make the
  outcome the same whichever gets there first. A lease whose actor never got the task (its
  replica died in between) is queued again after `handoff_grace_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from mobile_agent.api.store import ACTIVE, TaskRecord, TaskStore

from .artifacts import lost_task_artifacts
from .leases import LEASED, OFFLINE, FleetStore, Lease, PhoneRow

__all__ = ["FleetPool", "FleetScheduler"]

log = logging.getLogger(__name__)


class FleetPool:
    """The phones of every host, as the store last saw them (what GET /v1/devices shows)."""

    def __init__(self, fleet: FleetStore, store: TaskStore) -> None:
        self.fleet, self.store = fleet, store
        self._phones: list[PhoneRow] = []

    def devices(self) -> list[PhoneRow]:
        return list(self._phones)

    def get(self, serial: str) -> PhoneRow | None:
        return next((p for p in self._phones if p.serial == serial), None)

    async def refresh(self) -> None:
        self._phones = await self.store.run(self.fleet.phones)


class FleetScheduler:
    def __init__(
        self,
        store: TaskStore,
        fleet: FleetStore,
        pool: FleetPool,
        *,
        db_url: str,
        dispatch_s: float = 0.25,
        monitor_s: float = 1.0,
        ping_timeout_s: float = 2.0,
        lost_after_s: float = 6.0,
        handoff_grace_s: float = 15.0,
        buffer_events: int = 10_000,
        human_timeout_s: float = 600.0,
    ) -> None:
        self.store, self.fleet, self.pool = store, fleet, pool
        self.db_url = db_url
        self.dispatch_s, self.monitor_s = dispatch_s, monitor_s
        self.ping_timeout_s, self.lost_after_s = ping_timeout_s, lost_after_s
        self.handoff_grace_s = handoff_grace_s
        self.buffer_events = buffer_events
        self.human_timeout_s = human_timeout_s
        self.running: dict[str, Any] = {}  # nothing runs in a replica (task_view reads it)
        self._queued: list[str] = []
        self._handles: dict[str, Any] = {}
        self._failing: dict[str, float] = {}
        self._watchers: set[asyncio.Task[None]] = set()
        self._kick = asyncio.Event()
        self._change = asyncio.Event()
        self._jobs: list[asyncio.Task[None]] = []
        self.leases = 0

    # lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        await self._monitor_once()
        self._jobs = [
            asyncio.create_task(self._loop(self._dispatch_once, self.dispatch_s, kick=True), name="dispatch"),
            asyncio.create_task(self._loop(self._monitor_once, self.monitor_s), name="monitor"),
        ]

    async def stop(self) -> None:
        """Stop this replica's loops; the tasks run on in their hosts (and end in the store)."""
        for job in [*self._jobs, *self._watchers]:
            job.cancel()
        await asyncio.gather(*self._jobs, *self._watchers, return_exceptions=True)

    async def _loop(self, step: Any, period: float, kick: bool = False) -> None:
        while True:
            try:
                await step()
            except SQLAlchemyError as exc:
                log.warning("%s: the store is unreachable: %s", step.__name__, str(exc).splitlines()[0])
            except Exception:
                log.exception("%s failed", step.__name__)
            if kick:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._kick.wait(), period)
                self._kick.clear()
            else:
                await asyncio.sleep(period)

    # what the routes use ---------------------------------------------------------------------

    def notify(self) -> None:
        self._change.set()
        self._change = asyncio.Event()

    async def wait_change(self, wait_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._change.wait(), min(wait_s, 0.25))

    def queued_ids(self) -> list[str]:
        return list(self._queued)

    def live_bus(self, task_id: str) -> None:
        return None  # events are read from the store, whichever host runs the task

    def submit(self, task: TaskRecord) -> None:
        self._queued.append(task.id)
        self._kick.set()

    async def reply(self, task_id: str, text: str, approve: bool | None) -> None:
        """Store the reply; the task's phone actor takes it (NoPendingRequest: nothing to answer)."""
        await self.store.run(self.fleet.post_reply, task_id, text, approve)

    async def cancel(self, task_id: str) -> str | None:
        if await self.store.run(self.store.cancel_queued, task_id):
            return "cancelled"
        rec = await self.store.run(self.store.get_task, task_id)
        if rec is None or rec.status not in ACTIVE:
            return None
        phone = next((p for p in await self.store.run(self.fleet.phones) if p.task_id == task_id), None)
        if phone is not None:
            handle = await self._handle(phone.actor)
            if handle is not None:
                await asyncio.wrap_future(handle.cancel.remote(task_id).future())
        return "cancelling"

    # dispatch --------------------------------------------------------------------------------

    async def _dispatch_once(self) -> None:
        leases = await self.store.run(self.fleet.lease_batch)
        for lease in leases:
            self.leases += 1
            job = asyncio.create_task(self._hand_over(lease), name=f"lease-{lease.task.id}")
            self._watchers.add(job)
            job.add_done_callback(self._watchers.discard)
        if leases:
            self.notify()

    async def _handle(self, name: str) -> Any:
        if name not in self._handles:
            import ray

            try:
                self._handles[name] = await asyncio.to_thread(ray.get_actor, name)
            except ValueError:
                return None
        return self._handles[name]

    async def _hand_over(self, lease: Lease) -> None:
        import ray.exceptions

        spec = {
            "task": lease.task.as_dict(),
            "token": lease.token,
            "db_url": self.db_url,
            "buffer_events": self.buffer_events,
            "human_timeout_s": self.human_timeout_s,
        }
        handle = await self._handle(lease.actor)
        if handle is None:
            await self.store.run(self.fleet.requeue, lease.serial, lease.task.id, lease.token, "no actor")
            self._kick.set()
            return
        try:
            result = await asyncio.wrap_future(handle.run.remote(spec).future())
        except ray.exceptions.ActorDiedError as exc:
            self._handles.pop(lease.actor, None)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            await self._revoke(lease.serial, f"host_lost: host {lease.host} (phone {lease.serial}): {first}")
            return
        except ray.exceptions.RayActorError:
            return  # unreachable for now: the monitor decides whether its host is lost
        if not result.get("accepted"):
            await self.store.run(self.fleet.requeue, lease.serial, lease.task.id, lease.token)
            self._kick.set()
        self.notify()

    async def _revoke(self, serial: str, reason: str) -> None:
        task_id = await self.store.run(self.fleet.revoke, serial, reason, lost_task_artifacts)
        if task_id:
            log.warning("task %s: %s", task_id, reason)
        self._kick.set()
        self.notify()

    # monitor ---------------------------------------------------------------------------------

    async def _ping(self, name: str) -> dict[str, Any] | BaseException | None:
        handle = await self._handle(name)
        if handle is None:
            return None
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(handle.ping.remote().future()), self.ping_timeout_s
            )
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                raise
            return exc

    async def _monitor_once(self) -> None:
        import ray
        import ray.exceptions

        from .actor import PREFIX

        listed = await asyncio.to_thread(ray.util.list_named_actors)
        names = sorted(n for n in listed if isinstance(n, str) and n.startswith(PREFIX))
        rows = {p.serial: p for p in await self.store.run(self.fleet.phones)}
        known = {p.actor for p in rows.values()}
        names = sorted(set(names) | {a for a in known if a.startswith(PREFIX)})
        answers = await asyncio.gather(*(self._ping(n) for n in names))
        now = time.time()
        for name, answer in zip(names, answers, strict=True):
            serial = name[len(PREFIX) :]
            row = rows.get(serial)
            if isinstance(answer, dict):
                self._failing.pop(serial, None)
                host = str(answer["host"])
                if row is None or row.state == OFFLINE or row.host != host or now - row.seen_at > 10:
                    # a write only when something changed (or every 10 s): not one per phone per second
                    await self.store.run(self.fleet.phone_seen, serial, host, name)
                if (
                    row is not None
                    and row.state == LEASED
                    and row.task_id
                    and answer.get("task_id") != row.task_id
                ):
                    if row.leased_at is not None and now - row.leased_at > self.handoff_grace_s:
                        # leased, but the actor never got it (the leasing replica died in between)
                        await self.store.run(self.fleet.requeue, serial, row.task_id, row.token)
                continue
            if row is None:
                continue  # never seen alive: nothing to take back
            self._handles.pop(name, None)
            died = isinstance(answer, ray.exceptions.ActorDiedError) or answer is None
            first = self._failing.setdefault(serial, now)
            if row.state == OFFLINE and row.task_id is None:
                continue
            if died or now - first >= self.lost_after_s:
                why = "its actor is gone" if died else f"no answer for {now - first:.0f} s"
                if row.task_id is None:
                    await self.store.run(self.fleet.phone_offline, serial, f"host {row.host} lost: {why}")
                else:
                    await self._revoke(serial, f"host_lost: host {row.host} (phone {serial}): {why}")
        self._queued = await self.store.run(self.fleet.queued_ids)
        await self.pool.refresh()
        self.notify()
