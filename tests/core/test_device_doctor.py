"""`mobile-agent doctor` and `devices` against the virtual phone and the stub model server."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import adbutils
import pytest

from mobile_agent.device.discovery import list_devices
from mobile_agent.device.doctor import run_doctor
from mobile_agent.sim import SimServer  # our own module: a broken import is a failure, never a skip
from mobile_agent.testing import StubChatServer


@pytest.fixture(scope="module")
def serial() -> Iterator[str]:
    server = SimServer(count=1, port=0, seed=0).start()
    try:
        yield server.serials[0]
    finally:
        server.stop()
        try:
            adbutils.AdbClient().disconnect(server.serials[0])
        except (adbutils.AdbError, OSError):
            pass


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


async def test_doctor_all_green(serial: str) -> None:
    async with StubChatServer(lambda r: "pong", model="gui-owl-7b") as stub:
        checks = await run_doctor(serial, stub.base_url, "gui-owl-7b")
    by_name = {c.name: c for c in checks}
    assert [c.name for c in checks] == [
        "adb binary",
        "adb server",
        "device",
        "screen capture",
        "keyboard (non-ASCII text)",
        "model endpoint",
    ]
    assert all(c.ok for c in checks), checks
    assert (
        "1080x2400" in by_name["device"].detail
        and "ADB Keyboard" in by_name["keyboard (non-ASCII text)"].detail
    )


async def test_doctor_says_what_to_fix(serial: str) -> None:
    async with StubChatServer(lambda r: "pong", model="gui-owl-7b", strict_model=True) as stub:
        wrong_model = (await run_doctor(serial, stub.base_url, "gui-owl-32b"))[-1]
    assert not wrong_model.ok and "gui-owl-7b" in wrong_model.fix
    down = (await run_doctor(serial, f"http://127.0.0.1:{_free_port()}/v1", "m"))[-1]
    assert not down.ok and "--base-url" in down.fix
    missing = await run_doctor("no-such-serial-123")
    device = next(c for c in missing if c.name == "device")
    assert not device.ok and device.fix


async def test_doctor_no_adb_server_on_that_port() -> None:
    checks = await run_doctor(adb_port=_free_port())
    server = next(c for c in checks if c.name == "adb server")
    assert not server.ok and "adb start-server" in server.fix
    assert "device" not in [c.name for c in checks]


def test_list_devices_shows_the_virtual_phone(serial: str) -> None:
    adbutils.AdbClient().connect(serial, timeout=5)
    found = {d.serial: d for d in list_devices()}
    mine = found[serial]
    assert mine.state == "device" and mine.size == (1080, 2400) and mine.health == "ok" and mine.model
    with pytest.raises(ConnectionError, match="adb start-server"):
        list_devices(adb_port=_free_port())
