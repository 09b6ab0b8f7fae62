"""What every role shares: prompt templates (files under prompts/) and state formatting."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from string import Template
from typing import Any

from PIL import Image

from mobile_agent.bus import HistoryEntry, MemoryState
from mobile_agent.llm.base import ImagePart, Message, TextPart


@cache
def template(name: str) -> Template:
    """A prompt template from mobile_agent/roles/prompts/ (`$name` placeholders)."""
    text = resources.files("mobile_agent.roles").joinpath("prompts", f"{name}.md").read_text("utf-8")
    return Template(text)


def render(name: str, **values: str) -> str:
    """Fill a template; blank-line runs left by empty optional sections are squeezed."""
    text = template(name).safe_substitute(values)
    lines: list[str] = []
    for line in text.splitlines():
        if not line.strip() and lines and not lines[-1].strip():
            continue
        lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"


def _tidy(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple):
        return [_tidy(v) for v in value]
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    return value


def action_text(action: dict[str, Any] | None) -> str:
    """An action as compact JSON (540.0 shown as 540)."""
    return json.dumps(_tidy(action), ensure_ascii=False) if action else "(none)"


def plan_text(plan: tuple[str, ...]) -> str:
    return "\n".join(f"{i}. {item}" for i, item in enumerate(plan, 1)) if plan else "(no plan yet)"


def history_line(entry: HistoryEntry) -> str:
    outcome = {"A": "worked", "B": "wrong page", "C": "no change"}.get(entry.outcome, "not checked")
    line = f"Step {entry.step}: {action_text(entry.action)}"
    if entry.description:
        line += f" (intended: {entry.description})"
    line += f" -> {entry.outcome or '?'} ({outcome})"
    if entry.error:
        line += f"; error: {entry.error}"
    return line


def history_text(state: MemoryState, n: int = 5) -> str:
    recent = state.recent(n)
    return "\n".join(history_line(e) for e in recent) if recent else "(no actions yet)"


def step_lines(state: MemoryState) -> list[str]:
    """`Step N: <conclusion>` for each earlier step (its action when it had none), failures marked:
    the text history GUI-Owl's end-to-end formats show."""
    lines = []
    for i, entry in enumerate(state.history, 1):
        text = entry.description or action_text(entry.action)
        if entry.error:
            text += f" (failed: {entry.error})"
        lines.append(f"Step {i}: {text}")
    return lines


def knowledge_section(state: MemoryState) -> str:
    return f"### Knowledge\n{state.knowledge.strip()}\n" if state.knowledge.strip() else ""


def human_section(state: MemoryState) -> str:
    if not state.human_replies:
        return ""
    lines = "\n".join(f"- {text}" for text in state.human_replies)
    return f"### Replies from the user\n{lines}\n"


def retry_section(note: str) -> str:
    if not note:
        return ""
    return (
        f"### Your previous answer could not be used\n{note}\nAnswer again, exactly in the required format.\n"
    )


def last_action_text(state: MemoryState) -> str:
    if not state.history:
        return "(none yet)"
    return history_line(state.history[-1])


def messages(system: str, user_text: str, images: list[Image.Image]) -> list[Message]:
    parts: list[TextPart | ImagePart] = [TextPart(user_text)]
    parts.extend(ImagePart(img) for img in images)
    return [Message("system", system), Message("user", parts)]
