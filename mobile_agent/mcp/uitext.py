"""The `ui_tree` tool's text: one line per meaningful element of a uiautomator dump.

An outside agent reads this instead of the raw XML (tens of kilobytes of layout containers):
each line names an element by its text, description, resource id and class, with its bounds and
the centre to tap, in device pixels. Strings are JSON-quoted, so a newline or a quote inside a
label cannot break the one-element-per-line layout.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from mobile_agent.device.uitree import Node, parse_ui

__all__ = ["compact_tree", "describe_node"]

_FLAGS = (
    "clickable",
    "long_clickable",
    "checkable",
    "checked",
    "scrollable",
    "focused",
    "selected",
    "password",
)


def _meaningful(node: Node) -> bool:
    """Whether an outside agent could want this element: it says something or does something."""
    if node.area <= 0:
        return False
    return bool(
        node.text
        or node.desc
        or node.resource_id
        or node.clickable
        or node.long_clickable
        or node.checkable
        or node.scrollable
        or node.is_edit
    )


def describe_node(node: Node) -> str:
    """One element as `Class "text" desc=".." id=.. bounds=[..][..] center=(x,y) flags`."""
    parts = [node.cls.rsplit(".", 1)[-1] or "View"]
    if node.text:
        parts.append(json.dumps(node.text, ensure_ascii=False))
    if node.desc:
        parts.append(f"desc={json.dumps(node.desc, ensure_ascii=False)}")
    if node.resource_id:
        parts.append(f"id={node.resource_id}")
    x1, y1, x2, y2 = node.bounds
    cx, cy = node.center
    parts.append(f"bounds=[{x1},{y1}][{x2},{y2}] center=({cx},{cy})")
    parts.extend(flag.replace("_", "-") for flag in _FLAGS if getattr(node, flag))
    if not node.enabled:
        parts.append("disabled")
    return " ".join(parts)


def compact_tree(xml: str) -> str:
    """The screen's meaningful elements, one per line, depth shown by indentation.

    Raises ValueError for XML that does not parse (the tool turns it into an error result).
    """
    try:
        root = parse_ui(xml)
    except ET.ParseError as exc:
        raise ValueError(f"the UI dump is not readable XML: {exc}") from None
    lines: list[str] = []
    package = ""

    def visit(node: Node, depth: int) -> None:
        nonlocal package
        shown = _meaningful(node)
        if shown:
            if node.package and not package:
                package = node.package
            lines.append("  " * depth + describe_node(node))
        for child in node.children:
            visit(child, depth + 1 if shown else depth)

    visit(root, 0)
    head = f"package: {package or '?'} ({len(lines)} elements; bounds and centers in device pixels)"
    return "\n".join([head, *lines])
