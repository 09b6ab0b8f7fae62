"""Which role a chat request is for, read from its system prompt (`# Role: X`, or GUI-Owl's
`mobile_use` tool for the single mode): how an in-process scripted model and the test stub
server route a request to that role's answers."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["ROLES", "content_text", "detect_role"]

ROLES = ("manager", "worker", "reflector", "notetaker", "single")

_ROLE_LINE = re.compile(r"^\s*#+\s*role\s*:\s*\**\s*([A-Za-z]+)", re.IGNORECASE)


def content_text(content: Any) -> str:
    """All text of an OpenAI message `content` (a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def detect_role(messages: list[dict[str, Any]]) -> str | None:
    """Which role a request is for: the `# Role: X` first line of the system message.

    Returns "manager" | "worker" | "reflector" | "notetaker", "single" when the system prompt
    declares GUI-Owl's `mobile_use` tool, else None.
    """
    system = "\n".join(content_text(m.get("content")) for m in messages if m.get("role") == "system")
    first = system.strip().splitlines()[0] if system.strip() else ""
    match = _ROLE_LINE.match(first)
    if match and match.group(1).lower() in ROLES:
        return match.group(1).lower()
    if "mobile_use" in system:
        return "single"
    return None
