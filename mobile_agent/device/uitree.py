"""The uiautomator XML dump (`Device.ui_tree()`) as a tree of typed nodes.

One parser for the framework (the sensitive-action policy finds the element under a tap) and for
the benchmark's oracle, which grounds every step on it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field

BOUNDS_RE = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")


@dataclass
class Node:
    """One element of the uiautomator tree."""

    text: str = ""
    resource_id: str = ""
    desc: str = ""
    cls: str = ""
    package: str = ""
    bounds: tuple[int, int, int, int] = (0, 0, 0, 0)
    clickable: bool = False
    long_clickable: bool = False
    checkable: bool = False
    checked: bool = False
    focusable: bool = False
    focused: bool = False
    enabled: bool = True
    scrollable: bool = False
    selected: bool = False
    password: bool = False
    parent: Node | None = field(default=None, repr=False)
    children: list[Node] = field(default_factory=list, repr=False)

    @property
    def center(self) -> tuple[int, int]:
        x1, y1, x2, y2 = self.bounds
        return ((x1 + x2) // 2, (y1 + y2) // 2)

    def contains(self, x: int, y: int) -> bool:
        x1, y1, x2, y2 = self.bounds
        return x1 <= x < x2 and y1 <= y < y2

    @property
    def area(self) -> int:
        x1, y1, x2, y2 = self.bounds
        return max(0, x2 - x1) * max(0, y2 - y1)

    @property
    def label(self) -> str:
        """What a person would call this element: its text, else its description, else its id."""
        return self.text or self.desc or self.resource_id.rsplit("/", 1)[-1]

    @property
    def is_edit(self) -> bool:
        return "EditText" in self.cls

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def clickable_self_or_ancestor(self) -> Node:
        """The element a tap on this one lands on (itself, or the nearest clickable ancestor)."""
        if self.clickable or self.checkable:
            return self
        for anc in self.ancestors():
            if anc.clickable:
                return anc
        return self

    def texts(self) -> list[str]:
        """All text and descriptions in this subtree."""
        return [t for n in self.walk() for t in (n.text, n.desc) if t]


def _bool(attrs: dict[str, str], key: str) -> bool:
    return attrs.get(key, "false") == "true"


def parse_ui(xml: str) -> Node:
    """Parse `uiautomator dump` XML into a tree of `Node` (the root is a synthetic hierarchy node)."""
    root_el = ET.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml)

    def build(el: ET.Element, parent: Node | None) -> Node:
        a = el.attrib
        m = BOUNDS_RE.match(a.get("bounds", ""))
        node = Node(
            text=a.get("text", ""),
            resource_id=a.get("resource-id", ""),
            desc=a.get("content-desc", ""),
            cls=a.get("class", ""),
            package=a.get("package", ""),
            bounds=tuple(int(v) for v in m.groups()) if m else (0, 0, 0, 0),  # type: ignore[arg-type]
            clickable=_bool(a, "clickable"),
            long_clickable=_bool(a, "long-clickable"),
            checkable=_bool(a, "checkable"),
            checked=_bool(a, "checked"),
            focusable=_bool(a, "focusable"),
            focused=_bool(a, "focused"),
            enabled=a.get("enabled", "true") == "true",
            scrollable=_bool(a, "scrollable"),
            selected=_bool(a, "selected"),
            password=_bool(a, "password"),
            parent=parent,
        )
        node.children = [build(c, node) for c in el if c.tag == "node"]
        return node

    return build(root_el, None)
