"""Fixtures for the MCP tests: a fresh virtual phone over real ADB for each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def phone() -> Iterator[Any]:
    """One virtual phone on an ephemeral port, adb-connected; `phone.serial` names it."""
    import adbutils

    from mobile_agent.sim import SimServer, connect_adb

    sim = SimServer(count=1, port=0, seed=0).start()
    serial = sim.serials[0]
    try:
        connect_adb(serial)
        sim.serial = serial  # type: ignore[attr-defined]
        yield sim
    finally:
        try:
            adbutils.adb.disconnect(serial)
        except Exception:
            pass
        sim.stop()
