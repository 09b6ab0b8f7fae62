"""A model's unknown key name fails that step (the model can retry), not the whole task as a device error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mobile_agent.agent import Agent
from mobile_agent.config import AgentConfig
from mobile_agent.testing import StubChatServer


def _answers() -> Any:
    calls = {"n": 0}

    def respond(request: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            args = {"action": "key", "text": "'; reboot; '"}
        else:
            args = {"action": "terminate", "status": "success"}
        call = json.dumps({"name": "mobile_use", "arguments": args})
        return f"<thinking>t</thinking>\n<tool_call>\n{call}\n</tool_call>\n<conclusion>c</conclusion>"

    return respond


async def test_unknown_key_fails_the_step_not_the_task(sim_phone: Any, tmp_path: Path) -> None:
    with StubChatServer(_answers()) as server:
        config = AgentConfig(
            runs_dir=tmp_path, base_url=server.base_url, model="gui-owl-stub", retries=0, mode="single"
        )
        result = await Agent(sim_phone.serial, config=config).run("Press the key")
    assert result.error != "device_error", result.reason
    assert result.status == "succeeded" and result.steps == 2
    assert result.run_dir is not None
    events = [json.loads(line) for line in (result.run_dir / "events.jsonl").read_text().splitlines()]
    failed = [e for e in events if e["type"] == "action.failed"]
    assert failed and "unknown key" in failed[0]["data"]["error"]
