"""Kill a benchmark mid-way; `--resume` keeps every finished record and repeats none."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import adbutils

from mobile_agent.bench.runner import load_records, run_bench

TASKS = "wifi_off,bluetooth_on,dark_theme_on"


def test_resume_after_kill_loses_nothing(tmp_path) -> None:
    out = tmp_path / "bench"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mobile_agent.bench", "--tasks", TASKS, "--out", str(out), "--parallel", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    results = out / "results.jsonl"
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            if results.exists() and load_records(results):
                break
            assert proc.poll() is None, "the benchmark ended before it could be interrupted"
            time.sleep(0.05)
        else:
            raise AssertionError("no record was written in time")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    before = load_records(results)
    assert 1 <= len(before) < 3, "killed after the first record, before the last"
    for rec in before:  # the killed process's phones are gone; forget them in the adb server
        try:
            adbutils.AdbClient(host="127.0.0.1", port=5037).disconnect(rec["serial"])
        except Exception:
            pass

    summary = asyncio.run(run_bench(TASKS, 1, 1, 1, None, "multi", 1, out, 0.0, True))
    after = load_records(results)
    keys = [(r["instance"], r["attempt"]) for r in after]
    assert len(keys) == len(set(keys)) == 3, keys
    assert after[: len(before)] == before, "finished records are kept as they were"
    assert summary["overall"]["runs"] == 3
    assert summary["meta"]["runs_this_session"] == 3 - len(before)
    assert json.loads((out / "results.json").read_text())["overall"]["verified_success"] == 3
