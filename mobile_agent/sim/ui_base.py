"""The widget toolkit's core: geometry types, `View` (every field a uiautomator dump shows) and
the layouts (frame, linear, scrolling, grid) that give each View its bounds."""

# ruff: noqa: E741  (l, t, r, b are the natural names for a rectangle)
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "Box",
    "Color",
    "FrameLayout",
    "GridView",
    "Handler",
    "LinearLayout",
    "Rect",
    "RecyclerView",
    "ScrollView",
    "View",
    "intersect",
    "is_empty",
    "place_in_frame",
]

Rect = tuple[int, int, int, int]  # left, top, right, bottom (right/bottom exclusive)
Color = tuple[int, int, int] | str | None  # RGB, a theme role name, or None (transparent)
Handler = Callable[[], None] | None
Box = tuple[int, int, int, int]


def _box(v: int | Box) -> Box:
    return (v, v, v, v) if isinstance(v, int) else v


def intersect(a: Rect, b: Rect) -> Rect:
    l, t = max(a[0], b[0]), max(a[1], b[1])
    r, bt = min(a[2], b[2]), min(a[3], b[3])
    return (l, t, max(l, r), max(t, bt))


def is_empty(r: Rect) -> bool:
    return r[2] <= r[0] or r[3] <= r[1]


class View:
    """A node: layout parameters, accessibility fields, a click handler and children."""

    cls = "android.view.View"
    kind = "view"

    def __init__(
        self,
        *children: View | None,
        rid: str = "",
        text: str = "",
        desc: str = "",
        on_click: Handler = None,
        on_long_click: Handler = None,
        checkable: bool = False,
        checked: bool = False,
        enabled: bool = True,
        focusable: bool = False,
        focused: bool = False,
        selected: bool = False,
        password: bool = False,
        bg: Color = None,
        radius: int = 0,
        border: Color = None,
        height: int | None = None,
        width: int | None = None,
        weight: float = 0,
        margin: int | Box = 0,
        padding: int | Box = 0,
        align: str = "",
        cls: str | None = None,
    ) -> None:
        self.children: list[View] = [c for c in children if c is not None]
        self.rid, self.text, self.desc = rid, text, desc
        self.on_click, self.on_long_click = on_click, on_long_click
        self.checkable, self.checked, self.enabled = checkable, checked, enabled
        self.focusable, self.focused, self.selected = focusable, focused, selected
        self.password = password
        self.bg, self.radius, self.border = bg, radius, border
        self.height, self.width, self.weight = height, width, weight
        self.margin, self.padding = _box(margin), _box(padding)
        self.align = align
        if cls:
            self.cls = cls
        self.bounds: Rect = (0, 0, 0, 0)
        self.clip: Rect = (0, 0, 0, 0)  # visible part (bounds clipped by scrolling ancestors)
        self.package = ""

    # accessibility flags derived from handlers
    @property
    def clickable(self) -> bool:
        return self.on_click is not None

    @property
    def long_clickable(self) -> bool:
        return self.on_long_click is not None

    @property
    def scrollable(self) -> bool:
        return False

    def click(self, x: int, y: int) -> None:
        """Called by the phone when a tap lands on this (clickable) view."""
        if self.on_click is not None and self.enabled:
            self.on_click()

    # layout
    def measure(self, width: int) -> int:
        """Preferred height for a given width (wrap_content)."""
        return self.padding[1] + self.padding[3]

    def measure_width(self) -> int:
        """Preferred width (wrap_content in a horizontal row)."""
        return self.width if self.width is not None else self.padding[0] + self.padding[2]

    def outer_height(self, width: int) -> int:
        inner_w = width - self.margin[0] - self.margin[2]
        h = self.height if self.height is not None else self.measure(inner_w)
        return h + self.margin[1] + self.margin[3]

    def layout(self, rect: Rect, clip: Rect) -> None:
        """Place this view in `rect` (already without margins); `clip` is the visible area."""
        self.bounds = rect
        self.clip = intersect(rect, clip)
        self.layout_children(clip)

    def content_rect(self) -> Rect:
        l, t, r, b = self.bounds
        return (l + self.padding[0], t + self.padding[1], r - self.padding[2], b - self.padding[3])

    def layout_children(self, clip: Rect) -> None:
        for c in self.children:
            place_in_frame(c, self.content_rect(), clip)

    def walk(self) -> Iterator[View]:
        yield self
        for c in self.children:
            yield from c.walk()


