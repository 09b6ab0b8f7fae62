"""A small widget toolkit: a View tree with Android class names, layout, hit testing and XML.

Apps rebuild their tree from plain state whenever the screen changes (state lives in dicts so a
snapshot is a deepcopy); the tree itself is a cheap, throwaway object that knows its bounds.
Everything a uiautomator dump shows (class, text, resource-id, content-desc, flags, bounds) is a
field on `View`; `render.py` draws the same tree, so the XML bounds are exactly the drawn boxes.
"""

# ruff: noqa: E741  (l, t, r, b are the natural names for a rectangle)
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from mobile_agent.sim import fonts

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
        for c, w in zip(self.children, ws, strict=True):
            out.append(w if w is not None else int(rest * c.weight / weights))
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
        for c, h in zip(self.children, heights, strict=True):
            oh = h if h is not None else int(rest * c.weight / weights) + c.margin[1] + c.margin[3]
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


class TextView(View):
    cls = "android.widget.TextView"
    kind = "text"

    def __init__(
        self,
        text: str = "",
        *,
        size: int = 42,
        color: Color = "text",
        bold: bool = False,
        align_text: str = "left",
        max_lines: int = 0,
        **kw: Any,
    ) -> None:
        super().__init__(text=text, **kw)
        self.size, self.color, self.bold = size, color, bold
        self.align_text, self.max_lines = align_text, max_lines

    @property
    def line_height(self) -> int:
        return int(self.size * 1.36)

    def display_text(self) -> str:
        return self.text

    def lines(self, width: int) -> list[str]:
        inner = max(1, width - self.padding[0] - self.padding[2])
        return fonts.wrap(self.display_text(), self.size, inner, self.bold, self.max_lines)

    def measure(self, width: int) -> int:
        n = len(self.lines(width)) or 1
        return n * self.line_height + self.padding[1] + self.padding[3]

    def measure_width(self) -> int:
        if self.width is not None:
            return self.width
        longest = max(
            (fonts.text_width(s, self.size, self.bold) for s in self.display_text().split("\n")), default=0
        )
        return longest + self.padding[0] + self.padding[2]


class Button(TextView):
    cls = "android.widget.Button"
    kind = "button"

    def __init__(self, text: str, on_click: Handler, *, style: str = "filled", **kw: Any) -> None:
        kw.setdefault("height", 126)
        kw.setdefault("padding", (48, 0, 48, 0))
        kw.setdefault("radius", 63)
        kw.setdefault("size", 40)
        kw.setdefault("bold", True)
        kw.setdefault("align_text", "center")
        if style == "filled":
            kw.setdefault("bg", "primary")
            kw.setdefault("color", "on_primary")
        elif style == "tonal":
            kw.setdefault("bg", "tonal")
            kw.setdefault("color", "on_tonal")
        elif style == "danger":
            kw.setdefault("bg", "error")
            kw.setdefault("color", "on_primary")
        else:
            kw.setdefault("color", "primary")
        super().__init__(text, on_click=on_click, focusable=True, **kw)
        self.style = style


class ImageView(View):
    """An icon (named vector shape or a letter in a circle) or a generated picture."""

    cls = "android.widget.ImageView"
    kind = "image"

    def __init__(
        self,
        icon: str = "",
        *,
        color: Color = "text2",
        circle: Color = None,
        letter: str = "",
        picture: Any = None,
        icon_size: int = 0,
        **kw: Any,
    ) -> None:
        kw.setdefault("width", 126)
        kw.setdefault("height", 126)
        super().__init__(**kw)
        if self.on_click is not None and "cls" not in kw:
            self.cls = "android.widget.ImageButton"
        self.icon, self.color, self.circle, self.letter = icon, color, circle, letter
        self.picture = picture
        self.icon_size = icon_size

    def measure(self, width: int) -> int:
        return self.height or 126


class AppIcon(TextView):
    """A launcher shortcut: a round coloured icon with the label under it (a TextView, as in Launcher3)."""

    kind = "appicon"

    def __init__(
        self, label: str, icon: str, icon_color: tuple[int, int, int], on_click: Handler, **kw: Any
    ) -> None:
        kw.setdefault("size", 34)
        kw.setdefault("align_text", "center")
        kw.setdefault("color", "on_wallpaper")
        super().__init__(label, desc=label, on_click=on_click, focusable=True, **kw)
        self.icon, self.icon_color = icon, icon_color

    def measure(self, width: int) -> int:
        return 250


class Switch(View):
    cls = "android.widget.Switch"
    kind = "switch"

    def __init__(self, checked: bool, on_click: Handler = None, **kw: Any) -> None:
        kw.setdefault("width", 156)
        kw.setdefault("height", 96)
        super().__init__(
            checkable=True, checked=checked, on_click=on_click, focusable=on_click is not None, **kw
        )


class CheckBox(Switch):
    cls = "android.widget.CheckBox"
    kind = "checkbox"

    def __init__(self, checked: bool, on_click: Handler = None, **kw: Any) -> None:
        kw.setdefault("width", 96)
        super().__init__(checked, on_click, **kw)


