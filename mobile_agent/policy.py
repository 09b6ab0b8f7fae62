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
from typing import Literal

from mobile_agent.actions import Action, Click, LongPress, Type
from mobile_agent.device import uitree
from mobile_agent.device.uitree import Node

PolicyMode = Literal["confirm", "allow", "deny"]


def parse_ui(xml: str) -> list[Node]:
    """Every node of a uiautomator XML dump (empty on unreadable XML)."""
    try:
        return list(uitree.parse_ui(xml).walk())
    except ET.ParseError:
        return []


def _label(node: Node) -> str:
    return " ".join(p for p in (node.text, node.desc) if p).strip()


def target_label(nodes: list[Node], x: int, y: int) -> str:
    """Text of the element a tap at (x, y) lands on: the smallest node with a label there."""
    labelled = [n for n in nodes if n.contains(x, y) and _label(n)]
    if labelled:
        return _label(min(labelled, key=lambda n: n.area))
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
        action: Action,
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
