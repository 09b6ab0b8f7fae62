"""`--policy confirm` on a terminal: approve, decline, and Ctrl-C at the prompt exits at once as cancelled."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from core_support import WifiOracle

from mobile_agent.testing import StubChatServer


class SendingOracle(WifiOracle):
    """The Wi-Fi oracle whose Worker describes every tap as sending a payment (a sensitive step)."""

    def __call__(self, request: Any) -> str:
        answer = super().__call__(request)
        if request.role == "worker":
            return answer.replace("the next screen opens", "this will send the payment")
        return answer


async def _start(serial: str, base_url: str, out: Path) -> tuple[asyncio.subprocess.Process, int]:
    controller, terminal = os.openpty()  # the prompt is only shown when stdin is a terminal
    env = {**os.environ, "MOBILE_AGENT_RETRIES": "0", "NO_COLOR": "1", "COLUMNS": "200"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mobile_agent", "run", "Turn on Wi-Fi", "--device", serial,
        "--base-url", base_url, "--model", "gui-owl-stub", "--out", str(out), "--policy", "confirm", "--json",
        stdin=terminal, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    os.close(terminal)
    return proc, controller


async def _wait_for(stream: Any, text: str, seen: list[str], count: int = 1, limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while "".join(seen).count(text) < count:
        chunk = await asyncio.wait_for(stream.read(4096), max(0.1, deadline - time.monotonic()))
        assert chunk, "".join(seen)
        seen.append(chunk.decode(errors="replace"))


async def test_ctrl_c_at_the_prompt_exits_cancelled(sim_phone: Any, tmp_path: Path) -> None:
    with StubChatServer(SendingOracle(sim_phone.serial)) as server:
        proc, controller = await _start(sim_phone.serial, server.base_url, tmp_path)
        try:
            seen: list[str] = []
            await _wait_for(proc.stderr, "asks you (confirm)", seen)
            os.write(controller, b"y\n")  # approve the first tap
            await _wait_for(proc.stderr, "approved", seen)
            await _wait_for(proc.stderr, "asks you (confirm)", seen, count=2)  # the second tap
            proc.send_signal(signal.SIGINT)
            out, err = await asyncio.wait_for(proc.communicate(), 15)  # no Enter needed
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            os.close(controller)
    err = "".join(seen) + err.decode()
    assert proc.returncode not in (0, None) and "Traceback" not in err, err
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result["status"] == "cancelled"
    assert "Allow?" not in out.decode()  # the prompt is on stderr: stdout stays JSON
    run = Path(result["run_dir"])
    assert json.loads((run / "result.json").read_text())["status"] == "cancelled"
    assert (run / "report.html").exists()
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert events[-1]["type"] == "task.finished"
    assert any(e["type"] == "human.replied" and e["data"].get("approved") for e in events)