def place_in_frame(c: View, area: Rect, clip: Rect) -> None:
    """FrameLayout placement: fill, or a fixed size aligned by `c.align` (e.g. "bottom right")."""
    l, t, r, b = area
    l, t, r, b = l + c.margin[0], t + c.margin[1], r - c.margin[2], b - c.margin[3]
    w = c.width if c.width is not None else r - l
    if c.height is not None:
        h = c.height
    elif c.width is not None or "wrap" in c.align:
        h = c.measure(w)
    else:
        h = b - t
    tokens = c.align.split()
    x = l
    if "right" in tokens:
        x = r - w
    elif "hcenter" in tokens or "center" in tokens:
        x = l + (r - l - w) // 2
    y = t
    if "bottom" in tokens:
        y = b - h
    elif "vcenter" in tokens or "center" in tokens:
        y = t + (b - t - h) // 2
    c.layout((x, y, x + w, y + h), clip)


class FrameLayout(View):
    cls = "android.widget.FrameLayout"
    kind = "frame"

    def measure(self, width: int) -> int:
        inner = width - self.padding[0] - self.padding[2]
        hs = [c.outer_height(inner) for c in self.children]
        return max(hs, default=0) + self.padding[1] + self.padding[3]


class LinearLayout(View):
    """Vertical (`horizontal=False`) or horizontal stack; `weight` children share the rest."""

    cls = "android.widget.LinearLayout"
    kind = "linear"

    def __init__(self, *children: View | None, horizontal: bool = False, spacing: int = 0, **kw: Any) -> None:
        super().__init__(*children, **kw)
        self.horizontal = horizontal
        self.spacing = spacing

    def _widths(self, inner_w: int) -> list[int]:
        fixed = 0
        weights = 0.0
        ws: list[int | None] = []
        for c in self.children:
            m = c.margin[0] + c.margin[2]
            if c.weight:
                ws.append(None)
                weights += c.weight
                fixed += m
            else:
                w = c.width if c.width is not None else c.measure_width()
                ws.append(w)
                fixed += w + m
        fixed += self.spacing * max(0, len(self.children) - 1)
        rest = max(0, inner_w - fixed)
        out = []
        for c, given in zip(self.children, ws, strict=True):
            out.append(given if given is not None else int(rest * c.weight / weights))
        return out

    def measure(self, width: int) -> int:
        inner = width - self.padding[0] - self.padding[2]
        pad = self.padding[1] + self.padding[3]
        if self.horizontal:
            hs = [
                c.outer_height(w + c.margin[0] + c.margin[2])
                for c, w in zip(self.children, self._widths(inner), strict=True)
            ]
            return max(hs, default=0) + pad
        total = sum(c.outer_height(inner) for c in self.children)
        return total + self.spacing * max(0, len(self.children) - 1) + pad

    def measure_width(self) -> int:
        if self.width is not None:
            return self.width
        if self.horizontal:
            ws = [
                (c.width if c.width is not None else c.measure_width()) + c.margin[0] + c.margin[2]
                for c in self.children
            ]
            return sum(ws) + self.spacing * max(0, len(ws) - 1) + self.padding[0] + self.padding[2]
        return max((c.measure_width() for c in self.children), default=0) + self.padding[0] + self.padding[2]

    def layout_children(self, clip: Rect) -> None:
        l, t, r, b = self.content_rect()
        if self.horizontal:
            x = l
            for c, w in zip(self.children, self._widths(r - l), strict=True):
                x += c.margin[0]
                if c.height is not None:
                    h = c.height
                    y = t + c.margin[1] + (b - t - c.margin[1] - c.margin[3] - h) // 2
                else:
                    y, h = t + c.margin[1], b - t - c.margin[1] - c.margin[3]
                c.layout((x, y, x + w, y + h), clip)
                x += w + c.margin[2] + self.spacing
            return
        inner_w = r - l
        heights: list[int | None] = []
        fixed = 0
        weights = 0.0
        for c in self.children:
            if c.weight:
                heights.append(None)
                weights += c.weight
                fixed += c.margin[1] + c.margin[3]
            else:
                h = c.outer_height(inner_w)
                heights.append(h)
                fixed += h
        fixed += self.spacing * max(0, len(self.children) - 1)
        rest = max(0, (b - t) - fixed)
        y = t
        for c, measured in zip(self.children, heights, strict=True):
            oh = (
                measured
                if measured is not None
                else int(rest * c.weight / weights) + c.margin[1] + c.margin[3]
            )
            box = (l + c.margin[0], y + c.margin[1], r - c.margin[2], y + oh - c.margin[3])
            if c.width is not None:
                w = c.width
                area_w = box[2] - box[0]
                x0 = box[0]
                if "right" in c.align:
                    x0 = box[2] - w
                elif "center" in c.align:
                    x0 = box[0] + (area_w - w) // 2
                box = (x0, box[1], x0 + w, box[3])
            c.layout(box, clip)
            y += oh + self.spacing


