"""Single mode in GUI-Owl-1.5's format: its `mobile_use` vocabulary, system prompt and user turn.

GUI-Owl-1.5 (Mobile-Agent-v3.5) was trained on a `mobile_use` declaration of its own shape: the
action list inside the `action` parameter's description, `name_for_human` and `args_format`
beside the function's name, `interact` (hand over to the user) next to `answer`, and points on a
1000x1000 grid. It answers `Action: <what to do>` then one `<tool_call>`. The user turn carries
the instruction and a numbered list of the previous steps' Action lines. The wording is ours;
the shape (action names, parameters, sections) is the model's. `interact` is our `ask` action:
the loop asks the person (terminal or API) and shows the reply in the next turn.
"""

from __future__ import annotations

import json
from typing import Any

from PIL import Image

from mobile_agent.actions import (
    ActionModel,
    Answer,
    Ask,
    Click,
    Key,
    LongPress,
    Open,
    Swipe,
    SystemButton,
    Terminate,
    Type,
    Wait,
    action_name,
)
from mobile_agent.bus import MemoryState
from mobile_agent.coords import Frame
from mobile_agent.llm.base import Message
from mobile_agent.roles import action_docs, common
from mobile_agent.roles.parsing import ParseFailure, SingleResult, parse_single

__all__ = ["NAMES", "TOOL_DOCS", "action_names", "build_messages", "parse", "screen_size", "tool_schema"]

ROLE = "single"

NAMES: dict[type[ActionModel], str] = {Ask: "interact"}
"""Actions GUI-Owl-1.5 calls by another name than ours (`interact` is our `ask`)."""

TOOL_DOCS: dict[type[ActionModel], str] = {
    Key: (
        "Send a key event to the phone.\n"
        "    - Key names as adb's `keyevent` takes them.\n"
        '    - Examples: "volume_up", "volume_down", "del", "enter", "tab".'
    ),
    Click: "Tap the point (x, y) given in coordinate.",
    LongPress: "Touch the point (x, y) given in coordinate and hold it for time seconds.",
    Swipe: "Drag from the point (x, y) in coordinate to the point (x2, y2) in coordinate2.",
    Type: "Enter the given text into the text field that has focus.",
    SystemButton: "Press one of the phone's system buttons.",
    Open: "Launch an app on the phone by its name.",
    Wait: "Wait the given number of seconds for the screen to change.",
    Answer: "End the task and give the user the answer in text.",
    Ask: "Hand over to the user to get past something only they can do or know (a login, a "
    "captcha, a choice); text says what they should do or answer.",
    Terminate: "End the task and report whether it succeeded.",
}
"""Each action's line in the `action` parameter's list, in GUI-Owl-1.5's order."""


def action_names() -> list[str]:
    """The `action` enum in GUI-Owl-1.5's order: key first, interact after answer."""
    return [NAMES.get(cls, action_name(cls)) for cls in action_docs.TOOL_ORDER]


def screen_size(frame: Frame) -> tuple[int, int]:
    """The resolution the declaration states: the 1000x1000 grid, or the image's own pixels."""
    if frame.kind == "norm1000":
        return (1000, 1000)
    return frame.image_size if frame.kind == "resized" else frame.device_size


def _point_doc(which: str, needed_by: str) -> str:
    return (
        f"{which}: x counted from the left edge and y from the top edge of the screen. "
        f"Required only by {needed_by}."
    )


def tool_schema(frame: Frame) -> dict[str, Any]:
    """The `mobile_use` declaration as GUI-Owl-1.5 knows it, for the frame of the image sent."""
    w, h = screen_size(frame)
    actions = "\n".join(
        f"* `{NAMES.get(cls, action_name(cls))}`: {TOOL_DOCS[cls]}" for cls in action_docs.TOOL_ORDER
    )
    needs = {
        "text": ", ".join(f"`action={n}`" for n in ("key", "type", "open", "answer", "interact")),
        "time": "`action=long_press` and `action=wait`",
    }
    return {
        "type": "function",
        "function": {
            "name_for_human": "mobile_use",
            "name": "mobile_use",
            "description": (
                "Operate an Android phone through its touchscreen, and see screenshots of it.\n"
                "* This is a phone with a touchscreen: tap, type, swipe and so on.\n"
                "* Apps can take a moment to open or respond; wait and look at the next screenshot "
                "when they do.\n"
                f"* The screen's resolution is {w}x{h}.\n"
                "* Tap buttons, links and icons in the middle of the element, never on its border."
            ),
            "parameters": {
                "properties": {
                    "action": {
                        "description": f"The action to take. One of:\n{actions}",
                        "enum": action_names(),
                        "type": "string",
                    },
                    "coordinate": {
                        "description": _point_doc(
                            "(x, y)", "`action=click`, `action=long_press` and `action=swipe`"
                        ),
                        "type": "array",
                    },
                    "coordinate2": {
                        "description": _point_doc("(x2, y2), where a swipe ends", "`action=swipe`"),
                        "type": "array",
                    },
                    "text": {"description": f"Required only by {needs['text']}.", "type": "string"},
                    "time": {"description": f"Seconds. Required only by {needs['time']}.", "type": "number"},
                    "button": {
                        "description": "Back goes to the previous screen, Home to the home screen, Menu "
                        "presses the menu key, Enter presses enter. Required only by "
                        "`action=system_button`.",
                        "enum": ["Back", "Home", "Menu", "Enter"],
                        "type": "string",
                    },
                    "status": {
                        "description": "Whether the task succeeded. Required only by `action=terminate`.",
                        "type": "string",
                        "enum": ["success", "failure"],
                    },
                },
                "required": ["action"],
                "type": "object",
            },
            "args_format": "Format the arguments as a JSON object.",
        },
    }


def tools_text(frame: Frame) -> str:
    """The declaration as the model saw it in training: JSON whose strings keep raw line breaks."""
    return json.dumps(tool_schema(frame), ensure_ascii=False).replace("\\n", "\n")


def history_section(state: MemoryState) -> str:
    """`Step N: <Action line>` for each earlier step, or `None` before the first."""
    if not state.history:
        return "None"
    return "\n".join(common.step_lines(state))


def build_messages(
    state: MemoryState, screenshot: Image.Image, frame: Frame, *, retry_note: str = "", output: str = ""
) -> list[Message]:
    """Messages for one end-to-end call in GUI-Owl-1.5's format; `output`: the answer's format."""
    system = common.render("owl15_system", tools=tools_text(frame))
    knowledge = f" ({state.knowledge.strip()})" if state.knowledge.strip() else ""
    human = ""
    if state.human_replies:
        human = "\nThe user replied:\n" + "\n".join(f"- {t}" for t in state.human_replies) + "\n"
    retry = f"\nYour previous answer could not be used: {retry_note}\n" if retry_note else ""
    user = common.render(
        "owl15_user",
        instruction=state.instruction,
        knowledge=knowledge,
        history=history_section(state),
        human=human,
        retry=retry,
        output=f"\n{output}" if output else "",
    )
    return common.messages(system, user, [screenshot])


def parse(text: str) -> SingleResult | ParseFailure:
    return parse_single(text)
