"""`mobile-agent mcp` over stdio stops at once on Ctrl-C and on SIGTERM while the client still
holds stdin open, and a task it was running is cancelled and written (result.json), as the
CLI's `run` does. Before, Ctrl-C hung until the client sent another line (the SDK reads stdin
in a thread), and SIGTERM killed the server with the run directory half written."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from mcp_support import MOBILE_AGENT, server_env

from mobile_agent.testing import StubChatServer

INIT = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}


async def _slow_model(_request: Any) -> str:
    await asyncio.sleep(60)  # the task is mid model call when the signal comes
    return "never used"


def _results(runs: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(runs.glob("*/result.json"))]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
async def test_a_signal_stops_the_stdio_server_and_writes_the_running_task(
    phone: Any, tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    runs = tmp_path / "runs"
    with StubChatServer(_slow_model) as model:
        env = {**os.environ, **server_env(base_url=model.base_url, model="m", runs_dir=str(runs))}
        proc = await asyncio.create_subprocess_exec(
            MOBILE_AGENT, "mcp", "--device", phone.serial,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None

        async def call(message: dict[str, Any]) -> dict[str, Any]:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write((json.dumps(message) + "\n").encode())
            await proc.stdin.drain()
            return dict(json.loads(await asyncio.wait_for(proc.stdout.readline(), 60)))

        try:
            assert "result" in await call(INIT)
            proc.stdin.write(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n')
            arguments = {"instruction": "Turn on Wi-Fi", "wait": False}
            started = await call(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "tools/call",
                    "params": {"name": "run_task", "arguments": arguments},
                }
            )
            assert not started["result"].get("isError"), started
            for _ in range(300):  # the run directory exists once the task is under way
                if await asyncio.to_thread(lambda: any(runs.glob("*/events.jsonl"))):
                    break
                await asyncio.sleep(0.1)
            proc.send_signal(sig)  # stdin stays open, as a client that did not close it
            rc = await asyncio.wait_for(proc.wait(), 30)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert rc == code, (await proc.stderr.read()).decode()[-2000:]
    results = await asyncio.to_thread(_results, runs)
    assert [r["status"] for r in results] == ["cancelled"]
