"""The adb connection under `AdbDevice`: finding and opening the device, and one shell round trip
with a timeout, its errors mapped to `DeviceNotFound` / `DeviceDisconnected` / `DeviceError`.

Shell round trips go through `adb_host.run_service`, an asyncio client of the adb server;
adbutils, synchronous and run in worker threads, does the rest (connecting, device states).
The screen, typing and app parts of `AdbDevice` build on `shell` here.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable
from typing import Self, TypeVar

import adbutils
from adbutils.errors import AdbConnectionError

from mobile_agent.device.adb_host import AdbServerError, adb_server_address, run_service
from mobile_agent.device.base import DeviceDisconnected, DeviceError, DeviceNotFound

__all__ = ["DEFAULT_TIMEOUT_S", "AdbConnection", "looks_like_tcp_serial"]

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 20.0
_TCP_SERIAL = re.compile(r"^(?:[\w.-]+|\[[0-9a-fA-F:]+\]):\d{1,5}$")
_DISCONNECT_HINTS = ("not found", "offline", "closed", "reset", "refused", "broken pipe", "eof", "no devices")


def looks_like_tcp_serial(serial: str) -> bool:
    """Whether a serial is a network address (`host:port`) that `adb connect` can reach."""
    return bool(_TCP_SERIAL.match(serial))


class AdbConnection:
    """One device behind the adb server: `open()` it, then `shell(cmd)`; `shell_calls` counts round trips.

    `serial` None means "the one attached device". A `host:port` serial is `adb connect`-ed
    first when `connect` is true.
    """

    def __init__(
        self,
        serial: str | None = None,
        *,
        adb_host: str | None = None,
        adb_port: int | None = None,
        connect: bool = True,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.serial = serial or ""
        default_host, default_port = adb_server_address()
        self.adb_host = adb_host or default_host
        self.adb_port = adb_port or default_port
        self.timeout_s = timeout_s
        self.shell_calls = 0
        self._connect = connect
        self._client = adbutils.AdbClient(host=self.adb_host, port=self.adb_port, socket_timeout=timeout_s)
        self._dev: adbutils.AdbDevice | None = None

    # ---------------------------------------------------------------- connection
    async def open(self) -> Self:
        """Resolve the serial, `adb connect` a network serial, and check the device is usable."""
        if self._dev is None:
            await self._run(self._open_sync)
        return self

    def _no_server(self, exc: BaseException) -> DeviceNotFound:
        return DeviceNotFound(
            f"cannot talk to the adb server at {self.adb_host}:{self.adb_port}: {exc}. "
            "Is adb installed? Start it with `adb start-server` (ADB_SERVER_SOCKET or "
            "ANDROID_ADB_SERVER_HOST/PORT point elsewhere)."
        )

    def _attached(self) -> list[tuple[str, str]]:
        try:
            return [(d.serial, d.state) for d in self._client.list()]
        except (adbutils.AdbError, OSError) as exc:
            raise self._no_server(exc) from exc

    def _open_sync(self) -> None:
        serial = self.serial or os.environ.get("ANDROID_SERIAL", "")
        if serial and self._connect and looks_like_tcp_serial(serial):
            try:
                out = self._client.connect(serial, timeout=min(self.timeout_s, 10.0))
            except AdbConnectionError as exc:
                raise self._no_server(exc) from exc
            except (adbutils.AdbError, OSError) as exc:
                raise DeviceNotFound(f"`adb connect {serial}` failed: {exc}") from exc
            if "connected to" not in out:
                raise DeviceNotFound(
                    f"`adb connect {serial}` failed: {out.strip()}. Is the phone (or `mobile-agent sim`) "
                    "listening there, with wireless debugging on?"
                )
        attached = self._attached()
        if not serial:
            usable = [s for s, state in attached if state == "device"]
            if len(usable) == 1:
                serial = usable[0]
            elif not attached:
                raise DeviceNotFound(
                    "no device attached. Plug in a phone with USB debugging on (and accept the prompt), "
                    "`adb connect HOST:PORT`, or start a virtual phone with `mobile-agent sim`."
                )
            elif not usable:
                listing = ", ".join(f"{s} ({st})" for s, st in attached)
                raise DeviceNotFound(f"no usable device: {listing}. {self._state_fix(attached[0][1])}")
            else:
                raise DeviceNotFound(
                    f"{len(usable)} devices attached ({', '.join(usable)}); choose one with --device SERIAL"
                )
        self.serial = serial
        deadline = time.monotonic() + min(self.timeout_s, 10.0)
        while True:
            state = dict(attached).get(serial)
            if state == "device":
                break
            if state is None and not looks_like_tcp_serial(serial):
                listing = ", ".join(f"{s} ({st})" for s, st in attached) or "none"
                raise DeviceNotFound(f"device {serial!r} is not attached (attached: {listing})")
            if state == "unauthorized":
                raise DeviceError(f"device {serial} is unauthorized. {self._state_fix(state)}")
            if time.monotonic() > deadline:
                raise DeviceDisconnected(
                    f"device {serial} is {state or 'not attached'}. {self._state_fix(state or 'offline')}"
                )
            time.sleep(0.05)  # a freshly connected device reports "offline" for a moment
            attached = self._attached()
        self._dev = self._client.device(serial)

    @staticmethod
    def _state_fix(state: str) -> str:
        if state == "unauthorized":
            return (
                "Unlock the phone and accept the 'Allow USB debugging?' prompt (tick 'Always allow'). "
                "No prompt? Revoke USB debugging authorisations in Developer options and replug."
            )
        if state == "offline":
            return "Replug the cable or run `adb reconnect`; for a network device, `adb connect` it again."
        return "Check `adb devices`."

    # ---------------------------------------------------------------- plumbing
    async def _run(self, fn: Callable[[], T], timeout_s: float | None = None) -> T:
        limit = (timeout_s or self.timeout_s) + 5.0
        try:
            async with asyncio.timeout(limit):
                return await asyncio.to_thread(fn)
        except TimeoutError:
            raise DeviceDisconnected(
                f"device {self.serial or '(any)'} did not answer within {limit:g} s"
            ) from None

    def _map_error(self, exc: BaseException, what: str) -> DeviceError:
        text = str(exc) or type(exc).__name__
        if isinstance(exc, adbutils.AdbTimeout | TimeoutError):
            return DeviceDisconnected(
                f"device {self.serial}: {what} timed out ({text}); is it still connected?"
            )
        low = text.lower()
        if isinstance(exc, ConnectionError | OSError) or any(h in low for h in _DISCONNECT_HINTS):
            return DeviceDisconnected(
                f"device {self.serial} is gone ({what}: {text}). Check the cable / `adb devices`, "
                "or restart the virtual phone."
            )
        if "unauthorized" in low:
            return DeviceError(f"device {self.serial} is unauthorized. {self._state_fix('unauthorized')}")
        return DeviceError(f"device {self.serial}: {what} failed: {text}")

    async def shell_bytes(self, cmd: str, *, timeout_s: float | None = None) -> bytes:
        """Run one shell command line and return its raw output bytes (one async round trip)."""
        if self._dev is None:
            await self.open()
        self.shell_calls += 1
        try:
            return await run_service(
                self.serial,
                f"shell:{cmd}",
                host=self.adb_host,
                port=self.adb_port,
                timeout_s=timeout_s or self.timeout_s,
            )
        except (AdbServerError, OSError, TimeoutError) as exc:
            raise self._map_error(exc, f"`{cmd[:60]}`") from exc

    async def shell(self, cmd: str, *, timeout_s: float | None = None) -> str:
        """Run one shell command line on the device and return its output (trailing space stripped)."""
        out = await self.shell_bytes(cmd, timeout_s=timeout_s)
        return out.decode("utf-8", errors="replace").rstrip()

    @staticmethod
    def _check_output(out: str, what: str) -> None:
        head = out.lstrip()[:400]
        if (
            "Exception" in head
            or head.startswith("Error")
            or "Error:" in head
            or "Unknown command" in head
            or "inaccessible or not found" in head
        ):
            raise DeviceError(f"{what} failed on the device: {head.strip()}")
