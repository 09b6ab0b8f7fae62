"""uiautomator2 selectors over the uiautomator XML: which nodes a selector (text, textContains,
resourceId, className, description, flags, childSelector, instance ...) matches, and the object
info uiautomator2 reports for a node."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

__all__ = ["RpcError", "bounds_of", "find_nodes", "node_matches", "obj_info", "select", "selector_text"]


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


# ---------------------------------------------------------------- selector matching

BOUNDS_RE = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")
BOOL_FIELDS = {
    "checkable": "checkable",
    "checked": "checked",
    "clickable": "clickable",
    "longClickable": "long-clickable",
    "scrollable": "scrollable",
    "enabled": "enabled",
    "focusable": "focusable",
    "focused": "focused",
    "selected": "selected",
}


def bounds_of(node: ET.Element) -> dict[str, int]:
    m = BOUNDS_RE.match(node.get("bounds", ""))
    left, top, right, bottom = (int(v) for v in m.groups()) if m else (0, 0, 0, 0)
    return {"left": left, "top": top, "right": right, "bottom": bottom}


def _regex(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value, re.DOTALL) is not None
    except re.error:
        return False


def node_matches(node: ET.Element, sel: dict[str, Any]) -> bool:
    """True when one node satisfies every field of a UiSelector (ignoring instance)."""
    text = node.get("text", "")
    desc = node.get("content-desc", "")
    cls = node.get("class", "")
    rid = node.get("resource-id", "")
    pkg = node.get("package", "")
    checks: dict[str, Callable[[Any], bool]] = {
        "text": lambda v: text == v,
        "textContains": lambda v: v in text,
        "textMatches": lambda v: _regex(v, text),
        "textStartsWith": lambda v: text.startswith(v),
        "className": lambda v: cls == v,
        "classNameMatches": lambda v: _regex(v, cls),
        "description": lambda v: desc == v,
        "descriptionContains": lambda v: v in desc,
        "descriptionMatches": lambda v: _regex(v, desc),
        "descriptionStartsWith": lambda v: desc.startswith(v),
        "packageName": lambda v: pkg == v,
        "packageNameMatches": lambda v: _regex(v, pkg),
        "resourceId": lambda v: rid == v,
        "resourceIdMatches": lambda v: _regex(v, rid),
        "index": lambda v: node.get("index", "") == str(v),
    }
    for key, value in sel.items():
        if key in ("mask", "childOrSibling", "childOrSiblingSelector", "instance"):
            continue
        if key in BOOL_FIELDS:
            if (node.get(BOOL_FIELDS[key]) == "true") != bool(value):
                return False
        elif key in checks:
            if not checks[key](value):
                return False
    return True


def _all_nodes(root: ET.Element) -> list[ET.Element]:
    return [n for n in root.iter("node")]


def find_nodes(root: ET.Element, sel: dict[str, Any]) -> list[ET.Element]:
    """Every node a selector (with child/sibling chains) matches, in document order."""
    if not isinstance(sel, dict):
        raise RpcError(-32602, "Invalid params: selector expected")
    parents = {child: parent for parent in root.iter() for child in parent}
    matched = [n for n in _all_nodes(root) if node_matches(n, sel)]
    chain = list(zip(sel.get("childOrSibling") or [], sel.get("childOrSiblingSelector") or [], strict=False))
    if chain:
        # The base selector's instance picks one node before descending.
        inst = sel.get("instance")
        if inst is not None and "instance" in sel:
            matched = matched[inst : inst + 1]
    for i, (kind, sub) in enumerate(chain):
        nxt: list[ET.Element] = []
        for base in matched:
            if kind == "child":
                pool = [n for n in base.iter("node") if n is not base]
            else:
                parent = parents.get(base)
                pool = [n for n in parent.iter("node") if n is not base] if parent is not None else []
            nxt.extend(n for n in pool if node_matches(n, sub) and n not in nxt)
        matched = nxt
        if i < len(chain) - 1 and "instance" in sub:
            matched = matched[sub["instance"] : sub["instance"] + 1]
    return matched


def select(root: ET.Element, sel: dict[str, Any]) -> ET.Element | None:
    nodes = find_nodes(root, sel)
    chain_sels = sel.get("childOrSiblingSelector") or []
    last = chain_sels[-1] if chain_sels else sel
    inst = int(last.get("instance", 0) or 0)
    return nodes[inst] if 0 <= inst < len(nodes) else None


def obj_info(node: ET.Element) -> dict[str, Any]:
    b = bounds_of(node)
    info: dict[str, Any] = {
        "bounds": b,
        "childCount": len(node.findall("node")),
        "className": node.get("class", ""),
        "contentDescription": node.get("content-desc") or None,
        "packageName": node.get("package", ""),
        "resourceName": node.get("resource-id") or None,
        "text": node.get("text", ""),
        "visibleBounds": dict(b),
    }
    for key, attr in BOOL_FIELDS.items():
        info[key] = node.get(attr) == "true"
    return info


def selector_text(sel: dict[str, Any]) -> str:
    fields = [
        f"{k.upper()}={v}"
        for k, v in sel.items()
        if k not in ("mask", "childOrSibling", "childOrSiblingSelector")
    ]
    return "UiSelector[" + ", ".join(fields) + "]"
