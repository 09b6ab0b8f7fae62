"""Reflector: compares BEFORE and AFTER screenshots with the action's expected effect."""

from __future__ import annotations

from typing import Any

from PIL import Image

from mobile_agent.bus import MemoryState
from mobile_agent.coords import Frame
from mobile_agent.llm.base import Message
from mobile_agent.roles import common
from mobile_agent.roles.parsing import ParseFailure, ReflectorResult, parse_reflector

ROLE = "reflector"


def build_messages(
    state: MemoryState,
    before: Image.Image,
    after: Image.Image,
    frame: Frame,
    *,
    action: dict[str, Any] | None = None,
    description: str | None = None,
    change: float | None = None,
) -> list[Message]:
    """Messages for one Reflector call: BEFORE then AFTER (both resized the same way)."""
    if change is None:
        measured = "(not measured)"
    else:
        measured = f"{change * 100:.2f}% of the screen's pixels differ between BEFORE and AFTER."
    user = common.render(
        "reflector_user",
        instruction=state.instruction,
        subgoal=state.subgoal or "(none)",
        action=common.action_text(action if action is not None else state.last_action),
        description=(description if description is not None else state.last_description) or "(not given)",
        change=measured,
    )
    return common.messages(common.render("reflector_system"), user, [before, after])


def parse(text: str) -> ReflectorResult | ParseFailure:
    return parse_reflector(text)
