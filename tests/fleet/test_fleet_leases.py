"""Leases and the event sink against a real PostgreSQL: row locks, fencing, an outage."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from ci_guard import skip_or_fail

from mobile_agent.testing.fleet_procs import Postgres, have_postgres

if not have_postgres() or importlib.util.find_spec("psycopg") is None:
    skip_or_fail("needs PostgreSQL 15 and psycopg (the fleet extra)", allow_module_level=True)

from mobile_agent.api.human import NoPendingRequest
from mobile_agent.api.store import TaskStore
from mobile_agent.bus import Bus, EventType
from mobile_agent.fleet.human import FleetHumanChannel
from mobile_agent.fleet.leases import Fenced, FleetStore
from mobile_agent.fleet.sink import EventSink
from mobile_agent.human import HumanRequest


@pytest.fixture(scope="module")
def pg() -> Iterator[Postgres]:
    server = Postgres()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def stores(pg: Postgres) -> Iterator[tuple[TaskStore, FleetStore]]:
    store = TaskStore(pg.url)
    fleet = FleetStore(store.engine)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE events, tasks, fleet_phones, fleet_blobs, fleet_replies")
    try:
        yield store, fleet
    finally:
        store.close()


def test_replicas_starting_together_on_an_empty_database_all_start(pg: Postgres) -> None:
    from mobile_agent.fleet.app import open_stores

    admin = TaskStore(pg.url)
    errors: list[BaseException] = []
    for round_ in range(3):
        name = f"fresh{round_}"
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        url = pg.url.rsplit("/", 1)[0] + f"/{name}"
        barrier = threading.Barrier(4)

        def replica(url: str = url, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                store, _ = open_stores(url)
                store.close()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=replica) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    admin.close()
    assert not errors, errors


def test_concurrent_replicas_never_lease_one_phone_twice(stores: tuple[TaskStore, FleetStore]) -> None:
    store, fleet = stores
    for i in range(6):
        fleet.phone_seen(f"p{i}", "h", f"phone:p{i}")
    for i in range(40):
        store.create_task(f"t{i}", max_steps=1, max_seconds=10)
    leases: list[Any] = []
    lock = threading.Lock()

    def replica() -> None:
        for _ in range(5):
            got = FleetStore(store.engine).lease_batch()
            with lock:
                leases.extend(got)

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(leases) == 6  # six phones, six leases, whichever replica won each
    assert len({lease.serial for lease in leases}) == 6
    assert len({lease.task.id for lease in leases}) == 6
    # FIFO: the oldest tasks were leased
    oldest = [t.id for t in store.tasks_with_status(["running"])]
    assert sorted(oldest) == sorted(lease.task.id for lease in leases)


def test_a_revoked_lease_can_no_longer_write(stores: tuple[TaskStore, FleetStore]) -> None:
    store, fleet = stores
    fleet.phone_seen("p0", "h", "phone:p0")
    rec = store.create_task("t", max_steps=1, max_seconds=10)
    (lease,) = fleet.lease_batch()
    ev = {"seq": 1, "ts": 1.0, "type": EventType.TASK_STARTED, "data": {}}
    fleet.write_events("p0", rec.id, lease.token, [ev])
    fleet.write_events("p0", rec.id, lease.token, [ev])  # a retried batch is not doubled
    assert fleet.revoke("p0", "host_lost: host h (phone p0): test") == rec.id
    with pytest.raises(Fenced):
        fleet.write_events("p0", rec.id, lease.token, [{**ev, "seq": 2}])
    with pytest.raises(Fenced):
        fleet.finish("p0", rec.id, lease.token, status="succeeded")
    done = store.get_task(rec.id)
    assert done is not None and done.status == "failed" and done.reason.startswith("host_lost")
    assert [e["type"] for e in store.events(rec.id)] == [EventType.TASK_STARTED, EventType.TASK_FINISHED]
    assert [p.state for p in fleet.phones()] == ["offline"]


async def test_events_wait_through_an_outage_and_a_full_buffer_stops_the_task(
    stores: tuple[TaskStore, FleetStore], pg: Postgres
) -> None:
    store, fleet = stores
    fleet.phone_seen("p0", "h", "phone:p0")
    rec = store.create_task("t", max_steps=1, max_seconds=10)
    (lease,) = fleet.lease_batch()
    stopped = asyncio.Event()
    sink = EventSink(fleet, "p0", rec.id, lease.token, capacity=20, on_overflow=stopped.set).start()
    bus = Bus()
    bus.subscribe(sink.put)
    bus.publish(EventType.TASK_STARTED, {})
    await asyncio.wait_for(sink.drain(), 30)
    await asyncio.to_thread(pg.stop, "fast")
    try:
        for i in range(25):
            bus.publish(EventType.NOTES, {"notes": str(i)})
        assert stopped.is_set() and sink.overflowed  # the task is told to stop, nothing is dropped
        await asyncio.sleep(0.5)
        assert sink.pending == 25 and sink.store_error
    finally:
        await asyncio.to_thread(pg.start)
    await asyncio.wait_for(sink.close(), 60)
    assert [e["seq"] for e in store.events(rec.id)] == list(range(1, 27))


def _waiting(
    store: TaskStore, fleet: FleetStore, timeout_s: float = 60, poll_s: float = 0.1
) -> tuple[str, FleetHumanChannel, asyncio.Event]:
    """A leased task on p0 and its actor's human channel."""
    fleet.phone_seen("p0", "h", "phone:p0")
    rec = store.create_task("t", max_steps=1, max_seconds=10)
    (lease,) = fleet.lease_batch()
    cancel = asyncio.Event()
    channel = FleetHumanChannel(
        fleet, "p0", rec.id, lease.token, timeout_s=timeout_s, cancel=cancel, poll_s=poll_s
    )
    return rec.id, channel, cancel


