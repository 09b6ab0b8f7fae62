"""Pillow rendering of the widget tree, the system bars, the soft keyboard and generated pictures.

Everything is drawn from the same `View.bounds` the XML reports, so what a vision model sees and
what `uiautomator dump` says always agree. No clock, no randomness: same tree, same pixels.
"""

# ruff: noqa: E741  (l, t, r, b are the natural names for a rectangle)
from __future__ import annotations

from typing import Any

from PIL import Image, ImageDraw

from mobile_agent.sim import fonts
from mobile_agent.sim.geometry import ADB_KB_H, KB_H, KB_PAD, KEY_ROW_H, NAV_H, STATUS_H, H, W
from mobile_agent.sim.render_icons import draw_icon
from mobile_agent.sim.render_pictures import picture
from mobile_agent.sim.ui import (
    Color,
    EditText,
    ImageView,
    Rect,
    ScrollView,
    SeekBar,
    TextView,
    View,
    is_empty,
)

__all__ = [
    "ADB_KB_H",
    "DARK",
    "KB_H",
    "LIGHT",
    "NAV_H",
    "STATUS_H",
    "H",
    "W",
    "draw_adb_keyboard",
    "draw_keyboard",
    "draw_toast",
    "draw_tree",
    "keyboard_keys",
    "nav_bar",
    "nav_button_at",
    "status_bar",
    "theme",
]

RGB = tuple[int, int, int]


LIGHT: dict[str, RGB] = {
    "bg": (250, 250, 252),
    "surface": (255, 255, 255),
    "card": (238, 241, 247),
    "text": (28, 27, 31),
    "text2": (92, 94, 102),
    "primary": (26, 115, 232),
    "on_primary": (255, 255, 255),
    "tonal": (211, 227, 253),
    "on_tonal": (4, 30, 73),
    "divider": (222, 224, 230),
    "field": (233, 236, 242),
    "field_focus": (220, 230, 250),
    "selection": (168, 199, 250),
    "error": (198, 40, 40),
    "appbar": (250, 250, 252),
    "bubble_in": (230, 234, 241),
    "bubble_out": (26, 115, 232),
    "on_bubble_out": (255, 255, 255),
    "nav": (243, 244, 248),
    "nav_icon": (60, 62, 70),
    "kb": (222, 226, 233),
    "key": (255, 255, 255),
    "key2": (191, 198, 210),
    "on_wallpaper": (255, 255, 255),
    "switch_off": (190, 193, 200),
    "selected": (211, 227, 253),
}
DARK: dict[str, RGB] = {
    **LIGHT,
    "bg": (18, 18, 21),
    "surface": (30, 31, 35),
    "card": (40, 42, 48),
    "text": (230, 230, 236),
    "text2": (170, 172, 180),
    "primary": (138, 180, 248),
    "on_primary": (0, 38, 84),
    "tonal": (40, 62, 100),
    "on_tonal": (211, 227, 253),
    "divider": (58, 60, 66),
    "field": (44, 47, 54),
    "field_focus": (40, 58, 90),
    "selection": (52, 92, 150),
    "error": (242, 139, 130),
    "appbar": (18, 18, 21),
    "bubble_in": (48, 51, 58),
    "bubble_out": (138, 180, 248),
    "on_bubble_out": (0, 38, 84),
    "nav": (24, 24, 28),
    "nav_icon": (210, 210, 216),
    "kb": (34, 36, 40),
    "key": (62, 64, 70),
    "key2": (46, 48, 54),
    "switch_off": (90, 92, 100),
    "selected": (40, 62, 100),
}


def theme(dark: bool) -> dict[str, RGB]:
    return DARK if dark else LIGHT


def col(c: Color, th: dict[str, RGB]) -> RGB | None:
    if c is None:
        return None
    if isinstance(c, str):
        return th[c]
    return c


def shift(r: Rect, ox: int, oy: int) -> Rect:
    return (r[0] - ox, r[1] - oy, r[2] - ox, r[3] - oy)


# ------------------------------------------------------------------ tree


