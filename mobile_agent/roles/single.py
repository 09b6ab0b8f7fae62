"""Single (end-to-end) mode: GUI-Owl's native `mobile_use` tool call, one model call a step.

The system prompt declares the `mobile_use` function in Qwen/Hermes tool style with the screen
resolution of the image actually sent; the user turn carries `The user query: ...`, a numbered
history of earlier conclusions and the screenshot.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from PIL import Image

from mobile_agent.actions import action_name
from mobile_agent.bus import MemoryState
from mobile_agent.coords import Frame
from mobile_agent.llm.base import Message
from mobile_agent.roles import action_docs, common
from mobile_agent.roles.parsing import ParseFailure, SingleResult, parse_single

ROLE = "single"

# The tool's parameters in the order it declares them, each with its description; which
# parameters exist, their JSON types and their allowed values come from the action models.
_PARAMETERS = {
    "coordinate": "[x, y] for click, long_press, swipe start.",
    "coordinate2": "[x, y] where a swipe ends.",
    "text": "For key, type, open, answer and ask.",
    "time": "Seconds, for long_press and wait.",
    "button": "For system_button.",
    "status": "For terminate.",
}


def _parameter(name: str) -> dict[str, Any]:
    """A parameter's JSON type (and enum) as the first action model declaring it has it."""
    for cls in action_docs.TOOL_ORDER:
        if name in cls.model_fields:
            field = cls.model_json_schema()["properties"][name]
            if "type" not in field:  # optional (`x | None`): the non-null alternative
                field = next(f for f in field["anyOf"] if f.get("type") != "null")
            schema: dict[str, Any] = {"type": field["type"]}
            if "enum" in field:
                schema["enum"] = list(field["enum"])
            return schema | {"description": _PARAMETERS[name]}
    raise KeyError(f"no action has the parameter {name!r}")


@cache
def _parameters() -> dict[str, Any]:
    """The `parameters` JSON schema of `mobile_use`, generated from the action models."""
    return {
        "type": "object",
        "properties": {
            "action": {
                "type": "string",
                "enum": [action_name(cls) for cls in action_docs.TOOL_ORDER],
                "description": "The action to perform (see the list above).",
            },
            **{name: _parameter(name) for name in _PARAMETERS},
        },
        "required": ["action"],
    }


def screen_sentence(frame: Frame) -> str:
    """The resolution sentence of the tool description, from the frame of the image sent."""
    if frame.kind == "norm1000":
        return "The screen's resolution is 1000x1000 (coordinates are normalised to a 0-1000 grid)."
    w, h = frame.image_size if frame.kind == "resized" else frame.device_size
    return f"The screen's resolution is {w}x{h}."


def tool_schema(frame: Frame) -> dict[str, Any]:
    """The `mobile_use` function declaration (JSON-schema style) for this frame."""
    return {
        "type": "function",
        "function": {
            "name": "mobile_use",
            "description": (
                "Use a touchscreen to operate an Android phone; every call returns after the screen "
                f"has settled. {screen_sentence(frame)} Points are [x, y] pixels from the top-left.\n"
                f"Actions:\n{action_docs.tool_lines()}"
            ),
            "parameters": copy.deepcopy(_parameters()),
        },
    }


def history_section(state: MemoryState) -> str:
    """Earlier steps as a numbered list of their conclusions (GUI-Owl's text history)."""
    if not state.history:
        return ""
    lines = common.step_lines(state)
    return "Task progress (the steps done so far on this device):\n" + "\n".join(lines) + "\n"


def build_messages(
    state: MemoryState, screenshot: Image.Image, frame: Frame, *, retry_note: str = "", output: str = ""
) -> list[Message]:
    """Messages for one end-to-end call; `output` is the required answer format, if any."""
    system = common.render("single_system", tools=json.dumps(tool_schema(frame), ensure_ascii=False))
    retry = f"Your previous answer could not be used: {retry_note}\n" if retry_note else ""
    human = common.human_section(state)
    user = common.render(
        "single_user",
        instruction=state.instruction,
        knowledge=f"Knowledge: {state.knowledge.strip()}\n" if state.knowledge.strip() else "",
        history=history_section(state),
        human=human,
        retry=retry,
        output=output,
    )
    return common.messages(system, user, [screenshot])


def parse(text: str) -> SingleResult | ParseFailure:
    return parse_single(text)