async def _until_waiting(store: TaskStore, task_id: str) -> float:
    for _ in range(200):
        rec = await asyncio.to_thread(store.get_task, task_id)
        if rec is not None and rec.status == "waiting_for_human" and rec.pending_request:
            return float(rec.pending_request["since"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"task {task_id} never waited for a person")


def test_a_second_reply_is_refused_even_after_the_actor_has_the_first(
    stores: tuple[TaskStore, FleetStore],
) -> None:
    store, fleet = stores
    fleet.phone_seen("p0", "h", "phone:p0")
    rec = store.create_task("t", max_steps=1, max_seconds=10)
    (lease,) = fleet.lease_batch()
    since = time.time()
    pending = {"kind": "question", "prompt": "which?", "action": None, "since": since, "timeout_s": 60}
    fleet.set_human("p0", rec.id, lease.token, "waiting_for_human", pending)
    fleet.post_reply(rec.id, "first", None)
    # the actor sees the reply; until it says the task runs again, the task still shows the request
    assert fleet.stored_reply("p0", rec.id, lease.token, since) == ("first", None)
    with pytest.raises(NoPendingRequest):
        fleet.post_reply(rec.id, "second", False)  # was stored (200) and then dropped
    assert fleet.end_wait("p0", rec.id, lease.token, since) == ("first", None)
    with pytest.raises(NoPendingRequest):
        fleet.post_reply(rec.id, "third", None)
    done = store.get_task(rec.id)
    assert done is not None and done.status == "running" and done.pending_request is None


async def test_a_reply_stored_just_before_the_timeout_is_not_lost(
    stores: tuple[TaskStore, FleetStore],
) -> None:
    store, fleet = stores
    task_id, channel, _ = _waiting(store, fleet, timeout_s=1.5, poll_s=30)  # no poll before the deadline
    asking = asyncio.create_task(channel.request(HumanRequest("question", "which?", None)))
    await _until_waiting(store, task_id)
    await asyncio.to_thread(fleet.post_reply, task_id, "in time", None)  # answered 200: must count
    reply = await asyncio.wait_for(asking, 20)
    assert (reply.text, reply.approved) == ("in time", True)
    with pytest.raises(NoPendingRequest):
        fleet.post_reply(task_id, "late", None)


async def test_a_revoked_lease_ends_the_wait_for_a_person_at_once(
    stores: tuple[TaskStore, FleetStore],
) -> None:
    store, fleet = stores
    task_id, channel, cancel = _waiting(store, fleet)
    asking = asyncio.create_task(channel.request(HumanRequest("confirm", "pay?", None)))
    await _until_waiting(store, task_id)
    assert await asyncio.to_thread(fleet.revoke, "p0", "host_lost: test") == task_id
    # nobody can answer a task that ended: the phone must not stay busy for the human timeout (60 s)
    done, _ = await asyncio.wait({asking}, timeout=10)
    try:
        assert done, "the actor still waits for a reply nobody can send"
        with pytest.raises(Fenced):
            asking.result()  # the run learns its lease is gone
        assert cancel.is_set()
    finally:
        asking.cancel()
        with contextlib.suppress(BaseException):
            await asking


def test_a_revoked_task_leaves_no_stored_reply_behind(stores: tuple[TaskStore, FleetStore]) -> None:
    from sqlalchemy import func, select

    from mobile_agent.fleet.leases import ReplyRow

    store, fleet = stores
    fleet.phone_seen("p9", "h", "phone:p9")
    rec = store.create_task("t", max_steps=1, max_seconds=10, device="p9")
    (lease,) = [lease for lease in fleet.lease_batch() if lease.task.id == rec.id]
    pending = {"kind": "question", "prompt": "which?", "action": None, "since": time.time(), "timeout_s": 60}
    fleet.set_human("p9", rec.id, lease.token, "waiting_for_human", pending)
    fleet.post_reply(rec.id, "an answer nobody will take", None)
    assert fleet.revoke("p9", "host_lost: test") == rec.id
    with fleet._session() as s:
        left = s.scalar(select(func.count()).select_from(ReplyRow).where(ReplyRow.task_id == rec.id))
    assert left == 0
