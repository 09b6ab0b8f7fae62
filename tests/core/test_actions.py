"""Action validation: clear messages for the mistakes models make."""

from __future__ import annotations

import pytest

from mobile_agent.actions import ActionError, Click, Swipe, check_in_frame, parse_action
from mobile_agent.coords import Frame


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"action": "click"}, "missing 'coordinate'"),
        ({"action": "click", "coordinate": [1]}, "pair"),
        ({"action": "click", "coordinate": [-1, 4]}, "negative"),
        ({"action": "long_press", "coordinate": [1, 2], "time": -1}, "time"),
        ({"action": "system_button", "button": "Power"}, "unknown button 'Power'"),
        ({"action": "wait", "time": 1000}, "time"),
        ({"action": "type"}, "type needs the text"),
        ({"action": "teleport"}, "unknown action 'teleport'"),
        ({"coordinate": [1, 2]}, "no 'action'"),
        ("{not json", "not valid JSON"),
        ([1, 2], "JSON object"),
    ],
)
def test_validation_messages(obj: object, message: str) -> None:
    with pytest.raises(ActionError, match=message.replace("(", r"\(")):
        parse_action(obj)


def test_aliases_and_wrapper() -> None:
    assert parse_action({"name": "mobile_use", "arguments": {"action": "tap", "point": [3, 4]}}) == Click(
        coordinate=(3, 4)
    )
    s = parse_action({"action": "swipe", "start": "(1, 2)", "end": [3, 4]})
    assert isinstance(s, Swipe) and s.coordinate2 == (3, 4)


def test_check_in_frame() -> None:
    frame = Frame("resized", (1092, 2408), (1080, 2400))
    check_in_frame(Click(coordinate=(1092, 2408)), frame)
    with pytest.raises(ActionError, match="outside the 1092x2408 screen"):
        check_in_frame(Click(coordinate=(1200, 5)), frame)
    with pytest.raises(ActionError, match="1000x1000"):
        check_in_frame(Click(coordinate=(1001, 5)), Frame("norm1000", (1092, 2408), (1080, 2400)))
