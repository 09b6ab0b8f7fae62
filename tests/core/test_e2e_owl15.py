"""GUI-Owl-1.5 end to end: answers in its own format (an `Action:` line and a `mobile_use` call
on the 0-1000 grid, `interact` to ask the user) from a real OpenAI-compatible HTTP server
(StubChatServer), on the virtual phone over real ADB, in single and multi mode, and through the
CLI with a person answering on a terminal."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from core_support import WifiOracle, adb_shell

from mobile_agent.agent import Agent
from mobile_agent.config import AgentConfig
from mobile_agent.testing import ScriptedResponder, StubChatServer

PROFILE = "gui-owl-1.5-8b"
QUESTION = "Which setting should I change: Wi-Fi or Bluetooth?"


def call(action: str, **args: Any) -> str:
    """One GUI-Owl-1.5 answer: the Action line, then the tool call."""
    arguments = json.dumps({"action": action, **args})
    return f'Action: {action} now.\n<tool_call>\n{{"name": "mobile_use", "arguments": {arguments}}}\n</tool_call>'


class Owl15Oracle(WifiOracle):
    """Turns on Wi-Fi answering as GUI-Owl-1.5 does; with `ask_first`, it asks the user first."""

    def __init__(self, serial: str, *, ask_first: bool = False) -> None:
        super().__init__(serial, frame="norm1000")
        self.ask_first = ask_first

    def __call__(self, request: Any) -> str:
        if request.role != "single":
            return super().__call__(request)
        if self.ask_first and "The user replied" not in request.user_text:
            return call("interact", text=QUESTION)
        if self.wifi_on():
            return call("terminate", status="success")
        return call("click", coordinate=self.next_point(request.images[0].size))


def events_of(run: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]


def config(tmp_path: Path, base_url: str, mode: str) -> AgentConfig:
    return AgentConfig(
        profile=PROFILE,
        mode=mode,
        runs_dir=tmp_path / "runs",
        base_url=base_url,
        model="gui-owl-stub",
        retries=0,
    )


async def test_single_mode_taps_the_right_element_on_the_grid(sim_phone: Any, tmp_path: Path) -> None:
    serial = sim_phone.serial
    responder = ScriptedResponder({"single": [Owl15Oracle(serial)] * 6})
    with StubChatServer(responder) as server:
        result = await Agent(serial, config=config(tmp_path, server.base_url, "single")).run("Turn on Wi-Fi")
        requests = list(server.requests)
    assert result.status == "succeeded", result.reason
    assert adb_shell(serial, "settings get global wifi_on") == "1"  # the tap hit the switch
    system = requests[0].system
    assert '"name_for_human": "mobile_use"' in system and '"interact"' in system and "1000x1000" in system
    assert {r.images[0].size for r in requests} == {(1088, 2400)}  # Qwen3-VL's factor-32 grid
    assert "Previous actions:\nStep 1: click now." in requests[1].user_text
    assert result.run_dir is not None
    taps = [
        e["data"]
        for e in events_of(result.run_dir)
        if e["type"] == "action.executed" and e["data"]["device_points"]
    ]
    assert taps and all(t["device_size"] == [1080, 2400] for t in taps)


async def test_a_corner_tap_lands_on_the_corner_pixel(sim_phone: Any, tmp_path: Path) -> None:
    """(0, 0) is pixel (0, 0) and (1000, 1000) is pixel (1079, 2399), on the recents button: the
    phone shows recents (the sim ignores taps off its 1080x2400 screen)."""
    serial = sim_phone.serial
    answers = [
        call("click", coordinate=[0, 0]),
        call("click", coordinate=[1000, 1000]),
        call("terminate", status="success"),
    ]
    with StubChatServer(ScriptedResponder({"single": answers})) as server:
        result = await Agent(serial, config=config(tmp_path, server.base_url, "single")).run(
            "Tap the corners"
        )
    assert result.status == "succeeded", result.reason
    assert result.run_dir is not None
    events = events_of(result.run_dir)
    points = [e["data"]["device_points"] for e in events if e["type"] == "action.executed"][:2]
    assert points == [[[0, 0]], [[1079, 2399]]]
    changed = [e["data"]["changed"] for e in events if e["type"] == "screen.diff"]
    assert changed == [False, True]  # the status bar ignores a tap; the recents button does not


async def test_multi_mode_with_owl15_in_every_role(sim_phone: Any, tmp_path: Path) -> None:
    """Manager, Worker, Reflector and Notetaker all on the 1.5 profile; the Worker answers its
    action as a native `mobile_use` call on the 0-1000 grid."""
    serial = sim_phone.serial
    oracle = Owl15Oracle(serial)

    def worker(request: Any) -> str:
        point = oracle.next_point(request.images[0].size)
        native = json.dumps({"name": "mobile_use", "arguments": {"action": "click", "coordinate": point}})
        return f"### Thought\nTap it.\n### Action\n{native}\n### Description\nthe next screen opens"

    roles = ("manager", "reflector", "notetaker")
    responder = ScriptedResponder({"worker": [worker] * 10, **{r: [oracle] * 10 for r in roles}})
    with StubChatServer(responder) as server:
        result = await Agent(serial, config=config(tmp_path, server.base_url, "multi")).run("Turn on Wi-Fi")
        requests = list(server.requests)
    assert result.status == "succeeded", result.reason
    assert adb_shell(serial, "settings get global wifi_on") == "1"
    assert {r.role for r in requests} == {"manager", "worker", "reflector", "notetaker"}
    assert {im.size for r in requests for im in r.images} == {(1088, 2400)}
    worker_system = next(r.system for r in requests if r.role == "worker")
    assert "0-1000" in worker_system and '"action": "interact"' in worker_system


async def _read_until(stream: Any, text: str, seen: list[str], limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while text not in "".join(seen):
        chunk = await asyncio.wait_for(stream.read(4096), max(0.1, deadline - time.monotonic()))
        assert chunk, "".join(seen)
        seen.append(chunk.decode(errors="replace"))


async def test_interact_asks_the_person_and_the_run_goes_on(sim_phone: Any, tmp_path: Path) -> None:
    """`interact` through the CLI: the question is asked on the terminal, the reply reaches the
    model's next turn, and the task completes on the phone."""
    serial = sim_phone.serial
    responder = ScriptedResponder({"single": [Owl15Oracle(serial, ask_first=True)] * 8})
    with StubChatServer(responder) as server:
        controller, terminal = os.openpty()
        env = {**os.environ, "MOBILE_AGENT_RETRIES": "0", "NO_COLOR": "1", "COLUMNS": "200"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mobile_agent", "run", "Turn on the setting I name", "--device", serial,
            "--base-url", server.base_url, "--model", "gui-owl-stub", "--profile", PROFILE, "--mode", "single",
            "--out", str(tmp_path), "--json",
            stdin=terminal, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        os.close(terminal)
        try:
            seen: list[str] = []
            await _read_until(proc.stderr, QUESTION, seen)
            os.write(controller, b"Wi-Fi\n")
            out, err = await asyncio.wait_for(proc.communicate(), 120)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            os.close(controller)
        requests = list(server.requests)
    err_text = "".join(seen) + err.decode()
    assert proc.returncode == 0, err_text
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result["status"] == "succeeded"
    assert adb_shell(serial, "settings get global wifi_on") == "1"
    assert "The user replied:\n- Wi-Fi" in requests[1].user_text
    events = events_of(Path(result["run_dir"]))
    asked = [e["data"] for e in events if e["type"] == "human.requested"]
    replied = [e["data"] for e in events if e["type"] == "human.replied"]
    assert asked == [{"kind": "question", "prompt": QUESTION, "action": {"action": "ask", "text": QUESTION}}]
    assert replied[0]["text"] == "Wi-Fi" and replied[0]["approved"] is True
