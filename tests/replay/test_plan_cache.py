"""`mobile-agent run --cache DIR` in a real subprocess, the oracle behind a real HTTP server that
counts its requests: the first run plans with the model and is stored; the same task on a fresh
phone in the same state is a hit replayed with zero model calls; another starting screen misses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from replay_support import oracle_server, phone

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.tasks import get_task
from mobile_agent.replay.cache import PlanCache


def _run(instruction: str, serial: str, base_url: str, model: str, cache: Path, out: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOBILE_AGENT_")}
    done = subprocess.run(
        [sys.executable, "-m", "mobile_agent", "run", instruction, "--device", serial, "--base-url", base_url,
         "--model", model, "--cache", str(cache), "--out", str(out), "--json", "--max-steps", "20"],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) | {"stderr": " ".join(done.stderr.split())}


async def test_the_second_run_is_a_cache_hit_with_no_model_call(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    task = get_task("notes_create").from_seed(1)  # taps and typing
    with oracle_server() as (server, oracle):
        with phone() as sim:
            adb = AdbShell(sim.serial)
            await task.initialize(adb)
            token = oracle.oracle.register(task, sim.serial, adb)
            first = _run(task.goal, sim.serial, server.base_url, token, cache, tmp_path / "runs")
            assert await task.is_successful(adb) == 1.0
        assert first["usage"]["calls"] > 0 and oracle.calls == first["usage"]["calls"]
        assert "cache miss" in first["stderr"]
        entries = [d for d in cache.iterdir() if not d.name.startswith(".")]
        assert len(entries) == 1 and (entries[0] / "recipe" / "result.json").is_file()
        assert json.loads((entries[0] / "entry.json").read_text())["instruction"] == task.goal

        before = oracle.calls
        with phone() as sim:  # a fresh phone in the same state
            adb = AdbShell(sim.serial)
            await task.initialize(adb)
            token = oracle.oracle.register(task, sim.serial, adb)
            second = _run(task.goal, sim.serial, server.base_url, token, cache, tmp_path / "runs")
            assert await task.is_successful(adb) == 1.0
        assert oracle.calls == before and second["usage"]["calls"] == 0  # no request reached the server
        assert "cache hit" in second["stderr"] and second["status"] == "succeeded"


async def test_another_starting_screen_is_another_key(tmp_path: Path) -> None:
    with phone() as sim:
        from mobile_agent.device.connect import connect

        device, _ = await connect(sim.serial)
        try:
            cache = PlanCache(tmp_path / "cache")
            home = cache.key("Turn on  Wi-Fi", "multi", await device.ui_tree())
            same = cache.key("turn on wi-fi", "multi", await device.ui_tree())
            await device.open_app("Clock")
            clock = cache.key("Turn on Wi-Fi", "multi", await device.ui_tree())
        finally:
            await device.close()
    assert home.digest == same.digest  # case and spacing of the instruction do not matter
    assert clock.digest != home.digest and clock.screen["package"] != home.screen["package"]
    assert (
        cache.key("Turn on Wi-Fi", "single", "<hierarchy/>").digest
        != cache.key("Turn on Wi-Fi", "multi", "<hierarchy/>").digest
    )
    assert cache.lookup(home) is None  # an empty cache misses