def draw_tree(img: Image.Image, view: View, th: dict[str, RGB], ox: int = 0, oy: int = 0) -> None:
    """Draw `view` and its children onto `img`, whose top-left is screen point (ox, oy)."""
    if is_empty(view.clip):
        return
    d = ImageDraw.Draw(img)
    draw_view(d, img, view, th, ox, oy)
    if isinstance(view, ScrollView):
        cl = view.clip
        sub = img.crop(shift(cl, ox, oy))
        for c in view.children:
            if not is_empty(c.clip):
                draw_tree(sub, c, th, cl[0], cl[1])
        img.paste(sub, (cl[0] - ox, cl[1] - oy))
        if view.max_scroll > 0:
            _scrollbar(d, view, th, ox, oy)
        return
    for c in view.children:
        draw_tree(img, c, th, ox, oy)


def _scrollbar(d: ImageDraw.ImageDraw, v: ScrollView, th: dict[str, RGB], ox: int, oy: int) -> None:
    _, t, r, b = shift(v.bounds, ox, oy)
    vh = b - t
    frac = vh / max(1, v.content_height)
    bar = max(60, int(vh * frac))
    top = t + int((vh - bar) * (v.offset / max(1, v.max_scroll)))
    d.rounded_rectangle((r - 14, top, r - 6, top + bar), 4, fill=th["switch_off"])


