"""Single (end-to-end) mode: GUI-Owl's native `mobile_use` tool call, one model call a step.

The system prompt declares the `mobile_use` function in Qwen/Hermes tool style with the screen
resolution of the image actually sent; the user turn carries `The user query: ...`, a numbered
history of earlier conclusions and the screenshot.
"""

from __future__ import annotations

import json
from typing import Any

from PIL import Image

from mobile_agent.bus import MemoryState
from mobile_agent.coords import Frame
from mobile_agent.llm.base import Message
from mobile_agent.roles import common
from mobile_agent.roles.parsing import ParseFailure, SingleResult, parse_single

ROLE = "single"

_ACTIONS_DOC = """\
* `key`: press a key by name (text), e.g. "del", "enter", "volume_up".
* `click`: tap the point `coordinate`.
* `long_press`: press and hold `coordinate` for `time` seconds.
* `swipe`: drag from `coordinate` to `coordinate2`.
* `type`: type `text` into the focused text field.
* `system_button`: press a system button: Back, Home, Menu or Enter.
* `open`: launch the app named in `text`.
* `wait`: wait `time` seconds for the screen to settle.
* `answer`: give the user the answer in `text`; ends the task.
* `ask`: ask the user the question in `text` and wait for the reply.
* `terminate`: end the task with `status` success or failure."""


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
                f"Actions:\n{_ACTIONS_DOC}"
            ),
            "parameters": {
                "type": "object",
                "properties": {
                    "action": {
                        "type": "string",
                        "enum": [
                            "key",
                            "click",
                            "long_press",
                            "swipe",
                            "type",
                            "system_button",
                            "open",
                            "wait",
                            "answer",
                            "ask",
                            "terminate",
                        ],
                        "description": "The action to perform (see the list above).",
                    },
                    "coordinate": {
                        "type": "array",
                        "description": "[x, y] for click, long_press, swipe start.",
                    },
                    "coordinate2": {"type": "array", "description": "[x, y] where a swipe ends."},
                    "text": {"type": "string", "description": "For key, type, open, answer and ask."},
                    "time": {"type": "number", "description": "Seconds, for long_press and wait."},
                    "button": {
                        "type": "string",
                        "enum": ["Back", "Home", "Menu", "Enter"],
                        "description": "For system_button.",
                    },
                    "status": {
                        "type": "string",
                        "enum": ["success", "failure"],
                        "description": "For terminate.",
                    },
                },
                "required": ["action"],
            },
        },
    }


def history_section(state: MemoryState) -> str:
    """Earlier steps as a numbered list of their conclusions (GUI-Owl's text history)."""
    if not state.history:
        return ""
    lines = []
    for i, entry in enumerate(state.history, 1):
        text = entry.description or common.action_text(entry.action)
        if entry.error:
            text += f" (failed: {entry.error})"
        lines.append(f"Step {i}: {text}")
    return "Task progress (the steps done so far on this device):\n" + "\n".join(lines) + "\n"


def build_messages(
    state: MemoryState, screenshot: Image.Image, frame: Frame, *, retry_note: str = ""
) -> list[Message]:
    """Messages for one end-to-end call."""
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
    )
    return common.messages(system, user, [screenshot])


def parse(text: str) -> SingleResult | ParseFailure:
    return parse_single(text)
