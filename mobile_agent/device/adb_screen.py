"""The screen side of `AdbDevice`: size and density, screenshots (`screencap -p`) and the
uiautomator XML dump, which is retried once because it answers "null root node" while the UI settles."""

from __future__ import annotations

import asyncio
import io
import re

from PIL import Image, UnidentifiedImageError

from mobile_agent.device.adb_conn import AdbConnection
from mobile_agent.device.base import DeviceError, DeviceInfo

__all__ = ["SCREENCAP_TIMEOUT_S", "AdbScreen", "parse_wm_size"]

SCREENCAP_TIMEOUT_S = 15.0


def parse_wm_size(text: str) -> tuple[int, int] | None:
    """(width, height) from `wm size`; an override size wins over the physical one."""
    found = dict(re.findall(r"(Physical|Override) size:\s*(\d+x\d+)", text))
    value = found.get("Override") or found.get("Physical")
    if not value:
        return None
    w, h = value.split("x")
    return int(w), int(h)


class AdbScreen(AdbConnection):
    """Reading the screen over adb shell; the screen size is cached after the first ask."""

    _size: tuple[int, int] | None = None

    async def info(self) -> DeviceInfo:
        out = await self.shell(
            "getprop ro.product.model; getprop ro.build.version.release; wm size; wm density"
        )
        lines = out.splitlines()
        model = lines[0].strip() if lines else ""
        release = lines[1].strip() if len(lines) > 1 else ""
        size = parse_wm_size(out) or await self.size()
        self._size = size
        dens = re.findall(r"(?:Physical|Override) density:\s*(\d+)", out)
        return DeviceInfo(self.serial, model, release, size[0], size[1], int(dens[-1]) if dens else None)

    async def size(self) -> tuple[int, int]:
        """Screen (width, height) in pixels, from `wm size` (cached; screenshots tell rotation)."""
        if self._size is None:
            out = await self.shell("wm size")
            size = parse_wm_size(out)
            if size is None:
                shot = await self.screenshot()
                size = shot.size
            self._size = size
        return self._size

    async def screenshot(self) -> Image.Image:
        """The screen as an RGB image (`screencap -p`)."""
        data = await self.shell_bytes("screencap -p", timeout_s=SCREENCAP_TIMEOUT_S)

        def decode() -> Image.Image:
            try:
                image = Image.open(io.BytesIO(data))
                image.load()
            except (UnidentifiedImageError, OSError) as exc:
                preview = data[:200].decode("utf-8", "replace").strip()
                raise DeviceError(
                    f"screencap on {self.serial} returned no image ({len(data)} bytes: {preview!r})"
                ) from exc
            return image.convert("RGB") if image.mode != "RGB" else image

        return await asyncio.to_thread(decode)

    async def ui_tree(self) -> str:
        """The uiautomator XML of the current screen (one shell call: dump then cat)."""
        path = "/sdcard/window_dump.xml"
        last = ""
        for _ in range(2):  # uiautomator sometimes answers "null root node" while the UI settles
            # rm first: a failed dump must not hand back the previous screen's file
            out = await self.shell(
                f"rm -f {path}; uiautomator dump {path} >/dev/null && cat {path}", timeout_s=30
            )
            start = out.find("<?xml")
            if start < 0:
                start = out.find("<hierarchy")
            if start >= 0:
                return out[start:]
            last = out
        raise DeviceError(f"uiautomator dump failed on {self.serial}: {last.strip()[:300]}")
