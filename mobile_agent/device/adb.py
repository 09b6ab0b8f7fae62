"""The ADB implementation of the `Device` protocol.

Shell round trips (every action, screenshots, UI dumps) go through `adb_host.run_service`, an
asyncio client of the adb server; adbutils, synchronous and run in worker threads, does the
rest (connecting, device states, uiautomator2). Every call has a timeout: the event loop never
blocks, and a phone that goes away gives `DeviceDisconnected` instead of a hang. Each public method is one adb
shell round trip where Android allows it (typing 40 ASCII characters is one call).

`AdbDevice` is assembled from one part per job: `adb_conn` (opening, the shell round trip, error
mapping), `adb_screen` (size, screenshot, UI dump), `adb_typing` (text), `adb_apps` (launching,
with `app_names` matching the name); the touch and key input lives here.
"""

from __future__ import annotations

from mobile_agent.device.adb_apps import AdbApps
from mobile_agent.device.adb_conn import DEFAULT_TIMEOUT_S, looks_like_tcp_serial
from mobile_agent.device.adb_screen import SCREENCAP_TIMEOUT_S, AdbScreen, parse_wm_size
from mobile_agent.device.adb_typing import TEXT_METHODS, AdbTyping, TextMethod
from mobile_agent.device.app_names import KNOWN_APPS, match_app, parse_focus
from mobile_agent.device.base import DeviceError
from mobile_agent.device.keys import keycode

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "KNOWN_APPS",
    "SCREENCAP_TIMEOUT_S",
    "AdbDevice",
    "TextMethod",
    "connect_device",
    "looks_like_tcp_serial",
    "match_app",
    "parse_focus",
    "parse_wm_size",
]


class AdbDevice(AdbScreen, AdbTyping, AdbApps):
    """A phone, emulator or virtual phone reached through the adb server.

    `serial` None means "the one attached device". A `host:port` serial is `adb connect`-ed
    first when `connect` is true. `text_method` chooses how non-ASCII text is typed: "auto"
    (ADB Keyboard, then uiautomator2's keyboard, then uiautomator2's clipboard), one of those
    explicitly, or "input" (ASCII only). `shell_calls` counts adb shell round trips.
    """

    def __init__(
        self,
        serial: str | None = None,
        *,
        adb_host: str | None = None,
        adb_port: int | None = None,
        connect: bool = True,
        text_method: TextMethod = "auto",
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        if text_method not in TEXT_METHODS:
            raise ValueError(f"text_method must be auto, adb_keyboard, u2 or input, got {text_method!r}")
        super().__init__(serial, adb_host=adb_host, adb_port=adb_port, connect=connect, timeout_s=timeout_s)
        self.text_method = text_method

    def __repr__(self) -> str:
        return f"AdbDevice({self.serial!r})"

    async def close(self) -> None:
        """Put back the keyboard we switched to for non-ASCII typing."""
        await self.restore_keyboard()

    # ---------------------------------------------------------------- input
    async def tap(self, x: int, y: int) -> None:
        self._check_output(await self.shell(f"input tap {int(x)} {int(y)}"), "tap")

    async def long_press(self, x: int, y: int, duration_s: float = 1.0) -> None:
        ms = max(1, round(duration_s * 1000))
        cmd = f"input swipe {int(x)} {int(y)} {int(x)} {int(y)} {ms}"
        self._check_output(await self.shell(cmd, timeout_s=self.timeout_s + duration_s), "long press")

    async def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_s: float | None = None) -> None:
        cmd = f"input swipe {int(x1)} {int(y1)} {int(x2)} {int(y2)}"
        if duration_s is not None:
            cmd += f" {max(1, round(duration_s * 1000))}"
        self._check_output(await self.shell(cmd, timeout_s=self.timeout_s + (duration_s or 0)), "swipe")

    async def key(self, name: str) -> None:
        """Press a key by name ("back", "enter", "volume_up", "KEYCODE_TAB", "7")."""
        try:
            code = keycode(name)
        except ValueError as exc:
            raise DeviceError(str(exc)) from exc
        self._check_output(await self.shell(f"input keyevent {code}"), f"key {name}")

    async def back(self) -> None:
        await self.key("back")

    async def home(self) -> None:
        await self.key("home")


async def connect_device(
    serial: str | None = None,
    *,
    adb_host: str | None = None,
    adb_port: int | None = None,
    text_method: TextMethod = "auto",
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> AdbDevice:
    """An opened `AdbDevice`: `adb connect` for host:port serials; the one attached if None."""
    device = AdbDevice(
        serial, adb_host=adb_host, adb_port=adb_port, text_method=text_method, timeout_s=timeout_s
    )
    return await device.open()
