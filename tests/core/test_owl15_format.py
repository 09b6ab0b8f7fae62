"""GUI-Owl-1.5's `mobile_use` vocabulary: its declaration's shape, `interact`, and 0-1000 points
mapped against the original screenshot to the pixel."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from mobile_agent.actions import ACTION_TYPES, Ask, parse_action
from mobile_agent.bus import MemoryState
from mobile_agent.config import AgentConfig
from mobile_agent.coords import Frame, prepare_image
from mobile_agent.roles import owl15, single, worker
from mobile_agent.roles.parsing import parse_single

GRID = Frame("norm1000", (1088, 2400), (1080, 2400))

# GUI-Owl-1.5's published `mobile_use` (Mobile-Agent-v3.5, mobile_use/utils.py): action names,
# parameter names, types and enums; the descriptions are ours.
PUBLISHED_ACTIONS = [
    "key", "click", "long_press", "swipe", "type", "system_button", "open", "wait", "answer",
    "interact", "terminate",
]  # fmt: skip
PUBLISHED_PARAMETERS = {
    "action": ("string", PUBLISHED_ACTIONS),
    "coordinate": ("array", None),
    "coordinate2": ("array", None),
    "text": ("string", None),
    "time": ("number", None),
    "button": ("string", ["Back", "Home", "Menu", "Enter"]),
    "status": ("string", ["success", "failure"]),
}


def test_the_declaration_has_the_published_shape() -> None:
    tool = owl15.tool_schema(GRID)
    fn = tool["function"]
    assert tool["type"] == "function"
    assert list(fn) == ["name_for_human", "name", "description", "parameters", "args_format"]
    assert fn["name"] == fn["name_for_human"] == "mobile_use"
    assert "The screen's resolution is 1000x1000." in fn["description"]
    params = fn["parameters"]
    assert params["required"] == ["action"] and params["type"] == "object"
    got = {k: (v["type"], v.get("enum")) for k, v in params["properties"].items()}
    assert got == PUBLISHED_PARAMETERS
    assert list(params["properties"]) == list(PUBLISHED_PARAMETERS)
    listed = params["properties"]["action"]["description"]
    for name in PUBLISHED_ACTIONS:  # the action list lives in the action parameter, in enum order
        assert f"* `{name}`:" in listed
    assert [listed.index(f"* `{n}`:") for n in PUBLISHED_ACTIONS] == sorted(
        listed.index(f"* `{n}`:") for n in PUBLISHED_ACTIONS
    )
    assert set(owl15.TOOL_DOCS) == set(ACTION_TYPES)


def test_system_prompt_embeds_the_declaration_with_raw_line_breaks() -> None:
    msgs = owl15.build_messages(
        MemoryState(instruction="Turn on Wi-Fi"), Image.new("RGB", (1088, 2400)), GRID
    )
    system = msgs[0].text()
    assert system.startswith("# Tools\n")
    assert "\n* The screen's resolution is 1000x1000.\n" in system  # a raw newline, as trained
    block = system.split("<tools>\n", 1)[1].split("\n</tools>", 1)[0]
    decl = json.loads(block.replace("\n", "\\n"))
    assert decl == owl15.tool_schema(GRID)
    assert "# Response format" in system and "Action:" in system
    user = msgs[1].text()
    assert "Instruction: Turn on Wi-Fi" in user and "Previous actions:\nNone" in user


def test_other_formats_keep_their_declaration() -> None:
    """The default prompts never mention `interact`; 1.5's never mention our `ask`."""
    frame = Frame("resized", (1092, 2408), (1080, 2400))
    assert "interact" not in json.dumps(single.tool_schema(frame))
    state = MemoryState(instruction="x")
    assert '"ask"' not in json.dumps(owl15.tool_schema(GRID))
    default_worker = worker.build_messages(state, Image.new("RGB", (8, 8)), frame)[0].text()
    owl_worker = worker.build_messages(state, Image.new("RGB", (8, 8)), GRID, prompt_format="gui-owl-1.5")
    assert '"action": "ask"' in default_worker and "interact" not in default_worker
    assert '"action": "interact"' in owl_worker[0].text() and '"action": "ask"' not in owl_worker[0].text()


@pytest.mark.parametrize("name", ["interact", "call_user", "INTERACT"])
def test_interact_is_the_ask_action(name: str) -> None:
    action = parse_action({"name": "mobile_use", "arguments": {"action": name, "text": "Log in, please"}})
    assert isinstance(action, Ask) and action.text == "Log in, please"


def test_an_owl15_answer_parses_with_its_action_line() -> None:
    text = (
        "Action: Ask the user for the PIN.\n<tool_call>\n"
        '{"name": "mobile_use", "arguments": {"action": "interact", "text": "What is the PIN?"}}\n</tool_call>'
    )
    result = parse_single(text)
    assert result.ok and isinstance(result.action, Ask)  # type: ignore[union-attr]
    assert result.conclusion == "Ask the user for the PIN."  # type: ignore[union-attr]


def test_the_profile_selects_the_format_and_the_qwen3_grid() -> None:
    cfg = AgentConfig(profile="gui-owl-1.5-8b")
    assert (cfg.prompt_format, cfg.frame, cfg.image_factor) == ("gui-owl-1.5", "norm1000", 32)
    assert AgentConfig(profile="gui-owl-7b").prompt_format == "gui-owl"
    assert AgentConfig(profile="gui-owl-1.5-8b", prompt_format="gui-owl").prompt_format == "gui-owl"


@pytest.mark.parametrize("size", [(1080, 2400), (720, 1612), (1440, 3120), (1079, 2341), (2400, 1080)])
def test_grid_points_map_against_the_original_screenshot(size: tuple[int, int]) -> None:
    """0-1000 maps against the ORIGINAL size (not the factor-32 rounded image): the corners land
    on the corner pixels and the centre on the centre, to the pixel."""
    w, h = size
    image, frame = prepare_image(Image.new("RGB", size), "norm1000", max_pixels=4096 * 32 * 32, factor=32)
    assert image.size[0] % 32 == 0 and image.size[1] % 32 == 0
    assert frame.device_size == (w, h)
    assert frame.to_device(0, 0) == (0, 0)
    assert frame.to_device(1000, 1000) == (w - 1, h - 1)
    assert frame.to_device(1000, 0) == (w - 1, 0) and frame.to_device(0, 1000) == (0, h - 1)
    assert frame.to_device(500, 500) == (round(w / 2), round(h / 2))
    # every grid step is where 1/1000 of the ORIGINAL width puts it, within half a pixel
    for gx in range(0, 1001, 7):
        dx, _ = frame.to_device(gx, 0)
        assert abs(dx - min(gx * w / 1000, w - 1)) <= 0.5
