"""The single mode's `mobile_use` tool schema and both prompts' action lists come from the
action models: identical to the hand-written declaration they replaced, and complete."""

from __future__ import annotations

from typing import Any

from PIL import Image

from mobile_agent.actions import ACTION_NAMES, ACTION_TYPES, action_name
from mobile_agent.bus import MemoryState
from mobile_agent.coords import Frame
from mobile_agent.roles import action_docs, single, worker

FRAME = Frame("resized", (1092, 2408), (1080, 2400))

# The declaration as it was written by hand before it was generated (GUI-Owl's order: key first).
HAND_WRITTEN = {
    "type": "function",
    "function": {
        "name": "mobile_use",
        "description": (
            "Use a touchscreen to operate an Android phone; every call returns after the screen "
            "has settled. The screen's resolution is 1092x2408. Points are [x, y] pixels from the "
            "top-left.\nActions:\n"
            '* `key`: press a key by name (text), e.g. "del", "enter", "volume_up".\n'
            "* `click`: tap the point `coordinate`.\n"
            "* `long_press`: press and hold `coordinate` for `time` seconds.\n"
            "* `swipe`: drag from `coordinate` to `coordinate2`.\n"
            "* `type`: type `text` into the focused text field.\n"
            "* `system_button`: press a system button: Back, Home, Menu or Enter.\n"
            "* `open`: launch the app named in `text`.\n"
            "* `wait`: wait `time` seconds for the screen to settle.\n"
            "* `answer`: give the user the answer in `text`; ends the task.\n"
            "* `ask`: ask the user the question in `text` and wait for the reply.\n"
            "* `terminate`: end the task with `status` success or failure."
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
                "coordinate": {"type": "array", "description": "[x, y] for click, long_press, swipe start."},
                "coordinate2": {"type": "array", "description": "[x, y] where a swipe ends."},
                "text": {"type": "string", "description": "For key, type, open, answer and ask."},
                "time": {"type": "number", "description": "Seconds, for long_press and wait."},
                "button": {
                    "type": "string",
                    "enum": ["Back", "Home", "Menu", "Enter"],
                    "description": "For system_button.",
                },
                "status": {"type": "string", "enum": ["success", "failure"], "description": "For terminate."},
            },
            "required": ["action"],
        },
    },
}


def test_the_generated_tool_schema_is_the_hand_written_one() -> None:
    import json

    generated = single.tool_schema(FRAME)
    assert generated == HAND_WRITTEN
    # the same text too (key order is part of what the model reads)
    assert json.dumps(generated, ensure_ascii=False) == json.dumps(HAND_WRITTEN, ensure_ascii=False)


def test_the_tool_declares_every_action_and_every_parameter_of_the_models() -> None:
    params = single.tool_schema(FRAME)["function"]["parameters"]["properties"]
    assert set(params["action"]["enum"]) == set(ACTION_NAMES)
    fields = {name for cls in ACTION_TYPES for name in cls.model_fields} - {"action"}
    assert set(params) - {"action"} == fields


def test_every_action_has_its_prompt_lines_in_both_prompts() -> None:
    assert set(action_docs.DOCS) == set(ACTION_TYPES)
    image = Image.new("RGB", (10, 10))
    worker_system = worker.build_messages(MemoryState(instruction="x"), image, FRAME)[0].text()
    tool = single.tool_schema(FRAME)["function"]["description"]
    for cls in ACTION_TYPES:
        assert f'{{"action": "{action_name(cls)}"' in worker_system
        assert f"* `{action_name(cls)}`: {action_docs.DOCS[cls].tool}" in tool


# One action per model with every parameter away from its default: what a model writes comes
# back whole. A new action (or a new parameter) needs a sample here, and a parameter
# `parse_action` does not know is caught instead of silently falling back to its default.
SAMPLES: list[dict[str, Any]] = [
    {"action": "click", "coordinate": [10, 20]},
    {"action": "long_press", "coordinate": [10, 20], "time": 2.5},
    {"action": "swipe", "coordinate": [10, 20], "coordinate2": [30, 40], "time": 0.5},
    {"action": "type", "text": "héllo 你好"},
    {"action": "key", "text": "volume_up"},
    {"action": "system_button", "button": "Menu"},
    {"action": "open", "text": "Clock"},
    {"action": "wait", "time": 3.0},
    {"action": "answer", "text": "42"},
    {"action": "ask", "text": "which one?"},
    {"action": "terminate", "status": "failure"},
]


def test_every_parameter_of_every_action_survives_parse_action() -> None:
    from mobile_agent.actions import parse_action

    assert {s["action"] for s in SAMPLES} == set(ACTION_NAMES)
    for sample in SAMPLES:
        action = parse_action(sample)
        fields = set(type(action).model_fields) - {"action"}
        assert fields <= set(sample), f"{sample['action']}: the sample misses {fields - set(sample)}"
        assert action.to_json() == sample
