"""Notetaker: keeps the facts later steps need (codes, names, numbers)."""

from __future__ import annotations

from PIL import Image

from mobile_agent.bus import MemoryState
from mobile_agent.coords import Frame
from mobile_agent.llm.base import Message
from mobile_agent.roles import common
from mobile_agent.roles.parsing import NotetakerResult, ParseFailure, parse_notetaker

ROLE = "notetaker"


def build_messages(state: MemoryState, screenshot: Image.Image, frame: Frame) -> list[Message]:
    """Messages for one Notetaker call: the after-screenshot and the existing notes."""
    user = common.render(
        "notetaker_user",
        instruction=state.instruction,
        subgoal=state.subgoal or "(none)",
        last_action=common.last_action_text(state),
        notes=state.notes or "(none yet)",
    )
    return common.messages(common.render("notetaker_system"), user, [screenshot])


def parse(text: str) -> NotetakerResult | ParseFailure:
    return parse_notetaker(text)
