"""Image resizing and coordinate frames.

GUI-Owl (Qwen2.5-VL) answers in absolute pixels of the image it saw *after* `smart_resize`;
GUI-Owl-1.5 / Qwen3-VL style models answer on a 0-1000 grid. We resize the screenshot
ourselves before sending it, so the frame the model answers in is known exactly, and every
point is mapped back to device pixels with that exact size (the reference runner skipped this
and was ~1% off).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from PIL import Image

FrameKind = Literal["resized", "norm1000", "device"]

IMAGE_FACTOR = 28
MIN_PIXELS = 4 * 28 * 28  # 3136, Qwen2.5-VL's default
MAX_PIXELS = 16384 * 28 * 28  # 12_845_056, Qwen2.5-VL's default
MAX_RATIO = 200


def smart_resize(
    height: int,
    width: int,
    factor: int = IMAGE_FACTOR,
    min_pixels: int = MIN_PIXELS,
    max_pixels: int = MAX_PIXELS,
) -> tuple[int, int]:
    """Qwen2.5-VL's resize rule: each side a multiple of `factor`, area within the budget.

    Returns (height, width). 1080x2400 (w x h) becomes 1092x2408 at the default budget.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    if max(height, width) / min(height, width) > MAX_RATIO:
        raise ValueError(f"aspect ratio must be below {MAX_RATIO}, got {width}x{height}")
    if min_pixels > max_pixels:
        raise ValueError(f"min_pixels ({min_pixels}) exceeds max_pixels ({max_pixels})")
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def image_tokens(height: int, width: int, factor: int = IMAGE_FACTOR) -> int:
    """Visual tokens one image of this (already resized) size costs a Qwen2.5-VL model."""
    return (height // factor) * (width // factor)


@dataclass(frozen=True)
class Frame:
    """How a model's point maps to the device: the frame kind, the image sent, the screen."""

    kind: FrameKind
    image_size: tuple[int, int]  # (width, height) of the image the model saw
    device_size: tuple[int, int]  # (width, height) of the device screen

    def to_device(self, x: float, y: float) -> tuple[int, int]:
        """Map a model point to device pixels, clamped onto the screen."""
        dw, dh = self.device_size
        if self.kind == "device":
            fx, fy = float(x), float(y)
        elif self.kind == "resized":
            iw, ih = self.image_size
            fx, fy = x * dw / iw, y * dh / ih
        else:  # norm1000
            fx, fy = x * dw / 1000.0, y * dh / 1000.0
        return (min(max(round(fx), 0), dw - 1), min(max(round(fy), 0), dh - 1))

    def from_device(self, x: float, y: float) -> tuple[float, float]:
        """Map a device point into this frame (the inverse of `to_device`, unrounded)."""
        dw, dh = self.device_size
        if self.kind == "device":
            return float(x), float(y)
        if self.kind == "resized":
            iw, ih = self.image_size
            return x * iw / dw, y * ih / dh
        return x * 1000.0 / dw, y * 1000.0 / dh

    def in_bounds(self, x: float, y: float) -> bool:
        """Whether a model point lies inside the frame the model was shown."""
        if self.kind == "norm1000":
            w, h = 1000.0, 1000.0
        elif self.kind == "resized":
            w, h = float(self.image_size[0]), float(self.image_size[1])
        else:
            w, h = float(self.device_size[0]), float(self.device_size[1])
        return 0 <= x <= w and 0 <= y <= h

    def describe(self) -> str:
        """The sentence a prompt uses to tell the model its coordinate system."""
        if self.kind == "norm1000":
            return "Coordinates are on a 0-1000 grid: (0, 0) is the top-left and (1000, 1000) the bottom-right corner."
        w, h = self.image_size if self.kind == "resized" else self.device_size
        return f"The screen's resolution is {w}x{h}; coordinates are absolute pixels of this image."


def prepare_image(
    screenshot: Image.Image,
    kind: FrameKind = "resized",
    min_pixels: int = MIN_PIXELS,
    max_pixels: int = MAX_PIXELS,
    factor: int = IMAGE_FACTOR,
) -> tuple[Image.Image, Frame]:
    """Resize a screenshot the way the model's processor would, and return its frame.

    Sending the already-resized image makes the server's own resize a no-op, so the frame the
    model answers in is exactly `image.size`. `factor` is the model's grid (28 for Qwen2.5-VL, 32
    for Qwen3-VL). Whatever the resize, the frame keeps the ORIGINAL screenshot size as
    `device_size`: 0-1000 points map against it, never against a rounded size.
    """
    w, h = screenshot.size
    rh, rw = smart_resize(h, w, factor=factor, min_pixels=min_pixels, max_pixels=max_pixels)
    image = screenshot if (rw, rh) == (w, h) else screenshot.resize((rw, rh), Image.Resampling.BICUBIC)
    if image.mode != "RGB":
        image = image.convert("RGB")
    return image, Frame(kind=kind, image_size=(rw, rh), device_size=(w, h))
