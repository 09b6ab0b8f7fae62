"""Text to type that contains GUI-Owl's own tags still parses (the block is not cut at a tag inside a string)."""

from __future__ import annotations

import json

import pytest

from mobile_agent.actions import Type
from mobile_agent.roles.parsing import parse_action_text


@pytest.mark.parametrize("text", ["a </tool_call> b", "<conclusion>x", "say <thinking> and </tool_call>"])
def test_tags_inside_the_text_to_type(text: str) -> None:
    call = json.dumps({"name": "mobile_use", "arguments": {"action": "type", "text": text}})
    answer = f"<thinking>t</thinking>\n<tool_call>\n{call}\n</tool_call>\n<conclusion>c</conclusion>"
    action, reason = parse_action_text(answer)
    assert reason == "" and isinstance(action, Type) and action.text == text


def test_nested_and_unclosed_blocks_still_parse() -> None:
    call = json.dumps({"name": "mobile_use", "arguments": {"action": "type", "text": "hi"}})
    for answer in (f"<tool_call><tool_call>{call}</tool_call></tool_call>", f"<tool_call>\n{call}"):
        action, reason = parse_action_text(answer)
        assert reason == "" and isinstance(action, Type) and action.text == "hi"
