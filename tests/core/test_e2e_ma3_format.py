"""Multi mode end to end against a model that answers every role in Mobile-Agent-v3's exact format.

GUI-Owl was trained on MA3's role prompts, whose headers close with hashes (`### Plan ###`). The
model is a real OpenAI-compatible HTTP server (StubChatServer); the phone is the virtual phone over
real ADB; the CLI runs as a subprocess.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from core_support import WifiOracle, adb_shell

from mobile_agent.agent import Agent
from mobile_agent.config import AgentConfig
from mobile_agent.testing import ScriptedResponder, StubChatServer


class Ma3WifiOracle(WifiOracle):
    """Turn on Wi-Fi, every role answered exactly as Mobile-Agent-v3's prompts ask."""

    def __call__(self, request: Any) -> str:
        role = request.role
        if role == "manager":
            if self.wifi_on():
                return (
                    "### Thought ###\nWi-Fi is on now.\n\n### Historical Operations ###\n"
                    "1. Open Settings\n2. Turn on the Wi-Fi switch\n\n### Plan ###\nFinished\n"
                )
            return (
                "### Thought ###\nWi-Fi is a toggle in Settings.\n\n"
                "### Plan ###\n1. Open Settings\n2. Turn on the Wi-Fi switch\n"
            )
        if role == "worker":
            point = self.next_point(request.images[0].size)
            return (
                "### Thought ###\nTap the next control.\n\n"
                f'### Action ###\n{{"action": "click", "coordinate": {point}}}\n\n'
                "### Description ###\nTap it so that the next screen opens.\n"
            )
        if role == "reflector":
            return "### Outcome ###\nA\n\n### Error Description ###\nNone\n"
        if role == "notetaker":
            return "### Important Notes ###\nNone\n"
        raise AssertionError(f"unexpected role {role!r}")


ROLES = ("manager", "worker", "reflector", "notetaker")


async def test_multi_mode_completes_a_task_with_ma3_format_answers(sim_phone: Any, tmp_path: Path) -> None:
    serial = sim_phone.serial
    assert adb_shell(serial, "settings get global wifi_on") == "0"
    answers = ScriptedResponder({r: [Ma3WifiOracle(serial)] * 20 for r in ROLES})
    config = AgentConfig(
        runs_dir=tmp_path / "runs", model="gui-owl-stub", retries=0, manager_retries=0, worker_retries=0
    )
    with StubChatServer(answers) as server:
        config = config.model_copy(update={"base_url": server.base_url})
        result = await Agent(serial, config=config).run("Turn on Wi-Fi")
    assert result.status == "succeeded", result.reason
    assert adb_shell(serial, "settings get global wifi_on") == "1"  # the device proves it
    assert result.run_dir is not None
    events = [json.loads(line) for line in (result.run_dir / "events.jsonl").read_text().splitlines()]
    assert not [e for e in events if e["type"] == "parse.error"], "an MA3 answer was misread"
    plans = [e["data"] for e in events if e["type"] == "plan.updated"]
    assert plans[0]["plan"] == ["Open Settings", "Turn on the Wi-Fi switch"]
    assert plans[0]["subgoal"] == "Open Settings"
    proposed = [e["data"] for e in events if e["type"] == "action.proposed"]
    assert proposed[0]["description"] == "Tap it so that the next screen opens."
    assert {e["data"]["outcome"] for e in events if e["type"] == "reflection"} == {"A"}


async def test_cli_says_a_native_tool_call_manager_needs_single_mode(sim_phone: Any, tmp_path: Path) -> None:
    """A model that only speaks GUI-Owl's native format fails with a message that names the fix."""
    native = (
        "<thinking>Open Settings.</thinking>\n<tool_call>\n"
        '{"name": "mobile_use", "arguments": {"action": "open", "text": "Settings"}}\n</tool_call>\n'
        "<conclusion>Opening Settings.</conclusion>"
    )
    with StubChatServer(lambda _request: native) as server:
        env = {**os.environ, "MOBILE_AGENT_RETRIES": "0", "NO_COLOR": "1", "COLUMNS": "200"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mobile_agent", "run", "Turn on Wi-Fi", "--device", sim_phone.serial,
            "--base-url", server.base_url, "--model", "gui-owl-stub", "--out", str(tmp_path), "-q",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        _out, err_b = await asyncio.wait_for(proc.communicate(), 120)
    err = " ".join(err_b.decode().split())
    assert proc.returncode == 1, err
    assert "native tool-call format" in err and "--mode single" in err
    assert "Traceback" not in err
