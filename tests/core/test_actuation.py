"""The actuation table: every action model has exactly one entry, and each entry makes the
device call the loop has always made for it."""

from __future__ import annotations

import pytest

from mobile_agent.actions import ACTION_TYPES, ActionError, parse_action
from mobile_agent.coords import Frame
from mobile_agent.loop.actuation import ACTUATION, actuate, device_call, device_points


class Recorder:
    """Records the device calls actions make (the `Actuated` part of a device)."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    async def tap(self, x: int, y: int) -> None:
        self.calls.append(("tap", x, y))

    async def long_press(self, x: int, y: int, duration_s: float = 1.0) -> None:
        self.calls.append(("long_press", x, y, duration_s))

    async def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_s: float | None = None) -> None:
        self.calls.append(("swipe", x1, y1, x2, y2, duration_s))

    async def type_text(self, text: str) -> None:
        self.calls.append(("type_text", text))

    async def key(self, name: str) -> None:
        self.calls.append(("key", name))

    async def back(self) -> None:
        self.calls.append(("back",))

    async def home(self) -> None:
        self.calls.append(("home",))

    async def open_app(self, name: str) -> str:
        self.calls.append(("open_app", name))
        return name


def test_every_action_model_has_one_actuation_entry() -> None:
    assert set(ACTUATION) == set(ACTION_TYPES)


@pytest.mark.parametrize(
    ("obj", "call", "what"),
    [
        ({"action": "click", "coordinate": [546, 1204]}, ("tap", 540, 1200), "tap"),
        ({"action": "long_press", "coordinate": [0, 0], "time": 2}, ("long_press", 0, 0, 2.0), "long press"),
        (
            {"action": "swipe", "coordinate": [546, 1204], "coordinate2": [546, 602]},
            ("swipe", 540, 1200, 540, 600, None),
            "swipe",
        ),
        ({"action": "type", "text": "hi"}, ("type_text", "hi"), "type"),
        ({"action": "key", "text": "del"}, ("key", "del"), "key"),
        ({"action": "system_button", "button": "Back"}, ("back",), "back"),
        ({"action": "system_button", "button": "Home"}, ("home",), "home"),
        ({"action": "system_button", "button": "Menu"}, ("key", "menu"), "menu"),
        ({"action": "system_button", "button": "Enter"}, ("key", "enter"), "enter"),
        ({"action": "open", "text": "Settings"}, ("open_app", "Settings"), "open app"),
    ],
)
async def test_entries_map_model_points_to_device_calls(obj: dict, call: tuple, what: str) -> None:
    device = Recorder()
    action = parse_action(obj)
    points = device_points(action, Frame("resized", (1092, 2408), (1080, 2400)))
    planned = device_call(device, action, points)
    assert planned is not None and planned.what == what and not planned.waits
    await planned.call
    assert device.calls == [call]


async def test_wait_is_a_wait_and_the_ending_actions_never_touch_the_device() -> None:
    device = Recorder()
    planned = device_call(device, parse_action({"action": "wait", "time": 0}), [])
    assert planned is not None and planned.waits
    await planned.call
    for obj in ({"action": "answer", "text": "x"}, {"action": "ask", "text": "x"}, {"action": "terminate"}):
        assert device_call(device, parse_action(obj), []) is None
        with pytest.raises(ActionError, match="does not act on the device"):
            await actuate(device, parse_action(obj), [])
    assert device.calls == []