class ScrollView(LinearLayout):
    """A vertical list whose children scroll; the offset lives in app state (`store[key]`)."""

    cls = "android.widget.ScrollView"
    kind = "scroll"

    def __init__(
        self,
        *children: View | None,
        store: dict[str, int] | None = None,
        key: str = "",
        stick_bottom: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(*children, **kw)
        self.store = store if store is not None else {}
        self.key = key or kw.get("rid", "") or "scroll"
        self.stick_bottom = stick_bottom
        self.content_height = 0
        self.max_scroll = 0

    @property
    def scrollable(self) -> bool:
        return self.max_scroll > 0

    @property
    def offset(self) -> int:
        default = self.max_scroll if self.stick_bottom else 0
        return max(0, min(self.max_scroll, self.store.get(self.key, default)))

    def scroll_by(self, dy: int) -> bool:
        """Scroll the content by dy px (positive: content moves up). True when it moved."""
        old = self.offset
        new = max(0, min(self.max_scroll, old + dy))
        self.store[self.key] = new
        return new != old

    def layout(self, rect: Rect, clip: Rect) -> None:
        self.bounds = rect
        self.clip = intersect(rect, clip)
        l, t, r, _ = self.content_rect()
        inner_w = r - l
        hs = [c.outer_height(inner_w) for c in self.children]
        self.content_height = sum(hs) + self.spacing * max(0, len(hs) - 1) + self.padding[1] + self.padding[3]
        self.max_scroll = max(0, self.content_height - (rect[3] - rect[1]))
        y = t - self.offset
        inner_clip = self.clip
        for c, h in zip(self.children, hs, strict=True):
            box = (l + c.margin[0], y + c.margin[1], r - c.margin[2], y + h - c.margin[3])
            if c.width is not None:
                x0 = box[0] + ((box[2] - box[0] - c.width) // 2 if "center" in c.align else 0)
                box = (x0, box[1], x0 + c.width, box[3])
            c.layout(box, inner_clip)
            y += h + self.spacing


class RecyclerView(ScrollView):
    cls = "androidx.recyclerview.widget.RecyclerView"


class GridView(ScrollView):
    """A scrolling grid: children are placed `columns` per row with a fixed `cell_height`."""

    cls = "android.widget.GridView"

    def __init__(self, *children: View | None, columns: int = 3, cell_height: int = 300, **kw: Any) -> None:
        super().__init__(*children, **kw)
        self.columns, self.cell_height = columns, cell_height

    def layout(self, rect: Rect, clip: Rect) -> None:
        self.bounds = rect
        self.clip = intersect(rect, clip)
        l, t, r, _ = self.content_rect()
        rows = (len(self.children) + self.columns - 1) // self.columns
        self.content_height = rows * self.cell_height + self.padding[1] + self.padding[3]
        self.max_scroll = max(0, self.content_height - (rect[3] - rect[1]))
        cw = (r - l) // self.columns
        for i, c in enumerate(self.children):
            row, col = divmod(i, self.columns)
            x = l + col * cw
            y = t - self.offset + row * self.cell_height
            box = (x + c.margin[0], y + c.margin[1], x + cw - c.margin[2], y + self.cell_height - c.margin[3])
            c.layout(box, self.clip)
