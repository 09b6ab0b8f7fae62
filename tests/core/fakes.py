"""A tiny in-test phone (temporary until every test runs on the virtual phone over ADB)."""

from __future__ import annotations

from PIL import Image, ImageDraw

from mobile_agent.device.base import DeviceDisconnected, DeviceInfo


class TogglePhone:
    """1080x2400 screen with one toggle at (900, 600); tapping it flips `wifi`."""

    serial = "fake-1"

    def __init__(self) -> None:
        self.wifi = False
        self.taps: list[tuple[int, int]] = []
        self.gone = False

    def _check(self) -> None:
        if self.gone:
            raise DeviceDisconnected("fake phone unplugged")

    async def info(self) -> DeviceInfo:
        return DeviceInfo(self.serial, "Fake", "14", 1080, 2400)

    async def size(self) -> tuple[int, int]:
        return (1080, 2400)

    async def screenshot(self) -> Image.Image:
        self._check()
        im = Image.new("RGB", (1080, 2400), "white")
        d = ImageDraw.Draw(im)
        d.rectangle([800, 550, 1000, 650], fill=(30, 160, 60) if self.wifi else (160, 160, 160))
        return im

    async def ui_tree(self) -> str:
        return '<hierarchy><node text="Wi-Fi" bounds="[800,550][1000,650]" /></hierarchy>'

    async def tap(self, x: int, y: int) -> None:
        self._check()
        self.taps.append((x, y))
        if 800 <= x < 1000 and 550 <= y < 650:
            self.wifi = not self.wifi

    async def long_press(self, x: int, y: int, duration_s: float = 1.0) -> None:
        self._check()

    async def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_s: float | None = None) -> None:
        self._check()

    async def type_text(self, text: str) -> None:
        self._check()

    async def key(self, name: str) -> None:
        self._check()

    async def back(self) -> None:
        self._check()

    async def home(self) -> None:
        self._check()

    async def open_app(self, name: str) -> str:
        return "com.android.settings"

    async def current_app(self) -> str:
        return "com.android.settings"

    async def close(self) -> None:
        return None
