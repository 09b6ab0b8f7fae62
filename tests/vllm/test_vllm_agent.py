"""`mobile-agent run` on the virtual phone against the real vLLM serving the random tiny model.

The model answers garbage, so a run must end as a clean failure: exit 1, status `failed`,
`role.parse_error` events for the unparseable answers, no traceback, a complete run directory,
with the server's own token counts recorded. With the client's pixel budget above the server's,
the run must stop at step 1 with exit 2 and a message naming both budgets; with the same budget
that check stays silent.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from vllm_support import MAX_PIXELS, PROFILE, REPO, Served


async def _run(
    served: Served, serial: str, out: Path, *args: str, env: dict[str, str]
) -> tuple[int, str, str]:
    full_env = {
        **os.environ,
        "MOBILE_AGENT_RETRIES": "0",
        "MOBILE_AGENT_MAX_TOKENS": "48",  # a random model never says EOS: every call runs to the limit
        "NO_COLOR": "1",
        "COLUMNS": "200",
        **env,
    }
    if "MOBILE_AGENT_MAX_PIXELS" not in env:  # the caller's shell must not decide the budget
        full_env.pop("MOBILE_AGENT_MAX_PIXELS", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mobile_agent", "run", "Turn on Wi-Fi", "--device", serial,
        "--base-url", served.base_url, "--profile", PROFILE, "--out", str(out), "--json", "--max-steps", "2",
        *args, cwd=REPO, env=full_env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 240)
    assert proc.returncode is not None
    return proc.returncode, stdout.decode(), stderr.decode()


def _events(run: Path) -> list[dict[str, Any]]:
    """The run's events, once its directory is complete (events, result, report, screenshots)."""
    for name in ("events.jsonl", "result.json", "report.html"):
        assert (run / name).is_file(), name
    assert any(run.glob("steps/*-before.png"))
    return [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("mode", ["multi", "single"])
async def test_garbage_answers_end_in_a_clean_failure(
    served: Served, sim_phone: str, tmp_path: Path, mode: str
) -> None:
    code, out, err = await _run(
        served, sim_phone, tmp_path, "--mode", mode, env={"MOBILE_AGENT_MAX_PIXELS": str(MAX_PIXELS)}
    )
    assert code == 1, err[-3000:]
    assert "Traceback" not in err and "Traceback" not in out
    assert "frame mismatch" not in err  # same budget on both sides: the check stays silent
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "failed"
    run = Path(result["run_dir"])
    events = _events(run)
    kinds = [e.get("type") for e in events]
    assert "role.parse_error" in kinds, kinds
    calls = [e for e in events if e.get("type") == "model.call"]
    assert calls and all(c["data"]["prompt_tokens"] > c["data"]["image_tokens"] > 0 for c in calls)
    # The server's own counts: our image estimate plus text and the vision markers.
    assert all(c["data"]["completion_tokens"] == 48 for c in calls)
    saved = json.loads((run / "result.json").read_text())
    assert saved["status"] == "failed" and saved["usage"]["prompt_tokens"] == sum(
        c["data"]["prompt_tokens"] for c in calls
    )
    # Server-reported image tokens are recorded beside our estimate, per call and in result.json.
    assert all(c["data"]["usage_from_server"] for c in calls)
    checked = [c["data"]["server_image_tokens"] for c in calls if c["data"]["server_image_tokens"] is not None]
    assert checked and saved["usage"]["server_image_tokens"] == sum(checked)


async def test_a_server_with_another_pixel_budget_stops_the_run_at_step_1(
    served: Served, sim_phone: str, tmp_path: Path
) -> None:
    # The client keeps the profile's 3,211,264-pixel budget; the server was started with 401,408.
    code, out, err = await _run(served, sim_phone, tmp_path, "--mode", "single", env={})
    text = " ".join(err.split())
    assert code == 2, err[-3000:]
    assert "Traceback" not in err
    assert "frame mismatch" in text
    assert "max_pixels 3,211,264" in text and "~388,080 pixels" in text  # both budgets
    assert "MOBILE_AGENT_MAX_PIXELS" in text and "--profile" in text  # the fix
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "failed" and result["steps"] <= 1
    assert result["error"] == "frame_mismatch"  # its own kind, with its own fix (not "start a server")
    assert "same pixel budget" in text and "Start a model server" not in text
