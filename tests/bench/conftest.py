"""A virtual phone over real ADB for the benchmark tests (one per module)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import adbutils
import pytest

from mobile_agent.bench.adb import AdbShell


class PhoneHandle:
    def __init__(self, sim: Any, serial: str) -> None:
        self.sim = sim
        self.serial = serial
        self.phone = sim.phones[0]
        with self.phone.lock:
            self.baseline = self.phone.snapshot()
        self.adb = AdbShell(serial)

    def reset(self) -> None:
        with self.phone.lock:
            self.phone.restore(self.baseline)


@pytest.fixture(scope="module")
def phone() -> Iterator[PhoneHandle]:
    from mobile_agent.sim import SimServer, connect_adb

    sim = SimServer(count=1, port=0, seed=0).start()
    serial = sim.serials[0]
    try:
        connect_adb(serial)
        yield PhoneHandle(sim, serial)
    finally:
        try:
            adbutils.AdbClient(host="127.0.0.1", port=5037).disconnect(serial)
        except Exception:
            pass
        sim.stop()