class EditText(TextView):
    """A text field bound to `store[key]`; focus lives in the screen state (`focus_store`)."""

    cls = "android.widget.EditText"
    kind = "edit"

    def __init__(
        self,
        store: dict[str, Any],
        key: str,
        *,
        hint: str = "",
        multiline: bool = False,
        focused: bool = False,
        on_focus: Handler = None,
        on_submit: Handler = None,
        password: bool = False,
        **kw: Any,
    ) -> None:
        kw.setdefault("padding", (36, 24, 36, 24))
        kw.setdefault("bg", "field")
        kw.setdefault("radius", 24)
        kw.setdefault("size", 42)
        if not multiline:
            kw.setdefault("max_lines", 1)
        super().__init__(
            str(store.get(key, "")),
            on_click=on_focus,
            focusable=True,
            focused=focused,
            password=password,
            **kw,
        )
        self.store, self.key = store, key
        self.hint, self.multiline, self.on_submit = hint, multiline, on_submit
        self.long_click_select = True
        if not self.on_long_click:
            self.on_long_click = on_focus

    def display_text(self) -> str:
        t = self.text or self.hint or " "
        if self.password and self.text:
            t = "•" * len(self.text)
        return t

    def lines(self, width: int) -> list[str]:
        inner = max(1, width - self.padding[0] - self.padding[2])
        if not self.multiline:
            t = self.display_text().replace("\n", " ")
            if not self.focused:
                return [fonts.ellipsize(t, self.size, inner, self.bold)]
            return [fonts.fit_tail(t, self.size, inner - 8, self.bold)]  # scrolled to the cursor at the end
        return fonts.wrap(self.display_text(), self.size, inner, self.bold, self.max_lines)

    def measure(self, width: int) -> int:
        n = len(self.lines(width)) if self.multiline else 1
        return max(n, 1) * self.line_height + self.padding[1] + self.padding[3]


class SeekBar(View):
    """A horizontal slider: a tap sets the value proportionally to where it lands."""

    cls = "android.widget.SeekBar"
    kind = "seek"

    def __init__(self, value: int, maximum: int, on_set: Callable[[int], None], **kw: Any) -> None:
        kw.setdefault("height", 96)
        super().__init__(text=str(value), on_click=lambda: None, focusable=True, **kw)
        self.value, self.maximum, self.on_set = value, maximum, on_set

    def click(self, x: int, y: int) -> None:
        l, _, r, _ = self.bounds
        pad = 48
        frac = (x - l - pad) / max(1, (r - l - 2 * pad))
        self.on_set(max(0, min(self.maximum, round(frac * self.maximum))))


class Scrim(View):
    """The dimmed backdrop behind a dialog or the recents screen; a tap on it cancels."""

    cls = "android.widget.FrameLayout"
    kind = "scrim"


class Divider(View):
    kind = "divider"

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("height", 3)
        kw.setdefault("bg", "divider")
        super().__init__(**kw)


class Spacer(View):
    kind = "spacer"

    def __init__(self, height: int | None = None, weight: float = 0, **kw: Any) -> None:
        super().__init__(height=height, weight=weight, **kw)


# -------------------------------------------------------------- hit testing


def _contains(r: Rect, x: int, y: int) -> bool:
    return r[0] <= x < r[2] and r[1] <= y < r[3]


def hit(view: View, x: int, y: int, attr: str = "on_click") -> View | None:
    """The view that takes a touch at (x, y): the deepest, topmost one with a handler."""
    if not _contains(view.clip, x, y):
        return None
    for c in reversed(view.children):
        got = hit(c, x, y, attr)
        if got is not None:
            return got
    if getattr(view, attr) is not None:
        return view
    return None


def scroll_target(view: View, x: int, y: int) -> ScrollView | None:
    """The innermost scrollable container under (x, y)."""
    if not _contains(view.clip, x, y):
        return None
    for c in reversed(view.children):
        got = scroll_target(c, x, y)
        if got is not None:
            return got
    if isinstance(view, ScrollView) and view.max_scroll > 0:
        return view
    return None


def find(view: View, pred: Callable[[View], bool]) -> View | None:
    for v in view.walk():
        if pred(v):
            return v
    return None


# -------------------------------------------------------------- XML

_XML_HEAD = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"


def _b(v: bool) -> str:
    return "true" if v else "false"


def quoteattr(s: str) -> str:
    """A double-quoted XML attribute value (uiautomator escapes & < > " and newlines)."""
    s = "".join(
        ch
        for ch in s
        if ch in "\t\n\r"
        or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff" and not 0xD800 <= ord(ch) <= 0xDFFF)
    )
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    s = s.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return '"' + s + '"'


def _clean(s: str) -> str:
    return s


def node_xml(view: View, index: int, package: str, out: list[str], depth: int) -> None:
    if is_empty(view.clip) or view.kind == "spacer":
        return
    l, t, r, b = view.clip
    text = view.text
    if view.password and text:
        text = "•" * len(text)
    attrs = (
        f'<node index="{index}" text={quoteattr(_clean(text))} resource-id={quoteattr(view.rid)} '
        f'class="{view.cls}" package="{package}" content-desc={quoteattr(_clean(view.desc))} '
        f'checkable="{_b(view.checkable)}" checked="{_b(view.checked)}" clickable="{_b(view.clickable)}" '
        f'enabled="{_b(view.enabled)}" focusable="{_b(view.focusable or view.clickable)}" '
        f'focused="{_b(view.focused)}" scrollable="{_b(view.scrollable)}" '
        f'long-clickable="{_b(view.long_clickable)}" password="{_b(view.password)}" '
        f'selected="{_b(view.selected)}" bounds="[{l},{t}][{r},{b}]"'
    )
    kids = [c for c in view.children if not is_empty(c.clip) and c.kind != "spacer"]
    if not kids:
        out.append(attrs + " />")
        return
    out.append(attrs + ">")
    for i, c in enumerate(kids):
        node_xml(c, i, package, out, depth + 1)
    out.append("</node>")


def hierarchy_xml(root: View, package: str) -> str:
    """The uiautomator dump of one window (the app's), as `uiautomator dump` writes it."""
    out = [_XML_HEAD, '<hierarchy rotation="0">']
    node_xml(root, 0, package, out, 0)
    out.append("</hierarchy>")
    return "".join(out)
