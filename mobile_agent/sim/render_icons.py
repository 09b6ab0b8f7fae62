"""The vector icons the virtual phone draws (app, action, status and navigation bar glyphs) as
Pillow shapes in a box: a drawing table, no state."""

# ruff: noqa: E741  (l, t, r, b are the natural names for a rectangle)
from __future__ import annotations

import math

from PIL import ImageDraw

from mobile_agent.sim.ui import Rect

__all__ = ["draw_icon"]

RGB = tuple[int, int, int]


# ------------------------------------------------------------------ icons


def draw_icon(d: ImageDraw.ImageDraw, name: str, box: Rect, color: RGB) -> None:
    """Simple vector glyphs, enough for a model to recognise the usual Material icons."""
    l, t, r, b = box
    w, h = r - l, b - t
    cx, cy = (l + r) // 2, (t + b) // 2
    lw = max(4, w // 10)

    def p(fx: float, fy: float) -> tuple[int, int]:
        return (int(l + fx * w), int(t + fy * h))

    if name in ("back", "up"):
        d.line([p(0.85, 0.5), p(0.15, 0.5)], fill=color, width=lw)
        d.line([p(0.45, 0.18), p(0.13, 0.5), p(0.45, 0.82)], fill=color, width=lw, joint="curve")
    elif name == "nav_back":
        d.polygon([p(0.75, 0.15), p(0.2, 0.5), p(0.75, 0.85)], outline=color, width=lw)
    elif name == "nav_home":
        d.ellipse((l, t, r, b), outline=color, width=lw)
    elif name == "nav_recents":
        d.rounded_rectangle(
            (l + w * 0.12, t + h * 0.12, r - w * 0.12, b - h * 0.12), 6, outline=color, width=lw
        )
    elif name in ("plus", "add"):
        d.line([p(0.5, 0.1), p(0.5, 0.9)], fill=color, width=lw)
        d.line([p(0.1, 0.5), p(0.9, 0.5)], fill=color, width=lw)
    elif name == "minus":
        d.line([p(0.1, 0.5), p(0.9, 0.5)], fill=color, width=lw)
    elif name == "close":
        d.line([p(0.15, 0.15), p(0.85, 0.85)], fill=color, width=lw)
        d.line([p(0.85, 0.15), p(0.15, 0.85)], fill=color, width=lw)
    elif name == "search":
        d.ellipse((*p(0.1, 0.1), *p(0.65, 0.65)), outline=color, width=lw)
        d.line([p(0.58, 0.58), p(0.9, 0.9)], fill=color, width=lw)
    elif name == "send":
        d.polygon([p(0.1, 0.1), p(0.95, 0.5), p(0.1, 0.9), p(0.22, 0.5)], fill=color)
    elif name == "delete":
        d.rectangle((*p(0.22, 0.3), *p(0.78, 0.92)), outline=color, width=lw)
        d.line([p(0.1, 0.22), p(0.9, 0.22)], fill=color, width=lw)
        d.line([p(0.38, 0.1), p(0.62, 0.1)], fill=color, width=lw)
    elif name == "edit":
        d.line([p(0.2, 0.8), p(0.8, 0.2)], fill=color, width=lw * 2)
        d.polygon([p(0.1, 0.9), p(0.16, 0.68), p(0.32, 0.84)], fill=color)
    elif name in ("star", "star_outline", "heart", "heart_outline"):
        pts = []
        for i in range(10):
            ang = -math.pi / 2 + i * math.pi / 5
            rad = 0.48 if i % 2 == 0 else 0.2
            pts.append(p(0.5 + rad * math.cos(ang), 0.52 + rad * math.sin(ang)))
        if name.startswith("heart"):
            pts = [
                p(0.5, 0.9),
                p(0.1, 0.45),
                p(0.12, 0.22),
                p(0.3, 0.12),
                p(0.5, 0.28),
                p(0.7, 0.12),
                p(0.88, 0.22),
                p(0.9, 0.45),
            ]
        if name.endswith("outline"):
            d.polygon(pts, outline=color, width=lw)
        else:
            d.polygon(pts, fill=color)
    elif name == "person":
        d.ellipse((*p(0.3, 0.08), *p(0.7, 0.48)), fill=color)
        d.chord((*p(0.1, 0.55), *p(0.9, 1.3)), 180, 360, fill=color)
    elif name == "message":
        d.rounded_rectangle((*p(0.08, 0.12), *p(0.92, 0.72)), max(2, w // 8), fill=color)
        d.polygon([p(0.25, 0.7), p(0.25, 0.92), p(0.48, 0.7)], fill=color)
    elif name == "settings":
        for i in range(8):
            ang = i * math.pi / 4
            d.line(
                [(cx, cy), (cx + int(0.46 * w * math.cos(ang)), cy + int(0.46 * h * math.sin(ang)))],
                fill=color,
                width=lw * 2,
            )
        d.ellipse((*p(0.18, 0.18), *p(0.82, 0.82)), fill=color)
        d.ellipse((*p(0.38, 0.38), *p(0.62, 0.62)), fill=(0, 0, 0, 0) if False else _inverse(color))
    elif name in ("clock", "alarm"):
        d.ellipse((*p(0.08, 0.08), *p(0.92, 0.92)), outline=color, width=lw)
        d.line([p(0.5, 0.5), p(0.5, 0.24)], fill=color, width=lw)
        d.line([p(0.5, 0.5), p(0.7, 0.6)], fill=color, width=lw)
    elif name == "note":
        d.rounded_rectangle((*p(0.15, 0.08), *p(0.85, 0.92)), max(2, w // 12), outline=color, width=lw)
        for fy in (0.32, 0.5, 0.68):
            d.line([p(0.3, fy), p(0.7, fy)], fill=color, width=max(3, lw // 2))
    elif name == "calendar":
        d.rounded_rectangle((*p(0.1, 0.16), *p(0.9, 0.9)), max(2, w // 12), outline=color, width=lw)
        d.rectangle((*p(0.1, 0.16), *p(0.9, 0.36)), fill=color)
        d.line([p(0.3, 0.06), p(0.3, 0.24)], fill=color, width=lw)
        d.line([p(0.7, 0.06), p(0.7, 0.24)], fill=color, width=lw)
    elif name == "gallery":
        d.rounded_rectangle((*p(0.08, 0.15), *p(0.92, 0.85)), max(2, w // 12), outline=color, width=lw)
        d.polygon([p(0.16, 0.78), p(0.4, 0.45), p(0.58, 0.66), p(0.68, 0.55), p(0.84, 0.78)], fill=color)
        d.ellipse((*p(0.62, 0.26), *p(0.76, 0.4)), fill=color)
    elif name == "folder":
        d.polygon(
            [p(0.08, 0.2), p(0.4, 0.2), p(0.48, 0.3), p(0.92, 0.3), p(0.92, 0.84), p(0.08, 0.84)], fill=color
        )
    elif name == "file":
        d.polygon(
            [p(0.2, 0.08), p(0.62, 0.08), p(0.82, 0.28), p(0.82, 0.92), p(0.2, 0.92)], outline=color, width=lw
        )
    elif name == "wifi":
        for i, fr in enumerate((0.9, 0.62, 0.34)):
            rad = fr * w / 2
            d.arc(
                (cx - rad, b - rad - h * 0.08, cx + rad, b + rad - h * 0.08), 225, 315, fill=color, width=lw
            )
            del i
        d.ellipse((cx - lw, b - h * 0.08 - lw, cx + lw, b - h * 0.08 + lw), fill=color)
    elif name == "wifi_off":
        draw_icon(d, "wifi", box, color)
        d.line([p(0.1, 0.1), p(0.9, 0.9)], fill=color, width=lw)
    elif name == "bluetooth":
        d.line(
            [p(0.25, 0.3), p(0.72, 0.7), p(0.5, 0.9), p(0.5, 0.1), p(0.72, 0.3), p(0.25, 0.7)],
            fill=color,
            width=lw,
            joint="curve",
        )
    elif name == "airplane":
        d.polygon(
            [
                p(0.5, 0.05),
                p(0.57, 0.15),
                p(0.57, 0.4),
                p(0.95, 0.62),
                p(0.95, 0.7),
                p(0.57, 0.58),
                p(0.57, 0.8),
                p(0.7, 0.9),
                p(0.7, 0.96),
                p(0.5, 0.9),
                p(0.3, 0.96),
                p(0.3, 0.9),
                p(0.43, 0.8),
                p(0.43, 0.58),
                p(0.05, 0.7),
                p(0.05, 0.62),
                p(0.43, 0.4),
                p(0.43, 0.15),
            ],
            fill=color,
        )
    elif name == "moon":
        d.ellipse((*p(0.1, 0.1), *p(0.9, 0.9)), fill=color)
        d.ellipse((*p(0.35, 0.0), *p(1.05, 0.7)), fill=_inverse(color))
    elif name in ("brightness", "sun"):
        d.ellipse((*p(0.3, 0.3), *p(0.7, 0.7)), fill=color)
        for i in range(8):
            ang = i * math.pi / 4
            d.line(
                [
                    (cx + int(0.3 * w * math.cos(ang)), cy + int(0.3 * h * math.sin(ang))),
                    (cx + int(0.46 * w * math.cos(ang)), cy + int(0.46 * h * math.sin(ang))),
                ],
                fill=color,
                width=lw,
            )
    elif name == "info":
        d.ellipse((*p(0.08, 0.08), *p(0.92, 0.92)), outline=color, width=lw)
        d.line([p(0.5, 0.45), p(0.5, 0.75)], fill=color, width=lw)
        d.ellipse((cx - lw, int(t + 0.26 * h) - lw, cx + lw, int(t + 0.26 * h) + lw), fill=color)
    elif name == "phone":
        d.arc((*p(0.1, 0.1), *p(1.3, 1.3)), 180, 270, fill=color, width=lw * 2)
        d.rounded_rectangle((*p(0.08, 0.1), *p(0.3, 0.35)), 4, fill=color)
        d.rounded_rectangle((*p(0.65, 0.7), *p(0.9, 0.92)), 4, fill=color)
    elif name == "mail":
        d.rectangle((*p(0.08, 0.2), *p(0.92, 0.8)), outline=color, width=lw)
        d.line([p(0.08, 0.22), p(0.5, 0.55), p(0.92, 0.22)], fill=color, width=lw)
    elif name == "check":
        d.line([p(0.12, 0.52), p(0.4, 0.8), p(0.9, 0.25)], fill=color, width=lw, joint="curve")
    elif name == "chevron":
        d.line([p(0.35, 0.15), p(0.7, 0.5), p(0.35, 0.85)], fill=color, width=lw, joint="curve")
    elif name == "apps":
        for fx in (0.2, 0.5, 0.8):
            for fy in (0.2, 0.5, 0.8):
                x, y = p(fx, fy)
                d.ellipse((x - w * 0.09, y - h * 0.09, x + w * 0.09, y + h * 0.09), fill=color)
    elif name == "backspace":
        d.polygon(
            [p(0.3, 0.2), p(0.95, 0.2), p(0.95, 0.8), p(0.3, 0.8), p(0.05, 0.5)], outline=color, width=lw
        )
        d.line([p(0.48, 0.36), p(0.76, 0.64)], fill=color, width=lw)
        d.line([p(0.76, 0.36), p(0.48, 0.64)], fill=color, width=lw)
    elif name == "enter":
        d.line([p(0.85, 0.15), p(0.85, 0.6), p(0.15, 0.6)], fill=color, width=lw)
        d.line([p(0.38, 0.38), p(0.15, 0.6), p(0.38, 0.82)], fill=color, width=lw)
    elif name == "shift":
        d.polygon(
            [
                p(0.5, 0.08),
                p(0.92, 0.52),
                p(0.7, 0.52),
                p(0.7, 0.9),
                p(0.3, 0.9),
                p(0.3, 0.52),
                p(0.08, 0.52),
            ],
            outline=color,
            width=max(3, lw // 2),
        )
    elif name == "more":
        for fy in (0.2, 0.5, 0.8):
            x, y = p(0.5, fy)
            d.ellipse((x - w * 0.09, y - h * 0.09, x + w * 0.09, y + h * 0.09), fill=color)
    else:  # unknown: a dot, never an error
        d.ellipse((*p(0.3, 0.3), *p(0.7, 0.7)), fill=color)


def _inverse(c: RGB) -> RGB:
    # the holes in glyphs are cut with the colour of the circle behind (apps: white glyph on colour)
    return (40, 40, 40) if sum(c) > 380 else (245, 245, 245)
