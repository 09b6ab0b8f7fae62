"""Shared fixtures of the API tests: virtual phones on the real adb server, the scripted model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import adbutils
import pytest
from api_policy import respond

from mobile_agent.sim import SimServer, connect_adb
from mobile_agent.testing import StubChatServer


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    """Two virtual phones (adb-connected) and the scripted model, shared by this module."""
    sim = SimServer(count=2, port=0, seed=3).start()
    stub = StubChatServer(respond, latency_s=0.05).start()
    mp = pytest.MonkeyPatch()
    mp.setenv("MOBILE_AGENT_BASE_URL", stub.base_url)
    mp.setenv("MOBILE_AGENT_SETTLE_TIMEOUT_S", "0.3")
    try:
        for serial in sim.serials:
            connect_adb(serial)
        yield {"sim": sim, "stub": stub, "serials": sim.serials}
    finally:
        mp.undo()
        for serial in sim.serials:
            adbutils.adb.disconnect(serial, raise_error=False)
        stub.stop()
        sim.stop()
