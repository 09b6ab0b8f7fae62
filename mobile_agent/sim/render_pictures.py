"""Generated pictures: the gallery's seeded photos and the wallpapers (cached: same spec, same
pixels)."""

from __future__ import annotations

import functools
import math
from typing import Any

from PIL import Image, ImageDraw

from mobile_agent.sim.geometry import H, W

__all__ = ["picture", "wallpaper"]

RGB = tuple[int, int, int]


# ------------------------------------------------------------------ pictures


@functools.lru_cache(maxsize=256)
def _picture_cached(key: tuple[Any, ...], w: int, h: int) -> Image.Image:
    spec = dict(key)
    bg = tuple(spec.get("bg", (120, 160, 220)))
    fg = tuple(spec.get("fg", (250, 220, 90)))
    fg2 = tuple(spec.get("fg2", (60, 120, 70)))
    img = Image.new("RGB", (w, h), bg)  # type: ignore[arg-type]
    d = ImageDraw.Draw(img)
    kind = spec.get("kind", "sun")
    if kind in ("sun", "mountain"):
        d.ellipse((w * 0.62, h * 0.12, w * 0.86, h * 0.36), fill=fg)  # type: ignore[arg-type]
        d.polygon([(0, h), (w * 0.35, h * 0.45), (w * 0.6, h * 0.75), (w * 0.75, h * 0.58), (w, h)], fill=fg2)  # type: ignore[arg-type]
    elif kind == "sea":
        d.rectangle((0, h * 0.55, w, h), fill=fg2)  # type: ignore[arg-type]
        d.ellipse((w * 0.4, h * 0.35, w * 0.6, h * 0.55), fill=fg)  # type: ignore[arg-type]
        for i in range(4):
            y = h * (0.65 + 0.08 * i)
            d.line((w * 0.1, y, w * 0.9, y), fill=bg, width=max(2, h // 80))  # type: ignore[arg-type]
    elif kind == "flower":
        cx, cy, r = w / 2, h / 2, min(w, h) / 6
        for i in range(6):
            a = i * math.pi / 3
            d.ellipse(
                (
                    cx + 1.3 * r * math.cos(a) - r,
                    cy + 1.3 * r * math.sin(a) - r,
                    cx + 1.3 * r * math.cos(a) + r,
                    cy + 1.3 * r * math.sin(a) + r,
                ),
                fill=fg,
            )  # type: ignore[arg-type]
        d.ellipse((cx - r * 0.8, cy - r * 0.8, cx + r * 0.8, cy + r * 0.8), fill=fg2)  # type: ignore[arg-type]
    elif kind == "stripes":
        n = 6
        for i in range(n):
            if i % 2:
                d.rectangle((0, h * i / n, w, h * (i + 1) / n), fill=fg)  # type: ignore[arg-type]
        d.ellipse((w * 0.3, h * 0.3, w * 0.7, h * 0.7), fill=fg2)  # type: ignore[arg-type]
    else:  # "city"
        for i in range(6):
            x0 = w * i / 6
            top = h * (0.3 + 0.1 * ((i * 7) % 4))
            d.rectangle((x0 + 4, top, x0 + w / 6 - 4, h), fill=fg2)  # type: ignore[arg-type]
        d.ellipse((w * 0.08, h * 0.08, w * 0.22, h * 0.22), fill=fg)  # type: ignore[arg-type]
    return img


def picture(spec: dict[str, Any], w: int, h: int) -> Image.Image:
    """A generated picture (gallery photos): same spec and size, same pixels."""
    key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in spec.items()))
    return _picture_cached(key, max(1, w), max(1, h))


# ------------------------------------------------------------------ system chrome


@functools.lru_cache(maxsize=4)
def wallpaper(dark: bool) -> Image.Image:
    top, bottom = ((22, 42, 90), (120, 60, 130)) if not dark else ((10, 14, 30), (50, 22, 60))
    grad = Image.linear_gradient("L").resize((W, H))
    a = Image.new("RGB", (W, H), top)
    b = Image.new("RGB", (W, H), bottom)
    return Image.composite(b, a, grad)
