"""A few tasks through the real framework: the oracle over HTTP, virtual phones over ADB."""

from __future__ import annotations

import json

import pytest

from mobile_agent.bench.runner import run_bench

SMOKE = "wifi_on,contacts_add,messages_send_emoji,info_latest_code"


@pytest.mark.parametrize("mode", ["multi", "single"])
async def test_smoke_all_verified(tmp_path, mode: str) -> None:
    summary = await run_bench(SMOKE, 1, 1, 1, None, mode, 2, tmp_path, 0.0, False)
    o = summary["overall"]
    assert o["runs"] == 4
    assert o["verified_success"] == 4, summary["failures"]
    assert o["disagreements"] == 0
    assert o["pass@1"] == 1.0
    assert o["model_calls"] > 0 and o["tokens"] > 0
    records = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert {r["mode"] for r in records} == {mode}
    assert all(r["verified"] == 1.0 and r["claimed_success"] for r in records)
    html = (tmp_path / "report.html").read_text()
    assert "<svg" in html and "test instrument" in html
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["overall"]["verified_success"] == 4
    # every run wrote its own run directory with the framework's trajectory
    for r in records:
        assert (
            (tmp_path / "runs").exists()
            and r["run_dir"]
            and (__import__("pathlib").Path(r["run_dir"]) / "events.jsonl").is_file()
        )
        # the benchmark's verdict is recorded in the run directory beside the agent's claim
        run = __import__("pathlib").Path(r["run_dir"])
        result = json.loads((run / "result.json").read_text())
        assert result["verified"] == 1.0 and result["claimed_success"] is True
        assert "verified: passed" in (run / "report.html").read_text()
