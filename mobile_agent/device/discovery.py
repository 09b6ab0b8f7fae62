"""What `mobile-agent devices` shows: every device the adb server knows, with model, size, health."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import Any

import adbutils

from mobile_agent.device.adb import parse_wm_size
from mobile_agent.device.adb_host import adb_server_address


@dataclass(frozen=True)
class DeviceSummary:
    serial: str
    state: str  # "device", "offline", "unauthorized", ...
    model: str = ""
    size: tuple[int, int] | None = None
    health: str = ""  # "ok", or what is wrong and how to fix it

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_STATE_HEALTH = {
    "unauthorized": "unauthorized: unlock the phone and accept the 'Allow USB debugging?' prompt",
    "offline": "offline: replug the cable or `adb reconnect`",
    "no permissions": "no permissions: add a udev rule for the phone (see Android's 'Run apps on a hardware device')",
}


def _summarise(client: adbutils.AdbClient, serial: str, state: str, timeout_s: float) -> DeviceSummary:
    if state != "device":
        return DeviceSummary(serial, state, health=_STATE_HEALTH.get(state, f"{state}: check `adb devices`"))
    try:
        out = client.device(serial).shell("getprop ro.product.model; wm size", timeout=timeout_s)
    except (adbutils.AdbError, OSError) as exc:
        return DeviceSummary(serial, state, health=f"not answering: {exc}")
    lines = out.splitlines()
    model = lines[0].strip() if lines else ""
    size = parse_wm_size(out)
    health = "ok" if size else "shell answers but `wm size` does not; screen may be off"
    return DeviceSummary(serial, state, model=model, size=size, health=health)


def list_devices(
    adb_host: str | None = None, adb_port: int | None = None, timeout_s: float = 5.0
) -> list[DeviceSummary]:
    """Every device the adb server lists (offline/unauthorized ones too), probed in one shell call each.

    Raises `ConnectionError` with a fix when the adb server cannot be reached.
    """
    default_host, default_port = adb_server_address()
    adb_host, adb_port = adb_host or default_host, adb_port or default_port
    client = adbutils.AdbClient(host=adb_host, port=adb_port, socket_timeout=timeout_s)
    try:
        attached = client.list()
    except (adbutils.AdbError, OSError) as exc:
        raise ConnectionError(
            f"cannot reach the adb server at {adb_host}:{adb_port} ({exc}); start it with `adb start-server`"
        ) from exc
    return [_summarise(client, d.serial, d.state, timeout_s) for d in attached]


async def alist_devices(
    adb_host: str | None = None, adb_port: int | None = None, timeout_s: float = 5.0
) -> list[DeviceSummary]:
    """`list_devices` without blocking the event loop (for the HTTP API)."""
    return await asyncio.to_thread(list_devices, adb_host, adb_port, timeout_s)
