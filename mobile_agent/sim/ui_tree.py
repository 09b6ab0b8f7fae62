"""Reading a laid-out View tree: hit testing (what a touch lands on, what scrolls) and the
uiautomator XML, whose bounds are exactly the drawn boxes."""

# ruff: noqa: E741  (l, t, r, b are the natural names for a rectangle)
from __future__ import annotations

from collections.abc import Callable

from mobile_agent.sim.ui_base import Rect, ScrollView, View, is_empty

__all__ = ["find", "hierarchy_xml", "hit", "node_xml", "quoteattr", "scroll_target"]


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
