"""`mobile-agent eval-steps` on an exported dataset, over real HTTP: the recorded oracle labels
score 100%, a deliberately wrong policy (always taps the top-left corner) scores low."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mobile_agent.testing import StubChatServer


def _eval(rollout_dir: Path, out: Path, *policy: str) -> dict:  # type: ignore[type-arg]
    cmd = [sys.executable, "-m", "mobile_agent", "eval-steps", str(rollout_dir), *policy, "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((out / "eval.json").read_text())


def test_the_oracle_scores_every_step(rollout_dir: Path, tmp_path: Path) -> None:
    result = _eval(rollout_dir, tmp_path / "oracle", "--policy", "oracle")
    assert result["steps"] > 0 and result["grounding_steps"] > 0
    assert result["type_accuracy"] == result["grounding_accuracy"] == result["step_success"] == 1.0
    assert "Worst steps" in (tmp_path / "oracle" / "report.html").read_text()


def test_a_wrong_policy_scores_low_and_its_misses_are_shown(rollout_dir: Path, tmp_path: Path) -> None:
    wrong = '<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", "coordinate": [3, 3]}}\n</tool_call>'
    server = StubChatServer(lambda _r: wrong).start()
    try:
        result = _eval(rollout_dir, tmp_path / "wrong", "--base-url", server.base_url, "--model", "wrong")
    finally:
        server.stop()
    assert result["grounding_accuracy"] == 0.0
    assert result["type_accuracy"] < 0.7 and result["step_success"] == 0.0
    page = (tmp_path / "wrong" / "report.html").read_text()
    assert page.count("<figure>") == min(12, result["steps"]) and "data:image/jpeg;base64," in page
