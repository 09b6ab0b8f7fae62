"""Which actions need a person's approval before they run (sensitive-action policy).

Sensitive: typing into a password field, or a click / long press whose target element (from
the UI tree) or whose intended effect (the Worker's description) names a keyword such as
send, pay, purchase, delete. Modes: `confirm` asks the human channel, `allow` runs everything,
`deny` refuses sensitive actions (the Worker is told and picks again).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from mobile_agent.actions import Click, LongPress, Type

PolicyMode = Literal["confirm", "allow", "deny"]

_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")


@dataclass(frozen=True)
class UiNode:
    text: str
    desc: str
    resource_id: str
    cls: str
    bounds: tuple[int, int, int, int]
    focused: bool
    password: bool
    clickable: bool

    @property
    def area(self) -> int:
        x1, y1, x2, y2 = self.bounds
        return max(0, x2 - x1) * max(0, y2 - y1)

    def contains(self, x: int, y: int) -> bool:
        x1, y1, x2, y2 = self.bounds
        return x1 <= x < x2 and y1 <= y < y2

    def label(self) -> str:
        return " ".join(p for p in (self.text, self.desc) if p).strip()


def parse_ui(xml: str) -> list[UiNode]:
    """Nodes of a uiautomator XML dump (empty on unreadable XML)."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return []
    nodes = []
    for el in root.iter("node"):
        m = _BOUNDS.match(el.get("bounds", ""))
        if not m:
            continue
        nodes.append(
            UiNode(
                text=el.get("text", ""),
                desc=el.get("content-desc", ""),
                resource_id=el.get("resource-id", ""),
                cls=el.get("class", ""),
                bounds=(int(m[1]), int(m[2]), int(m[3]), int(m[4])),
                focused=el.get("focused") == "true",
                password=el.get("password") == "true",
                clickable=el.get("clickable") == "true",
            )
        )
    return nodes


def target_label(nodes: list[UiNode], x: int, y: int) -> str:
    """Text of the element a tap at (x, y) lands on: the smallest node with a label there."""
    hits = [n for n in nodes if n.contains(x, y)]
    labelled = [n for n in hits if n.label()]
    if labelled:
        return min(labelled, key=lambda n: n.area).label()
    return ""


def _keyword_hit(text: str, keywords: Iterable[str]) -> str | None:
    low = text.lower()
    for kw in keywords:
        if kw and re.search(rf"(?<![a-z0-9]){re.escape(kw.lower())}(?![a-z0-9])", low):
            return kw
    return None


@dataclass(frozen=True)
class Policy:
    mode: PolicyMode = "confirm"
    keywords: tuple[str, ...] = ()

    @property
    def needs_ui(self) -> bool:
        """Whether checks read the UI tree (only when something may be asked or refused)."""
        return self.mode != "allow"

    def check(
        self,
        action: Any,
        description: str = "",
        *,
        device_point: tuple[int, int] | None = None,
        ui_xml: str | None = None,
    ) -> str | None:
        """Why this action is sensitive, or None. Cheap when the mode is `allow`."""
        if self.mode == "allow":
            return None
        nodes = parse_ui(ui_xml) if ui_xml else []
        if isinstance(action, Type):
            if any(n.focused and n.password for n in nodes):
                return "typing into a password field"
            return None
        if isinstance(action, Click | LongPress):
            label = target_label(nodes, *device_point) if device_point and nodes else ""
            if label and (kw := _keyword_hit(label, self.keywords)):
                return f"the tapped element {label!r} matches the sensitive keyword {kw!r}"
            if description and (kw := _keyword_hit(description, self.keywords)):
                return f"the intended effect {description!r} matches the sensitive keyword {kw!r}"
        return None
