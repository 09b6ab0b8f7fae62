"""One small rollout shared by the tests of this folder (a real `mobile-agent rollout` subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# two quick templates, k=3, injected errors so that rewards vary
TASKS = "^(wifi_on|bluetooth_off)$"
ARGS = ["--tasks", TASKS, "--k", "3", "--error-rate", "0.5", "--seed", "3"]


def rollout_cmd(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "mobile_agent", "rollout", *ARGS, *extra, "--out", str(out)]


@pytest.fixture(scope="session")
def rollout_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rollout") / "ds"
    proc = subprocess.run(rollout_cmd(out, "--parallel", "2"), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out
