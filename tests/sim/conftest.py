"""Fixtures for the virtual phone's ADB-layer tests: a running SimServer with the real VirtualPhone,
connected with the real `adb` server. Helpers live in `sim_support`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import adbutils
import pytest
from sim_support import phone_factory

from mobile_agent.sim import SimServer, connect_adb


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    server = SimServer(count=1, port=0, seed=0, phone_factory=phone_factory()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def serial(sim: SimServer) -> Iterator[str]:
    s = sim.serials[0]
    connect_adb(s, timeout=15)
    try:
        yield s
    finally:
        subprocess.run(["adb", "disconnect", s], capture_output=True, timeout=20, check=False)


@pytest.fixture(scope="module")
def device(serial: str) -> adbutils.AdbDevice:
    return adbutils.adb.device(serial)


@pytest.fixture(scope="module")
def phone(sim: SimServer) -> Any:
    return sim.phones[0]
