"""The adb server address (as adb's own tools find it) and the async host-protocol client."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from mobile_agent.device.adb import AdbDevice
from mobile_agent.device.adb_host import AdbServerError, adb_server_address, run_service
from mobile_agent.device.base import DeviceNotFound


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("ADB_SERVER_SOCKET", "ANDROID_ADB_SERVER_HOST", "ANDROID_ADB_SERVER_PORT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_address_default_and_environment(clean_env: pytest.MonkeyPatch) -> None:
    assert adb_server_address() == ("127.0.0.1", 5037)
    clean_env.setenv("ANDROID_ADB_SERVER_HOST", "10.0.0.9")
    clean_env.setenv("ANDROID_ADB_SERVER_PORT", "5039")
    assert adb_server_address() == ("10.0.0.9", 5039)
    clean_env.setenv("ADB_SERVER_SOCKET", "tcp:host.docker.internal:5037")  # docker-compose's setting wins
    assert adb_server_address() == ("host.docker.internal", 5037)
    clean_env.setenv("ADB_SERVER_SOCKET", "tcp:5038")
    assert adb_server_address() == ("127.0.0.1", 5038)
    clean_env.setenv("ADB_SERVER_SOCKET", "tcp:host:notaport")
    with pytest.raises(ValueError, match="ADB_SERVER_SOCKET"):
        adb_server_address()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_device_follows_the_environment_to_the_adb_server(clean_env: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    clean_env.setenv("ADB_SERVER_SOCKET", f"tcp:127.0.0.1:{port}")
    device = AdbDevice("127.0.0.1:6555")
    assert (device.adb_host, device.adb_port) == ("127.0.0.1", port)
    with pytest.raises(DeviceNotFound, match=f"adb server at 127.0.0.1:{port}"):
        await device.open()


async def test_run_service_on_the_virtual_phone(sim_phone: Any) -> None:
    out = await run_service(sim_phone.serial, "shell:echo hello; echo err >&2")
    assert out == b"hello\nerr\n"
    assert (await run_service(sim_phone.serial, "shell:wm size")).strip() == b"Physical size: 1080x2400"
    with pytest.raises(AdbServerError, match="not found"):
        await run_service("127.0.0.1:1", "shell:echo x")
    with pytest.raises(OSError):
        await run_service(sim_phone.serial, "shell:echo x", port=_closed_port())
