"""Element identity in a UI tree (uiautomator XML), and re-targeting a point to where it went.

A recorded tap is remembered as the element under it: its class, resource id, text and
content description, the texts around it (its row) and its path in the tree. On the live
screen the same element is the node with the same class, resource id, text and description;
among several, the one whose surroundings and path agree best. The tap then lands at the same
relative place inside the element's current bounds, wherever the element moved.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

__all__ = [
    "Element",
    "Identity",
    "Screen",
    "identify",
    "parse_tree",
    "retarget",
    "similarity",
]

SYSTEM_UI = "com.android.systemui"
_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")


@dataclass
class Element:
    """One node of a UI tree."""

    cls: str
    rid: str
    text: str
    desc: str
    package: str
    bounds: tuple[int, int, int, int]
    path: tuple[str, ...]
    checked: bool = False
    focused: bool = False
    clickable: bool = False
    parent: Element | None = field(default=None, repr=False)
    children: list[Element] = field(default_factory=list, repr=False)

    def contains(self, x: int, y: int) -> bool:
        left, top, right, bottom = self.bounds
        return left <= x < right and top <= y < bottom

    @property
    def area(self) -> int:
        left, top, right, bottom = self.bounds
        return max(0, right - left) * max(0, bottom - top)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.cls, self.rid, self.text, self.desc)

    def texts(self) -> list[str]:
        """Every text and description in this subtree."""
        out = [t for t in (self.text, self.desc) if t]
        for child in self.children:
            out.extend(child.texts())
        return out


@dataclass
class Screen:
    """A parsed UI tree: its nodes in document order and the app in front."""

    nodes: list[Element]
    package: str

    def signature(self) -> set[tuple[str, str, str, bool]]:
        """What the screen shows, for similarity: identified nodes outside the status bar."""
        return {
            (n.cls, n.rid, n.text or n.desc, n.checked)
            for n in self.nodes
            if n.package != SYSTEM_UI and (n.rid or n.text or n.desc)
        }


def parse_tree(xml: str) -> Screen:
    """Parse uiautomator XML; `ValueError` when it is not a UI tree."""
    try:
        root = ET.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml)
    except ET.ParseError as exc:
        raise ValueError(f"not a UI tree: {exc}") from None
    nodes: list[Element] = []

    def walk(node: ET.Element, parent: Element | None, path: tuple[str, ...]) -> None:
        for i, child in enumerate(c for c in node if c.tag == "node"):
            a = child.attrib
            m = _BOUNDS.fullmatch(a.get("bounds", "").strip())
            bounds = (int(m[1]), int(m[2]), int(m[3]), int(m[4])) if m else (0, 0, 0, 0)
            cls = a.get("class", "")
            el = Element(
                cls=cls,
                rid=a.get("resource-id", ""),
                text=a.get("text", ""),
                desc=a.get("content-desc", ""),
                package=a.get("package", ""),
                bounds=bounds,
                path=(*path, f"{cls.rsplit('.', 1)[-1]}[{i}]"),
                checked=a.get("checked") == "true",
                focused=a.get("focused") == "true",
                clickable=a.get("clickable") == "true",
                parent=parent,
            )
            nodes.append(el)
            if parent is not None:
                parent.children.append(el)
            walk(child, el, el.path)

    walk(root, None, ())
    counts: dict[str, int] = {}
    for n in nodes:
        if n.package and n.package != SYSTEM_UI:
            counts[n.package] = counts.get(n.package, 0) + 1
    package = max(counts, key=lambda k: counts[k]) if counts else ""
    return Screen(nodes, package)


@dataclass(frozen=True)
class Identity:
    """Who a recorded element is: its own attributes, its row's texts, its path and bounds."""

    cls: str
    rid: str
    text: str
    desc: str
    context: tuple[str, ...]
    path: tuple[str, ...]
    bounds: tuple[int, int, int, int]

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.cls, self.rid, self.text, self.desc)

    def describe(self) -> str:
        label = self.text or self.desc or self.rid or (self.context[0] if self.context else "")
        return f"{self.cls.rsplit('.', 1)[-1]} {label!r}" if label else self.cls.rsplit(".", 1)[-1]


def _context(el: Element) -> tuple[str, ...]:
    """The texts of the nearest ancestor that has texts besides the element's own (its row)."""
    own = set(el.texts())
    node = el.parent
    while node is not None:
        others = [t for t in node.texts() if t not in own]
        if others:
            return tuple(sorted(set(others)))[:12]
        node = node.parent
    return ()


def identify(screen: Screen, x: int, y: int) -> Identity | None:
    """The element under (x, y): the smallest node containing it (status bar aside)."""
    hits = [n for n in screen.nodes if n.contains(x, y) and n.area > 0 and n.package != SYSTEM_UI]
    if not hits:
        return None
    el = min(hits, key=lambda n: (n.area, -len(n.path)))
    return Identity(el.cls, el.rid, el.text, el.desc, _context(el), el.path, el.bounds)


def _score(ident: Identity, el: Element) -> tuple[float, int, int]:
    ctx = set(_context(el))
    want = set(ident.context)
    overlap = len(ctx & want) / len(ctx | want) if (ctx or want) else 1.0
    same_path = sum(1 for a, b in zip(ident.path, el.path, strict=False) if a == b)
    cx = (el.bounds[0] + el.bounds[2]) // 2 - (ident.bounds[0] + ident.bounds[2]) // 2
    cy = (el.bounds[1] + el.bounds[3]) // 2 - (ident.bounds[1] + ident.bounds[3]) // 2
    return (overlap, same_path, -(abs(cx) + abs(cy)))


def find(screen: Screen, ident: Identity) -> Element | None:
    """The live element that is the recorded one, or None when it is not on the screen.

    An element identified by nothing but its class and place (no id, text or description)
    must also keep its row's texts, or it is not the same element."""
    cands = [n for n in screen.nodes if n.key == ident.key and n.area > 0 and n.package != SYSTEM_UI]
    if not (ident.rid or ident.text or ident.desc):
        cands = [n for n in cands if set(_context(n)) == set(ident.context)]
    if not cands:
        return None
    return max(cands, key=lambda n: _score(ident, n))


def retarget(ident: Identity, el: Element, x: int, y: int) -> tuple[int, int]:
    """(x, y) at the same relative place inside the element's current bounds."""
    ol, ot, orr, ob = ident.bounds
    nl, nt, nr, nb = el.bounds
    fx = (x - ol) / (orr - ol) if orr > ol else 0.5
    fy = (y - ot) / (ob - ot) if ob > ot else 0.5
    nx = round(nl + fx * (nr - nl))
    ny = round(nt + fy * (nb - nt))
    return (min(max(nx, nl), max(nl, nr - 1)), min(max(ny, nt), max(nt, nb - 1)))


def similarity(a: Screen, b: Screen) -> float:
    """Jaccard similarity of two screens' signatures (0 when different apps are in front)."""
    if a.package != b.package:
        return 0.0
    sa, sb = a.signature(), b.signature()
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)
