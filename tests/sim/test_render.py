"""Rendering: real fonts, CJK glyphs, and XML bounds that match the drawn pixels."""

# ruff: noqa: E741
from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET

from PIL import Image, ImageChops

from mobile_agent.sim import fonts, render
from mobile_agent.sim.phone import VirtualPhone


def find(p: VirtualPhone, **attrs: str) -> ET.Element | None:
    for n in ET.fromstring(p.dump_hierarchy().encode()).iter("node"):
        if all(n.get(k.replace("_", "-")) == v for k, v in attrs.items()):
            return n
    return None


def bounds(n: ET.Element | None) -> tuple[int, int, int, int]:
    assert n is not None
    l, t, r, b = map(int, re.findall(r"\d+", n.get("bounds", "")))
    return l, t, r, b


def tap(p: VirtualPhone, **attrs: str) -> None:
    l, t, r, b = bounds(find(p, **attrs))
    p.tap((l + r) // 2, (t + b) // 2)


def ink_bbox(
    img: Image.Image, box: tuple[int, int, int, int], bg: tuple[int, int, int]
) -> tuple[int, ...] | None:
    """Bounding box (screen coordinates) of pixels in `box` that differ from `bg`."""
    crop = img.crop(box)
    diff = (
        ImageChops.difference(crop, Image.new("RGB", crop.size, bg))
        .convert("L")
        .point(lambda v: 255 if v > 40 else 0)
    )
    bb = diff.getbbox()
    if bb is None:
        return None
    return (bb[0] + box[0], bb[1] + box[1], bb[2] + box[0], bb[3] + box[1])


def test_truetype_fonts_with_cjk_are_used() -> None:
    path = fonts.font_path()
    assert path is not None and ("Noto" in path or "DejaVu" in path)
    font = fonts.get_font(48)
    assert font is fonts.get_font(48)  # cached
    if "CJK" in path:
        # a CJK glyph renders as a real shape: different CJK characters give different ink
        a = Image.new("L", (80, 80))
        b = Image.new("L", (80, 80))
        from PIL import ImageDraw

        ImageDraw.Draw(a).text((10, 10), "你", font=font, fill=255)
        ImageDraw.Draw(b).text((10, 10), "好", font=font, fill=255)
        assert ImageChops.difference(a, b).getbbox() is not None


def test_button_pixels_lie_inside_its_bounds() -> None:
    p = VirtualPhone(0)
    tap(p, text="Contacts")
    tap(p, content_desc="Create contact")
    save = find(p, resource_id="com.android.contacts:id/editor_menu_save_button")
    l, t, r, b = bounds(save)
    img = p.screenshot()
    primary = render.LIGHT["primary"]
    assert img.getpixel(((l + r) // 2, t + 6)) == primary
    assert img.getpixel(((l + r) // 2, b - 6)) == primary
    assert img.getpixel((l + 70, (t + b) // 2)) == primary
    # just outside the button: the app bar background
    assert img.getpixel(((l + r) // 2, t - 4)) != primary
    assert img.getpixel((r + 4, (t + b) // 2)) != primary
    # the label's ink is inside the bounds
    inner = (l + 20, t + 30, r - 20, b - 30)  # clear of the pill's rounded ends
    ink = ink_bbox(img, inner, primary)
    assert (
        ink is not None
        and inner[0] < ink[0]
        and ink[2] < inner[2]
        and inner[1] < ink[1]
        and ink[3] < inner[3]
    )


def test_text_is_drawn_inside_its_node() -> None:
    p = VirtualPhone(0)
    tap(p, text="Settings")
    img = p.screenshot()
    bg = render.LIGHT["bg"]
    for label in ("Wi-Fi", "Bluetooth", "Airplane mode", "Display", "About phone"):
        node = find(p, text=label)
        l, t, r, b = bounds(node)
        ink = ink_bbox(img, (l, t, r, b), bg)
        assert ink is not None, label
        # and all of the row's title ink is inside the node: nothing leaks above or below it
        around = ink_bbox(img, (l, t - 6, r, t), bg)
        assert around is None, label


def test_switch_state_is_visible() -> None:
    p = VirtualPhone(0)
    tap(p, text="Settings")
    sw = find(p, resource_id="com.android.settings:id/switch_widget", checked="true")
    l, t, _r, b = bounds(sw)
    img = p.screenshot()
    assert img.getpixel((l + 30, (t + b) // 2)) == render.LIGHT["primary"]
    tap(p, text="Wi-Fi")
    img = p.screenshot()
    assert img.getpixel((l + 30, (t + b) // 2)) != render.LIGHT["primary"]


def test_dialog_dims_the_screen_and_takes_taps() -> None:
    p = VirtualPhone(0)
    tap(p, text="Notes")
    before = p.screenshot().getpixel((540, 2000))
    first = find(p, resource_id="org.mobileagent.notes:id/note_item")
    l, t, r, b = bounds(first)
    p.long_press((l + r) // 2, (t + b) // 2, 700)
    after = p.screenshot().getpixel((540, 2000))
    assert sum(after) < sum(before) // 2
    ok = find(p, resource_id="android:id/button1")
    _bl, _bt, _br, _bb = bounds(ok)
    assert ok is not None and ok.get("text") == "Delete"
    # a tap outside the card cancels the dialog, nothing is deleted
    n = len(p.content_query("content://org.mobileagent.notes/notes"))
    p.tap(540, 2100)
    assert find(p, resource_id="android:id/button1") is None
    assert len(p.content_query("content://org.mobileagent.notes/notes")) == n


def test_render_speed_is_printed() -> None:
    p = VirtualPhone(0)
    tap(p, text="Messages")
    times = []
    for i in range(5):
        p.swipe(540, 1500, 540, 1400 - i, 200)  # a change each time: no cache
        t0 = time.perf_counter()
        p.screenshot_png()
        times.append(time.perf_counter() - t0)
    times.sort()
    print(f"render+png median {times[2] * 1000:.1f} ms")
    assert times[2] < 1.0  # generous: CI machines are slow; the figure is what matters
