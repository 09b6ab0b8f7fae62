"""Real parts for the replay tests: virtual phones over real ADB and the benchmark oracle behind a
real OpenAI-compatible HTTP server whose every request is counted on the server side (so "no
model call" is read where the calls would arrive)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import adbutils

from mobile_agent.agent import Agent
from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Task
from mobile_agent.bench.oracle import Oracle
from mobile_agent.config import AgentConfig
from mobile_agent.testing import ChatRequest, StubChatServer


@dataclass
class CountingOracle:
    """The oracle as the model; `calls` counts the chat requests the server received."""

    oracle: Oracle = field(default_factory=Oracle)
    calls: int = 0

    async def __call__(self, request: ChatRequest) -> str:
        self.calls += 1
        return await self.oracle.respond(request)


@contextlib.contextmanager
def oracle_server() -> Iterator[tuple[StubChatServer, CountingOracle]]:
    counting = CountingOracle()
    with StubChatServer(counting, keep_requests=False) as server:
        yield server, counting


@contextlib.contextmanager
def phone(seed: int = 0) -> Iterator[Any]:
    """One virtual phone (its serial as `.serial`), adb-connected."""
    from mobile_agent.sim import SimServer, connect_adb

    sim = SimServer(count=1, port=0, seed=seed).start()
    serial = sim.serials[0]
    try:
        connect_adb(serial)
        sim.serial = serial
        yield sim
    finally:
        with contextlib.suppress(Exception):
            adbutils.adb.disconnect(serial)
        sim.stop()


async def solve(
    task: Task, serial: str, server: StubChatServer, oracle: CountingOracle, out: Path, **run: Any
) -> Any:
    """Initialise the task on the phone and run it with the oracle (optionally with a cache)."""
    adb = AdbShell(serial)
    await task.initialize(adb)
    token = oracle.oracle.register(task, serial, adb)
    config = AgentConfig(runs_dir=out, base_url=server.base_url, model=token, retries=0, policy="allow")
    try:
        return await Agent(serial, config=config).run(task.goal, max_steps=task.max_steps, **run)
    finally:
        oracle.oracle.unregister(token)
