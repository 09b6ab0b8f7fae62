"""The low-level tools through the MCP SDK's client, over stdio and streamable HTTP, on a virtual phone."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import adbutils
import pytest
from mcp_support import SESSIONS, find, json_of, png_of, stdio_session, text_of

from mobile_agent.device.app_names import parse_focus

CONTRACT = {
    "devices",
    "screenshot",
    "ui_tree",
    "tap",
    "swipe",
    "type_text",
    "press_key",
    "open_app",
    "run_task",
    "task_status",
    "cancel_task",
}


def focused_app(serial: str) -> str | None:
    return parse_focus(adbutils.adb.device(serial).shell("dumpsys window"))


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_tools_screenshot_and_a_tap_that_opens_an_app(phone: Any, transport: str) -> None:
    async with SESSIONS[transport]("--device", phone.serial) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == CONTRACT
        assert set(tools["swipe"].input_schema["properties"]) == {"x1", "y1", "x2", "y2", "duration_ms"}
        assert set(tools["run_task"].input_schema["required"]) == {"instruction"}

        shot = await session.call_tool("screenshot", {})
        assert not shot.is_error, text_of(shot)
        width, height = (
            int(v) for v in adbutils.adb.device(phone.serial).shell("wm size").split()[-1].split("x")
        )
        assert png_of(shot).size == (width, height) == (1080, 2400)

        listed = json_of(await session.call_tool("devices", {}))
        mine = [d for d in listed if d["serial"] == phone.serial]
        assert mine and mine[0]["selected"] and mine[0]["size"] == [1080, 2400]

        assert focused_app(phone.serial) != "org.mobileagent.notes"
        icon = await find(session, lambda e: e["text"] == "Notes" and "clickable" in e["line"])
        tapped = await session.call_tool("tap", {"x": icon["center"][0], "y": icon["center"][1]})
        assert not tapped.is_error, text_of(tapped)
        await find(session, lambda e: "fab_new" in e["line"])  # the Notes list is on screen
        assert focused_app(phone.serial) == "org.mobileagent.notes"

        back = await session.call_tool("press_key", {"key": "home"})
        assert not back.is_error, text_of(back)
        await find(session, lambda e: "all_apps_button" in e["line"])
        opened = await session.call_tool("open_app", {"name": "Settings"})
        assert "com.android.settings" in text_of(opened)
        assert focused_app(phone.serial) == "com.android.settings"


HOSTILE = [
    'it\'s "quoted" `back` \\ ;|&<> $HOME',
    "$(touch {marker}) and `touch {marker}`",
    "你好, 世界 😀 👍🏽 naïve",
]


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_hostile_text_arrives_intact_and_runs_nothing(
    phone: Any, transport: str, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    async with SESSIONS[transport]("--device", phone.serial) as session:
        await session.call_tool("open_app", {"name": "Notes"})
        for raw in HOSTILE:
            text = raw.format(marker=marker)
            fab = await find(session, lambda e: "fab_new" in e["line"])
            await session.call_tool("tap", {"x": fab["center"][0], "y": fab["center"][1]})
            await find(session, lambda e: e["cls"] == "EditText" and "focused" in e["line"].split())
            typed = await session.call_tool("type_text", {"text": text})
            assert not typed.is_error, text_of(typed)
            field = await find(session, lambda e: e["cls"] == "EditText" and "focused" in e["line"].split())
            assert field["text"] == text
            save = await find(session, lambda e: e["text"] == "Save" and "clickable" in e["line"])
            await session.call_tool("tap", {"x": save["center"][0], "y": save["center"][1]})
    assert not marker.exists(), "typed text reached a shell on this host"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_missing_phone_and_bad_input_are_clear_tool_errors(phone: Any) -> None:
    async with stdio_session("--device", f"127.0.0.1:{_closed_port()}") as session:
        for name, args in (("screenshot", {}), ("tap", {"x": 1, "y": 1}), ("ui_tree", {})):
            result = await session.call_tool(name, args)
            assert result.is_error
            message = text_of(result)
            assert "What to do" in message and "mobile-agent sim" in message and "--device" in message, (
                message
            )
        assert len((await session.list_tools()).tools) == len(CONTRACT)  # the server is still up
    async with stdio_session("--device", phone.serial) as session:
        outside = await session.call_tool("tap", {"x": 5000, "y": 10})
        assert outside.is_error and "outside the 1080x2400 screen" in text_of(outside)
        unknown = await session.call_tool("open_app", {"name": "No Such App"})
        assert unknown.is_error and "No Such App" in text_of(unknown)
        bad_key = await session.call_tool("press_key", {"key": "not_a_key"})
        assert bad_key.is_error and "not_a_key" in text_of(bad_key)
        no_task = await session.call_tool("task_status", {"task_id": "nope"})
        assert no_task.is_error and "no task 'nope'" in text_of(no_task)
