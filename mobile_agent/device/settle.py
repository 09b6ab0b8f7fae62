"""Screen settling and a measured "did the screen change" figure.

After an action the runner waits until two consecutive frames match (or a timeout passes)
instead of sleeping a fixed time, and decides "no change" from `frame_difference`, not from
the model's claim.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from PIL import Image, ImageChops

DOWNSCALE = 8  # 1080x2400 -> 135x300: fast, and still sees a toggle or a line of text
PIXEL_TOLERANCE = 8  # grey levels: ignore compression/antialiasing noise


class _Screens(Protocol):
    async def screenshot(self) -> Image.Image: ...


def _small_gray(image: Image.Image, factor: int) -> Image.Image:
    small = image.reduce(factor) if factor > 1 else image
    return small.convert("L")


def frame_difference(
    a: Image.Image, b: Image.Image, *, factor: int = DOWNSCALE, tolerance: int = PIXEL_TOLERANCE
) -> float:
    """Fraction (0..1) of pixels that differ between two frames, on a downscaled grayscale.

    Frames of different sizes (rotation) count as entirely different. A pixel differs when its
    grey level moves by more than `tolerance`.
    """
    if a.size != b.size:
        return 1.0
    sa, sb = _small_gray(a, factor), _small_gray(b, factor)
    diff = ImageChops.difference(sa, sb)
    if diff.getbbox() is None:
        return 0.0
    changed = sum(diff.histogram()[tolerance + 1 :])
    return changed / (sa.width * sa.height)


def frames_equal(a: Image.Image, b: Image.Image, threshold: float = 0.0) -> bool:
    """Whether two frames count as the same screen (difference at most `threshold`)."""
    return frame_difference(a, b) <= threshold


async def wait_until_stable(
    device: _Screens,
    *,
    timeout_s: float = 3.0,
    interval_s: float = 0.05,
    threshold: float = 0.0,
    first: Image.Image | None = None,
    on_candidate: Callable[[Image.Image], None] | None = None,
) -> Image.Image:
    """The screen once two consecutive screenshots match, or the latest one at the timeout.

    `first` may be a frame already taken (saves one capture). The comparison runs in a worker
    thread so the event loop stays free. `on_candidate` sees every frame that may turn out to be
    the one returned (the first, then each that differs from the one before), so a caller can
    start work on it while the wait goes on; the returned frame is always the last it saw or
    equal to it.
    """
    deadline = time.monotonic() + timeout_s
    previous = first if first is not None else await device.screenshot()
    if on_candidate is not None:
        on_candidate(previous)
    while time.monotonic() < deadline:
        if interval_s > 0:
            await asyncio.sleep(min(interval_s, max(0.0, deadline - time.monotonic())))
        current = await device.screenshot()
        diff = await asyncio.to_thread(frame_difference, previous, current)
        if diff <= threshold:
            return current
        previous = current
        if on_candidate is not None:
            on_candidate(current)
    return previous
