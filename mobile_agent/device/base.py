"""The async Device protocol the runner drives, and the errors a device may raise.

A phone, an emulator and the virtual phone all look the same from here: the ADB
implementation (`device/adb.py`) is the one in use; anything else that honours this protocol
works too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from PIL import Image


@dataclass(frozen=True)
class DeviceInfo:
    serial: str
    model: str
    android_version: str
    width: int
    height: int
    density: int | None = None


@runtime_checkable
class Device(Protocol):
    serial: str

    async def info(self) -> DeviceInfo: ...
    async def size(self) -> tuple[int, int]: ...
    async def screenshot(self) -> Image.Image: ...
    async def ui_tree(self) -> str: ...
    async def tap(self, x: int, y: int) -> None: ...
    async def long_press(self, x: int, y: int, duration_s: float = 1.0) -> None: ...
    async def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_s: float | None = None) -> None: ...
    async def type_text(self, text: str) -> None: ...
    async def key(self, name: str) -> None: ...
    async def back(self) -> None: ...
    async def home(self) -> None: ...
    async def open_app(self, name: str) -> str: ...
    async def current_app(self) -> str: ...
    async def close(self) -> None: ...


class DeviceError(Exception):
    """Base of device failures; the message says what to do about it."""


class DeviceNotFound(DeviceError):
    """No such serial, or no device attached when none was named."""


class DeviceDisconnected(DeviceError):
    """The device went away (unplugged, adb server restarted, virtual phone stopped)."""


class TextInputUnavailable(DeviceError):
    """Non-ASCII text cannot be typed: neither ADB Keyboard nor uiautomator2 is usable."""


class AppNotFound(DeviceError):
    """`open_app` found no installed app matching the name."""
