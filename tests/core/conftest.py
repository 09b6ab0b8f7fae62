"""Shared fixtures for the core tests: a virtual phone over real ADB, and an oracle that plays
GUI-Owl for "turn on Wi-Fi" from the phone's UI XML (so its points are right in any frame)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def sim_phone() -> Iterator[Any]:
    """One virtual phone on an ephemeral port, adb-connected, Wi-Fi switched off."""
    import adbutils

    from mobile_agent.sim import SimServer, connect_adb

    sim = SimServer(count=1, port=0, seed=0).start()
    serial = sim.serials[0]
    try:
        connect_adb(serial)
        adbutils.adb.device(serial).shell("settings put global wifi_on 0")
        sim.serial = serial  # type: ignore[attr-defined]
        yield sim
    finally:
        try:
            adbutils.adb.disconnect(serial)
        except Exception:
            pass
        sim.stop()
