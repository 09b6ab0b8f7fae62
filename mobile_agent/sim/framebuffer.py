"""`framebuffer:`: the screen as adbd's framebuffer service sends it.

A header of little-endian uint32s (version 2: version, bpp, colorSpace, size, width, height,
then offset/length of red, blue, green and alpha), followed by the raw pixels, RGBA 8888 row by
row (AOSP framebuffer_service.cpp; DDMS_RAWIMAGE_VERSION 2 added colorSpace).
"""

from __future__ import annotations

import asyncio
import struct
from concurrent.futures import Executor

from mobile_agent.sim.adb_server import AdbStream
from mobile_agent.sim.contract import PhoneModel

__all__ = ["framebuffer_bytes", "framebuffer_service"]

VERSION = 2
COLOR_SPACE_SRGB = 1
BPP = 32


def framebuffer_bytes(phone: PhoneModel) -> bytes:
    """Header and RGBA pixels of what the phone shows now."""
    with phone.lock:
        img = phone.screenshot()
    raw = img.convert("RGBA").tobytes()
    header = struct.pack(
        "<14I",
        VERSION,
        BPP,
        COLOR_SPACE_SRGB,
        len(raw),
        img.width,
        img.height,
        0,  # red offset, length
        8,
        16,  # blue
        8,
        8,  # green
        8,
        24,  # alpha
        8,
    )
    return header + raw


async def framebuffer_service(stream: AdbStream, phone: PhoneModel, executor: Executor | None) -> None:
    data = await asyncio.get_running_loop().run_in_executor(executor, framebuffer_bytes, phone)
    await stream.write(data)
    await stream.drain()
