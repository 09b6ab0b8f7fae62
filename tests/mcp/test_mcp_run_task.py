"""`run_task` over MCP: our agent does a whole task against the scripted oracle, streaming progress.

The oracle is the benchmark's test instrument (an OpenAI-compatible server that plays a perfect
GUI-Owl from the phone's UI tree); the MCP server reaches it through MOBILE_AGENT_* settings,
exactly as `mobile-agent run` would reach a model server.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError
from mcp_support import SESSIONS, Progress, is_file, json_of, listing, stdio_session, task_on, text_of

from mobile_agent.bench.oracle import OracleServer


@pytest.fixture
def oracle() -> Iterator[OracleServer]:
    with OracleServer() as server:
        yield server


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_run_task_streams_progress_and_does_the_task(
    phone: Any, oracle: OracleServer, transport: str, tmp_path: Path
) -> None:
    task, adb = await task_on(phone, "wifi_on")
    model = oracle.oracle.register(task, phone.serial, adb)
    settings = {"base_url": oracle.base_url, "model": model, "runs_dir": str(tmp_path)}
    async with SESSIONS[transport]("--device", phone.serial, **settings) as session:
        progress = Progress()
        result = await session.call_tool(
            "run_task", {"instruction": task.goal, "max_steps": 10}, progress_callback=progress
        )
        body = json_of(result)
        assert body["status"] == "succeeded", body
        assert await task.is_successful(adb) == 1.0, "the phone's Wi-Fi is on"
        assert Path(body["run_dir"]).parent == tmp_path and is_file(body["report"])

        messages = [m for _, _, m in progress.seen]
        assert len(messages) >= 3, messages
        assert all(m.startswith(f"[task {body['task_id']}]") for m in messages)
        assert "started on" in messages[0] and "succeeded after" in messages[-1]
        assert any('"action":' in m or "click" in m for m in messages), messages
        values = [p for p, _, _ in progress.seen]
        assert values == sorted(values) and len(set(values)) == len(values), "progress must increase"
        assert {t for _, t, _ in progress.seen} == {10.0}

        status = json_of(await session.call_tool("task_status", {"task_id": body["task_id"]}))
        assert status["status"] == "succeeded" and status["run_dir"] == body["run_dir"]
        saved = json.loads(_resource_text(await session.read_resource("mobile-agent://runs/latest/result")))
        assert saved["status"] == "succeeded" and saved["instruction"] == task.goal
        report = _resource_text(await session.read_resource("mobile-agent://runs/latest/report"))
        assert report.lstrip().lower().startswith("<!doctype html") and task.goal in report


def _resource_text(result: Any) -> str:
    return "".join(c.text for c in result.contents)


async def test_cancel_task_stops_a_waiting_run_task(phone: Any, oracle: OracleServer, tmp_path: Path) -> None:
    task, adb = await task_on(phone, "wifi_on")
    model = oracle.oracle.register(task, phone.serial, adb)
    settings = {"base_url": oracle.base_url, "model": model, "runs_dir": str(tmp_path)}
    async with stdio_session("--device", phone.serial, **settings) as session:
        progress = Progress()
        running = asyncio.create_task(
            session.call_tool("run_task", {"instruction": task.goal}, progress_callback=progress)
        )
        await asyncio.wait_for(progress.first.wait(), 60)
        task_id = progress.seen[0][2].split("]", 1)[0].removeprefix("[task ")
        busy = await session.call_tool("tap", {"x": 10, "y": 10})
        assert busy.is_error and task_id in text_of(busy), "no gestures while our agent drives"
        cancelled = json_of(await session.call_tool("cancel_task", {"task_id": task_id}))
        assert cancelled["status"] in ("cancelling", "cancelled")
        body = json_of(await asyncio.wait_for(running, 60))
        assert body["status"] == "cancelled" and body["task_id"] == task_id
        assert is_file(Path(body["run_dir"], "result.json")), "a cancelled run still writes its directory"
        assert await task.is_successful(adb) == 0.0


async def test_sensitive_steps_are_refused_without_allow_sensitive(
    phone: Any, oracle: OracleServer, tmp_path: Path
) -> None:
    task, adb = await task_on(phone, "messages_send_text")
    model = oracle.oracle.register(task, phone.serial, adb)
    settings = {"base_url": oracle.base_url, "model": model, "runs_dir": str(tmp_path), "policy": "allow"}
    async with stdio_session(
        "--device", phone.serial, **settings
    ) as session:  # MOBILE_AGENT_POLICY is not enough
        progress = Progress()
        body = json_of(
            await session.call_tool(
                "run_task", {"instruction": task.goal, "max_steps": 12}, progress_callback=progress
            )
        )
        assert body["status"] != "succeeded", body
        assert any(
            "refused by the sensitive-action policy" in m and "send" in m.lower() for _, _, m in progress.seen
        )
        assert await task.is_successful(adb) == 0.0, "nothing was sent"


async def test_sensitive_steps_run_with_allow_sensitive(
    phone: Any, oracle: OracleServer, tmp_path: Path
) -> None:
    task, adb = await task_on(phone, "messages_send_text")
    model = oracle.oracle.register(task, phone.serial, adb)
    settings = {"base_url": oracle.base_url, "model": model, "runs_dir": str(tmp_path)}
    async with stdio_session("--device", phone.serial, "--allow-sensitive", **settings) as session:
        body = json_of(await session.call_tool("run_task", {"instruction": task.goal, "max_steps": 15}))
        assert body["status"] == "succeeded", body
        assert await task.is_successful(adb) == 1.0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_missing_model_or_bad_input_is_a_clear_tool_error(phone: Any, tmp_path: Path) -> None:
    settings = {"base_url": f"http://127.0.0.1:{_closed_port()}/v1", "runs_dir": str(tmp_path)}
    async with stdio_session("--device", phone.serial, **settings) as session:
        result = await session.call_tool("run_task", {"instruction": "Turn on Wi-Fi"})
        assert result.is_error
        message = text_of(result)
        assert "What to do" in message and "MOBILE_AGENT_BASE_URL" in message, message
        assert listing(tmp_path) == [], "nothing was written for a run that could not start"
        empty = await session.call_tool("run_task", {"instruction": "  "})
        assert empty.is_error and "instruction is empty" in text_of(empty)
        with pytest.raises(MCPError, match="no run yet: call run_task first"):
            await session.read_resource("mobile-agent://runs/latest/report")
