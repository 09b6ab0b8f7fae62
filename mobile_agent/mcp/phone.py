"""The MCP server's phone: opened on first use, and the low-level tools' device calls.

Every gesture goes through the framework's actuation table (`loop/actuation.py`), the same code
that moves the phone for the agent, so an outside agent's `tap` and our Worker's `click` are one
path: typed text travels as an argument of an adb shell service (quoted by the device layer),
never through a shell on this host. Device trouble becomes a `ToolError` whose message says what
to do, which MCP returns to the client as an error result instead of a crash.
"""

from __future__ import annotations

import asyncio
import io
import struct
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from mcp.server.mcpserver.exceptions import ToolError

from mobile_agent.actions import Action, ActionError, Click, Key, Open, Swipe, SystemButton, Type
from mobile_agent.device.adb_screen import SCREENCAP_TIMEOUT_S
from mobile_agent.device.base import AppNotFound, Device, DeviceDisconnected, DeviceError, DeviceNotFound
from mobile_agent.device.connect import connect
from mobile_agent.loop.actuation import DevicePoint, device_call

__all__ = ["DEVICE_FIX", "PhoneLink", "png_size"]

T = TypeVar("T")

DEVICE_FIX = (
    "Connect a phone with USB debugging on (check with `mobile-agent devices`), or start a virtual "
    "phone with `mobile-agent sim`, then start the MCP server with --device SERIAL "
    "(e.g. --device 127.0.0.1:6555)."
)
_PNG = b"\x89PNG\r\n\x1a\n"
_BUTTONS = {"back": "Back", "home": "Home", "menu": "Menu", "enter": "Enter"}


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's header, or None when `data` is not a PNG."""
    if len(data) < 24 or not data.startswith(_PNG) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return (width, height) if width and height else None


class PhoneLink:
    """One phone (a serial, or None for the only attached one), reopened after it goes away."""

    def __init__(self, serial: str | None) -> None:
        self.serial = serial
        self._device: Device | None = None
        self._lock = asyncio.Lock()

    async def device(self) -> Device:
        """The open device; a `ToolError` saying how to attach one when there is none."""
        async with self._lock:
            if self._device is None:
                try:
                    self._device, _ = await connect(self.serial)
                except DeviceError as exc:
                    raise ToolError(f"no phone: {exc}\nWhat to do: {DEVICE_FIX}") from None
            return self._device

    async def close(self) -> None:
        async with self._lock:
            device, self._device = self._device, None
        if device is not None:
            try:
                await device.close()
            except DeviceError:
                pass

    async def call(self, fn: Callable[[Device], Awaitable[T]]) -> T:
        """Run one device call; device errors become tool errors (and a lost phone is reopened next time)."""
        device = await self.device()
        try:
            return await fn(device)
        except (DeviceNotFound, DeviceDisconnected) as exc:
            async with self._lock:
                if self._device is device:
                    self._device = None
            raise ToolError(f"the phone went away: {exc}\nWhat to do: {DEVICE_FIX}") from None
        except AppNotFound as exc:
            raise ToolError(
                f"{exc}\nWhat to do: check the name against the launcher (ui_tree on the home screen)."
            ) from None
        except DeviceError as exc:
            raise ToolError(f"the phone refused: {exc}") from None

    # ------------------------------------------------------------------------ reading
    async def size(self) -> tuple[int, int]:
        return await self.call(lambda d: d.size())

    async def screenshot_png(self) -> tuple[bytes, tuple[int, int]]:
        """The screen as PNG bytes and its size in device pixels.

        An adb device's `screencap -p` is already a PNG: passed on as it is (no decode and
        re-encode, ~65 ms of a 1080x2400 screen); any other device's image is encoded here.
        """

        async def raw(device: Device) -> bytes:
            shell_bytes = getattr(device, "shell_bytes", None)
            return await shell_bytes("screencap -p", timeout_s=SCREENCAP_TIMEOUT_S) if shell_bytes else b""

        data = await self.call(raw)
        size = png_size(data)
        if size is not None:
            return data, size
        image = await self.call(lambda d: d.screenshot())

        def encode() -> bytes:
            buf = io.BytesIO()
            image.save(buf, format="PNG", compress_level=1)  # speed over size: it travels locally
            return buf.getvalue()

        return await asyncio.to_thread(encode), image.size

    async def ui_xml(self) -> str:
        return await self.call(lambda d: d.ui_tree())

    async def current_app(self) -> str:
        return await self.call(lambda d: d.current_app())

    # ------------------------------------------------------------------------ acting
    async def act(self, action: Action, points: list[DevicePoint]) -> Any:
        """Perform one action through the actuation table; its device call's return value."""

        async def run(device: Device) -> Any:
            call = device_call(device, action, points)
            if call is None:  # pragma: no cover - only answer/ask/terminate, which no tool builds
                raise ToolError(f"{action.describe()} does not act on the phone")
            return await call.call

        return await self.call(run)

    async def _check_point(self, x: int, y: int) -> None:
        width, height = await self.size()
        if not (0 <= x < width and 0 <= y < height):
            raise ToolError(
                f"({x}, {y}) is outside the {width}x{height} screen; coordinates are device pixels "
                "(the screenshot's size, or a center from ui_tree)"
            )

    async def tap(self, x: int, y: int) -> None:
        await self._check_point(x, y)
        await self.act(Click(coordinate=(x, y)), [(x, y)])

    async def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int) -> None:
        await self._check_point(x1, y1)
        await self._check_point(x2, y2)
        try:
            action = Swipe(coordinate=(x1, y1), coordinate2=(x2, y2), time=duration_ms / 1000)
        except ValueError as exc:
            raise ToolError(f"duration_ms must be 1..10000: {exc}") from None
        await self.act(action, [(x1, y1), (x2, y2)])

    async def type_text(self, text: str) -> None:
        await self.act(Type(text=text), [])

    async def press_key(self, key: str) -> str:
        name = key.strip()
        try:
            action: Action = (
                SystemButton.model_validate({"button": _BUTTONS[name.lower()]})
                if name.lower() in _BUTTONS
                else Key(text=name)
            )
        except (ValueError, ActionError) as exc:
            raise ToolError(f"no key named {key!r}: {exc}") from None
        await self.act(action, [])
        return name

    async def open_app(self, name: str) -> str:
        try:
            action = Open(text=name)
        except ValueError as exc:
            raise ToolError(f"open_app needs an app name: {exc}") from None
        package = await self.act(action, [])
        return str(package)
