"""Leases and the event sink against a real PostgreSQL: row locks, fencing, an outage."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from ci_guard import skip_or_fail

from mobile_agent.testing.fleet_procs import Postgres, have_postgres

if not have_postgres() or importlib.util.find_spec("psycopg") is None:
    skip_or_fail("needs PostgreSQL 15 and psycopg (the fleet extra)", allow_module_level=True)

from mobile_agent.api.store import TaskStore
from mobile_agent.bus import Bus, EventType
from mobile_agent.fleet.leases import Fenced, FleetStore
from mobile_agent.fleet.sink import EventSink


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
        conn.exec_driver_sql("TRUNCATE events, tasks, fleet_phones, fleet_blobs")
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
