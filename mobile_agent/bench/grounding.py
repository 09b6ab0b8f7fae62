"""Grounding on the UI tree: parse uiautomator XML and find the element a step refers to.

The oracle never hard-codes coordinates: every point it answers is the centre of an element
found in the current `uiautomator dump`, so it exercises the framework exactly as a model
that "sees" the screen would.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mobile_agent.device.uitree import Node, parse_ui

__all__ = ["Matcher", "Screen"]

Matcher = str | re.Pattern[str] | None


def _match(value: str, want: Matcher, exact: bool) -> bool:
    if want is None:
        return True
    if isinstance(want, re.Pattern):
        return bool(want.search(value))
    if exact:
        return value.strip().casefold() == want.strip().casefold()
    return want.casefold() in value.casefold()


@dataclass
class Screen:
    """The parsed UI of one moment, with the finders the oracle's steps use."""

    root: Node
    width: int = 1080
    height: int = 2400

    @classmethod
    def from_xml(cls, xml: str, size: tuple[int, int] = (1080, 2400)) -> Screen:
        return cls(parse_ui(xml), size[0], size[1])

    @property
    def nodes(self) -> list[Node]:
        return list(self.root.walk())

    @property
    def package(self) -> str:
        """The package most of the visible elements belong to (the app on top)."""
        counts: dict[str, int] = {}
        for n in self.nodes:
            if n.package and n.package not in ("com.android.systemui", "com.android.inputmethod.latin"):
                counts[n.package] = counts.get(n.package, 0) + 1
        return max(counts, key=lambda p: counts[p]) if counts else ""

    def visible(self, node: Node) -> bool:
        x1, y1, x2, y2 = node.bounds
        return x2 > x1 and y2 > y1 and x1 < self.width and y1 < self.height and x2 > 0 and y2 > 0

    def find_all(
        self,
        text: Matcher = None,
        *,
        desc: Matcher = None,
        rid: Matcher = None,
        cls: Matcher = None,
        exact: bool = True,
        where: Callable[[Node], bool] | None = None,
    ) -> list[Node]:
        """Visible elements matching every given criterion (`text` also matches the description)."""
        out = []
        for n in self.root.walk():
            if n.parent is None or not self.visible(n):
                continue
            if text is not None and not (_match(n.text, text, exact) or _match(n.desc, text, exact)):
                continue
            if desc is not None and not _match(n.desc, desc, exact):
                continue
            if rid is not None and not _match(n.resource_id, rid, isinstance(rid, str) and ":id/" in rid):
                continue
            if cls is not None and not _match(n.cls, cls, False):
                continue
            if where is not None and not where(n):
                continue
            out.append(n)
        return out

    def find(self, text: Matcher = None, **kw: object) -> Node | None:
        found = self.find_all(text, **kw)  # type: ignore[arg-type]
        return found[0] if found else None

    def has_text(self, text: Matcher, exact: bool = False) -> bool:
        return self.find(text, exact=exact) is not None

    def focused_edit(self) -> Node | None:
        for n in self.root.walk():
            if n.is_edit and n.focused:
                return n
        return None

    def edits(self) -> list[Node]:
        return [n for n in self.find_all(cls="EditText")]

    def scrollable(self) -> Node | None:
        found = [n for n in self.find_all(where=lambda n: n.scrollable)]
        return max(found, key=lambda n: n.area) if found else None

    def switch_for(self, label: Matcher) -> Node | None:
        """The checkable element (switch/checkbox) on the row labelled `label`."""
        for lab in self.find_all(label):
            if lab.checkable:
                return lab
            row = lab.parent
            for _ in range(3):
                if row is None:
                    break
                for n in row.walk():
                    if n.checkable:
                        return n
                row = row.parent
        return None

    def all_text(self) -> str:
        return "\n".join(t for n in self.nodes for t in (n.text, n.desc) if t)
