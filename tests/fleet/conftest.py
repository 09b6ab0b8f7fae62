"""Fixtures of the fleet tests: a real PostgreSQL, a real multi-node Ray cluster, hosts with virtual
phones and API replicas, all real processes, all ended (process group by process group) even when a
test fails."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ci_guard import skip_or_fail

from mobile_agent.testing import StubChatServer
from mobile_agent.testing.fleet_policy import respond
from mobile_agent.testing.fleet_procs import (
    Postgres,
    Proc,
    RayHead,
    fleet_env,
    have_postgres,
    start_host,
    start_replica,
)


def _need_fleet() -> None:
    if not have_postgres():
        skip_or_fail("PostgreSQL 15 is not installed (apt-get install postgresql)")
    for mod in ("ray", "psycopg"):
        if importlib.util.find_spec(mod) is None:
            skip_or_fail(f"{mod} is not installed (pip install -e '.[fleet]')")


class Fleet:
    """Two hosts of two virtual phones, two replicas, one store, one Ray head."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.procs: list[Proc] = []
        self.pg: Postgres | None = None
        self.head: RayHead | None = None
        self.stub = StubChatServer(respond, latency_s=0.05, keep_requests=1).start()
        self.env = fleet_env(self.stub.base_url)
        self.hosts: dict[str, Proc] = {}
        self.replicas: list[tuple[Proc, str]] = []

    def start(self, hosts: int = 2, phones: int = 2, replicas: int = 2) -> Fleet:
        self.pg = Postgres()
        self.head = RayHead()
        for i in range(hosts):
            name = f"h{i + 1}"
            proc = start_host(self.head.address, name, phones, seed=10 * (i + 1), env=self.env)
            self.procs.append(proc)
            self.hosts[name] = proc
        for i in range(replicas):
            proc = start_replica(self.head.address, self.pg.url, self.root / f"runs{i}", self.env)
            self.procs.append(proc)
        for proc in self.hosts.values():
            proc.wait_for(r"host \S+ ready", 180)
        self.replicas = [(p, p.url(180)) for p in self.procs if p not in self.hosts.values()]
        for _, url in self.replicas:
            self.wait_phones(url, hosts * phones)
        return self

    def wait_phones(self, url: str, count: int, state: str = "available", timeout: float = 60) -> list[Any]:
        """The replica's device list once `count` phones are in `state`."""
        deadline = time.monotonic() + timeout
        listed: list[Any] = []
        while time.monotonic() < deadline:
            listed = httpx.get(f"{url}/v1/devices", timeout=10).json()
            if sum(p["state"] == state for p in listed) >= count:
                return listed
            time.sleep(0.3)
        raise AssertionError(f"{url}: fewer than {count} phones {state}: {listed}")

    def close(self) -> None:
        for proc in self.procs:
            proc.close()
        if self.head is not None:
            self.head.close()
        if self.pg is not None:
            self.pg.close()
        self.stub.stop()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    _need_fleet()
    f = Fleet(tmp_path_factory.mktemp("fleet"))
    try:
        yield f.start()
    finally:
        f.close()