def draw_view(
    d: ImageDraw.ImageDraw, img: Image.Image, v: View, th: dict[str, RGB], ox: int, oy: int
) -> None:
    box = shift(v.bounds, ox, oy)
    if v.kind == "scrim":
        region = img.crop(box)
        img.paste(Image.blend(region, Image.new("RGB", region.size, (0, 0, 0)), 0.55), box[:2])
        return
    bg = col(v.bg, th)
    if isinstance(v, EditText) and v.focused:
        bg = th["field_focus"]
    if bg is not None or v.border is not None:
        rect = (box[0], box[1], box[2] - 1, box[3] - 1)
        if v.radius:
            radius = min(v.radius, (box[3] - box[1]) // 2, (box[2] - box[0]) // 2)
            d.rounded_rectangle(rect, radius, fill=bg, outline=col(v.border, th), width=3)
        else:
            d.rectangle(rect, fill=bg, outline=col(v.border, th), width=3 if v.border else 0)
    kind = v.kind
    if kind in ("text", "button", "edit"):
        assert isinstance(v, TextView)
        _text(d, v, box, th)
        if isinstance(v, EditText) and v.focused:
            _caret(d, v, box, th)
            d.line(
                (box[0] + v.radius, box[3] - 4, box[2] - v.radius, box[3] - 4), fill=th["primary"], width=5
            )
        if kind == "button" and not v.enabled:
            d.rounded_rectangle(
                (box[0], box[1], box[2] - 1, box[3] - 1), v.radius, fill=None, outline=th["divider"]
            )
    elif kind == "image":
        assert isinstance(v, ImageView)
        _image(d, img, v, box, th)
    elif kind == "appicon":
        _appicon(d, v, box, th)
    elif kind in ("switch", "checkbox"):
        _switch(d, v, box, th)
    elif kind == "seek":
        assert isinstance(v, SeekBar)
        _seek(d, v, box, th)


def _text(d: ImageDraw.ImageDraw, v: TextView, box: Rect, th: dict[str, RGB]) -> None:
    l, t, r, b = box
    l, t, r, b = l + v.padding[0], t + v.padding[1], r - v.padding[2], b - v.padding[3]
    lines = v.lines(box[2] - box[0])
    color = col(v.color, th) or th["text"]
    if isinstance(v, EditText) and not v.text:
        color = th["text2"]
    if not v.enabled:
        color = th["text2"]
    font = fonts.get_font(v.size, v.bold)
    lh = v.line_height
    total = lh * len(lines)
    y = t
    if not (isinstance(v, EditText) and v.multiline):
        y = t + max(0, (b - t - total) // 2)
    selection = isinstance(v, EditText) and v.selected and bool(v.text)
    for line in lines:
        if selection:  # the long-press selection, highlighted as Android does
            w = int(d.textlength(line, font=font))
            d.rectangle((l - 2, y + 4, l + w + 2, y + lh - 4), fill=th.get("selection", (174, 203, 250)))
        if v.align_text == "center":
            d.text(((l + r) // 2, y + lh // 2), line, font=font, fill=color, anchor="mm")
        elif v.align_text == "right":
            d.text((r, y + lh // 2), line, font=font, fill=color, anchor="rm")
        else:
            d.text((l, y + lh // 2), line, font=font, fill=color, anchor="lm")
        y += lh


def _caret(d: ImageDraw.ImageDraw, v: EditText, box: Rect, th: dict[str, RGB]) -> None:
    l, t, r, b = box
    inner_l, inner_r = l + v.padding[0], r - v.padding[2]
    lines = v.lines(r - l) if v.text else [""]
    lh = v.line_height
    total = lh * len(lines)
    top = t + v.padding[1]
    if not v.multiline:
        top = t + v.padding[1] + max(0, (b - t - v.padding[1] - v.padding[3] - total) // 2)
    last = lines[-1]
    if v.password and v.text:
        last = "•" * len(v.text)
    x = min(inner_r, inner_l + fonts.text_width(last, v.size, v.bold) + 2)
    y = top + lh * (len(lines) - 1)
    d.rectangle((x, y + 8, x + 3, y + lh - 8), fill=th["primary"])


def _switch(d: ImageDraw.ImageDraw, v: View, box: Rect, th: dict[str, RGB]) -> None:
    l, t, r, b = box
    cx, cy = (l + r) // 2, (t + b) // 2
    if v.kind == "checkbox":
        s = 30
        rect = (cx - s, cy - s, cx + s, cy + s)
        if v.checked:
            d.rounded_rectangle(rect, 8, fill=th["primary"])
            d.line((cx - 16, cy, cx - 4, cy + 13, cx + 18, cy - 14), fill=th["on_primary"], width=7)
        else:
            d.rounded_rectangle(rect, 8, outline=th["text2"], width=5)
        return
    tw, thh = 130, 76
    track = (cx - tw // 2, cy - thh // 2, cx + tw // 2, cy + thh // 2)
    if v.checked:
        d.rounded_rectangle(track, thh // 2, fill=th["primary"])
        kx = track[2] - thh // 2
        d.ellipse((kx - 27, cy - 27, kx + 27, cy + 27), fill=th["on_primary"])
        d.line((kx - 11, cy, kx - 3, cy + 9, kx + 12, cy - 9), fill=th["primary"], width=5)
    else:
        d.rounded_rectangle(track, thh // 2, fill=th["card"], outline=th["text2"], width=4)
        kx = track[0] + thh // 2
        d.ellipse((kx - 19, cy - 19, kx + 19, cy + 19), fill=th["text2"])
    if not v.enabled:
        d.rounded_rectangle(track, thh // 2, outline=th["divider"], width=4)


def _seek(d: ImageDraw.ImageDraw, v: SeekBar, box: Rect, th: dict[str, RGB]) -> None:
    l, t, r, b = box
    pad = 48
    cy = (t + b) // 2
    x0, x1 = l + pad, r - pad
    xv = x0 + int((x1 - x0) * v.value / max(1, v.maximum))
    d.rounded_rectangle((x0, cy - 8, x1, cy + 8), 8, fill=th["tonal"])
    d.rounded_rectangle((x0, cy - 8, max(x0 + 16, xv), cy + 8), 8, fill=th["primary"])
    d.ellipse((xv - 26, cy - 26, xv + 26, cy + 26), fill=th["primary"])


def _appicon(d: ImageDraw.ImageDraw, v: Any, box: Rect, th: dict[str, RGB]) -> None:
    l, t, r, _ = box
    cx = (l + r) // 2
    rad = 78
    cy = t + 20 + rad
    d.ellipse((cx - rad, cy - rad, cx + rad, cy + rad), fill=v.icon_color)
    draw_icon(d, v.icon, (cx - 48, cy - 48, cx + 48, cy + 48), (255, 255, 255))
    font = fonts.get_font(v.size, False)
    label = fonts.ellipsize(v.text, v.size, r - l - 8)
    color = col(v.color, th) or th["text"]
    if color == (255, 255, 255):
        d.text((cx + 2, cy + rad + 42 + 2), label, font=font, fill=(0, 0, 0), anchor="mm")
    d.text((cx, cy + rad + 42), label, font=font, fill=color, anchor="mm")


def _image(d: ImageDraw.ImageDraw, img: Image.Image, v: ImageView, box: Rect, th: dict[str, RGB]) -> None:
    l, t, r, b = box
    if v.picture is not None:
        if isinstance(v.picture, Image.Image):
            pic = (
                v.picture
                if v.picture.size == (r - l, b - t)
                else v.picture.resize((max(1, r - l), max(1, b - t)))
            )
        else:
            pic = picture(v.picture, r - l, b - t)
        img.paste(pic, (l, t))
        if v.border is not None:
            ImageDraw.Draw(img).rectangle((l, t, r - 1, b - 1), outline=col(v.border, th), width=3)
        return
    cx, cy = (l + r) // 2, (t + b) // 2
    size = v.icon_size or min(r - l, b - t)
    circle = col(v.circle, th)
    if circle is not None:
        rad = size // 2
        d.ellipse((cx - rad, cy - rad, cx + rad, cy + rad), fill=circle)
    color = col(v.color, th) or th["text"]
    if v.letter:
        fs = int(size * 0.45)
        d.text((cx, cy), v.letter, font=fonts.get_font(fs, True), fill=color, anchor="mm")
        return
    s = int(size * (0.32 if circle is not None else 0.36))
    draw_icon(d, v.icon, (cx - s, cy - s, cx + s, cy + s), color)


def status_bar(
    img: Image.Image,
    clock: str,
    *,
    battery: int,
    wifi: bool,
    airplane: bool,
    bluetooth: bool,
    fg: RGB,
    bg: RGB | None,
) -> None:
    d = ImageDraw.Draw(img)
    if bg is not None:
        d.rectangle((0, 0, W, STATUS_H), fill=bg)
    f = fonts.get_font(38, True)
    d.text((56, STATUS_H // 2), clock, font=f, fill=fg, anchor="lm")
    x = W - 48
    # battery: outline, fill and percentage
    bw, bh = 34, 56
    y0 = (STATUS_H - bh) // 2
    d.rounded_rectangle((x - bw, y0 + 4, x, y0 + bh), 5, outline=fg, width=4)
    d.rectangle((x - bw + 10, y0, x - 10, y0 + 4), fill=fg)
    fill_h = int((bh - 12) * battery / 100)
    d.rectangle((x - bw + 8, y0 + bh - 4 - fill_h, x - 8, y0 + bh - 8), fill=fg)
    x -= bw + 12
    pct = f"{battery}%"
    f2 = fonts.get_font(34, False)
    d.text((x, STATUS_H // 2), pct, font=f2, fill=fg, anchor="rm")
    x -= fonts.text_width(pct, 34) + 24
    if wifi:
        draw_icon(d, "wifi", (x - 52, 14, x, 66), fg)
        x -= 70
    if bluetooth:
        draw_icon(d, "bluetooth", (x - 40, 18, x, 64), fg)
        x -= 56
    if airplane:
        draw_icon(d, "airplane", (x - 50, 16, x, 66), fg)
        x -= 66


NAV_BUTTONS = (("back", W // 6), ("home", W // 2), ("recents", 5 * W // 6))


def nav_bar(img: Image.Image, th: dict[str, RGB], transparent: bool = False) -> None:
    d = ImageDraw.Draw(img)
    top = H - NAV_H
    if not transparent:
        d.rectangle((0, top, W, H), fill=th["nav"])
    color = (255, 255, 255) if transparent else th["nav_icon"]
    cy = top + NAV_H // 2
    for name, cx in NAV_BUTTONS:
        s = 26 if name != "home" else 30
        draw_icon(d, "nav_" + name, (cx - s, cy - s, cx + s, cy + s), color)


def nav_button_at(x: int, y: int) -> str | None:
    if y < H - NAV_H or y >= H or not 0 <= x < W:
        return None
    return NAV_BUTTONS[min(2, x * 3 // W)][0]


# ------------------------------------------------------------------ soft keyboard

KEY_ROWS = (
    list("1234567890"),
    list("qwertyuiop"),
    list("asdfghjkl"),
    ["SHIFT", *"zxcvbnm", "DEL"],
    ["@", ",", "SPACE", ".", "ENTER"],
)


def keyboard_keys(shifted: bool) -> list[tuple[str, Rect]]:
    """Key labels and their screen rectangles (the keyboard sits just above the nav bar)."""
    top = H - NAV_H - KB_H + KB_PAD
    keys: list[tuple[str, Rect]] = []
    unit = (W - 2 * 8) / 10
    for ri, row in enumerate(KEY_ROWS):
        y0 = top + ri * KEY_ROW_H
        if ri == 2:
            x = 8 + unit / 2
            widths = [unit] * len(row)
        elif ri == 3:
            x = 8
            widths = [unit * 1.5] + [unit] * 7 + [unit * 1.5]
        elif ri == 4:
            x = 8
            widths = [unit, unit, unit * 5, unit, unit * 2]
        else:
            x = 8
            widths = [unit] * len(row)
        for label, kw in zip(row, widths, strict=True):
            lab = label.upper() if shifted and len(label) == 1 else label
            keys.append((lab, (int(x), y0, int(x + kw), y0 + KEY_ROW_H)))
            x += kw
    return keys


def draw_keyboard(img: Image.Image, th: dict[str, RGB], shifted: bool) -> None:
    d = ImageDraw.Draw(img)
    top = H - NAV_H - KB_H
    d.rectangle((0, top, W, H - NAV_H), fill=th["kb"])
    f = fonts.get_font(48, False)
    for label, (l, t, r, b) in keyboard_keys(shifted):
        special = label in ("SHIFT", "DEL", "ENTER")
        d.rounded_rectangle((l + 6, t + 8, r - 6, b - 8), 14, fill=th["key2"] if special else th["key"])
        cx, cy = (l + r) // 2, (t + b) // 2
        if label == "DEL":
            draw_icon(d, "backspace", (cx - 30, cy - 24, cx + 30, cy + 24), th["text"])
        elif label == "ENTER":
            draw_icon(d, "enter", (cx - 28, cy - 28, cx + 28, cy + 28), th["text"])
        elif label == "SHIFT":
            draw_icon(
                d, "shift", (cx - 26, cy - 26, cx + 26, cy + 26), th["primary"] if shifted else th["text"]
            )
        elif label == "SPACE":
            d.text((cx, cy), "space", font=fonts.get_font(34), fill=th["text2"], anchor="mm")
        else:
            d.text((cx, cy), label, font=f, fill=th["text"], anchor="mm")


def draw_adb_keyboard(img: Image.Image, th: dict[str, RGB]) -> None:
    d = ImageDraw.Draw(img)
    top = H - NAV_H - ADB_KB_H
    d.rectangle((0, top, W, H - NAV_H), fill=th["kb"])
    d.text(
        (W // 2, top + ADB_KB_H // 2),
        "ADB Keyboard {ON}",
        font=fonts.get_font(40, True),
        fill=th["text"],
        anchor="mm",
    )


def draw_toast(img: Image.Image, text: str, bottom: int) -> None:
    d = ImageDraw.Draw(img)
    f = fonts.get_font(38)
    text = fonts.ellipsize(text, 38, W - 200)
    tw = fonts.text_width(text, 38)
    l, r = (W - tw) // 2 - 48, (W + tw) // 2 + 48
    d.rounded_rectangle((l, bottom - 230, r, bottom - 120), 55, fill=(50, 50, 54))
    d.text((W // 2, bottom - 175), text, font=f, fill=(245, 245, 245), anchor="mm")
