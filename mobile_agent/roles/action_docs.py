"""Each action's prompt lines: how the Worker's prompt and GUI-Owl's `mobile_use` tool describe it.

One entry per action model (a test checks it), so adding an action is its model in
`mobile_agent/actions.py`, its entry in `mobile_agent/loop/actuation.py`, and its lines here.
The Worker's list follows the vocabulary's order; the tool's puts `key` first, the order of the
`mobile_use` declaration GUI-Owl was trained on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mobile_agent.actions import (
    ACTION_TYPES,
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

__all__ = ["DOCS", "TOOL_ORDER", "ActionDoc", "tool_lines", "worker_lines"]


@dataclass(frozen=True)
class ActionDoc:
    worker: str  # the Worker prompt's line: a JSON example and what it does
    tool: str  # the `mobile_use` description's line: what it does with which parameters


DOCS: dict[type[ActionModel], ActionDoc] = {
    Click: ActionDoc(
        '{"action": "click", "coordinate": [x, y]}: tap the point.', "tap the point `coordinate`."
    ),
    LongPress: ActionDoc(
        '{"action": "long_press", "coordinate": [x, y], "time": 1}: press and hold for `time` seconds.',
        "press and hold `coordinate` for `time` seconds.",
    ),
    Swipe: ActionDoc(
        '{"action": "swipe", "coordinate": [x1, y1], "coordinate2": [x2, y2]}: drag from the first\n'
        "  point to the second (drag upward to scroll the content down).",
        "drag from `coordinate` to `coordinate2`.",
    ),
    Type: ActionDoc(
        '{"action": "type", "text": "..."}: type into the focused text field (tap the field first).',
        "type `text` into the focused text field.",
    ),
    Key: ActionDoc(
        '{"action": "key", "text": "del"}: press a key by name, e.g. del, enter, tab, volume_up.',
        'press a key by name (text), e.g. "del", "enter", "volume_up".',
    ),
    SystemButton: ActionDoc(
        '{"action": "system_button", "button": "Back"}: one of Back, Home, Menu, Enter.',
        "press a system button: Back, Home, Menu or Enter.",
    ),
    Open: ActionDoc(
        '{"action": "open", "text": "Settings"}: launch an app by its name.',
        "launch the app named in `text`.",
    ),
    Wait: ActionDoc(
        '{"action": "wait", "time": 2}: wait while something loads.',
        "wait `time` seconds for the screen to settle.",
    ),
    Answer: ActionDoc(
        '{"action": "answer", "text": "..."}: give the user the information they asked for; ends the task.',
        "give the user the answer in `text`; ends the task.",
    ),
    Ask: ActionDoc(
        '{"action": "ask", "text": "..."}: ask the user something only they can provide (a login,\n'
        "  a captcha, a choice) and wait for the reply.",
        "ask the user the question in `text` and wait for the reply.",
    ),
    Terminate: ActionDoc(
        '{"action": "terminate", "status": "success"}: end the task; "failure" if it cannot be done.',
        "end the task with `status` success or failure.",
    ),
}

TOOL_ORDER: tuple[type[ActionModel], ...] = tuple(sorted(ACTION_TYPES, key=lambda cls: cls is not Key))
"""The actions in the order the `mobile_use` tool lists them (`key` first, as GUI-Owl learned it)."""


def worker_lines(names: Mapping[type[ActionModel], str] | None = None) -> str:
    """The Worker prompt's list of available actions; `names` renames some (GUI-Owl-1.5 calls
    `ask` `interact`)."""
    lines = []
    for cls in ACTION_TYPES:
        line = DOCS[cls].worker
        if names and cls in names:
            line = line.replace(f'"action": "{action_name(cls)}"', f'"action": "{names[cls]}"', 1)
        lines.append(f"- {line}")
    return "\n".join(lines)


def tool_lines() -> str:
    """The `mobile_use` description's list of actions."""
    return "\n".join(f"* `{action_name(cls)}`: {DOCS[cls].tool}" for cls in TOOL_ORDER)
