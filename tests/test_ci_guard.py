"""ci_guard through real pytest runs: a missing dependency skips locally and fails under CI=true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ci_guard import require_module

TESTS = Path(__file__).resolve().parent

PROBE_SKIP = """
from ci_guard import skip_or_fail

def test_needs_a_tool():
    skip_or_fail("the tool is not installed")
"""

PROBE_IMPORT = """
from ci_guard import require_module

require_module("mobile_agent_no_such_module", "pip install it")

def test_never_runs():
    pass
"""


def _pytest(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"PYTHONPATH": str(TESTS)}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "--continue-on-collection-errors",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def probes(tmp_path: Path) -> Path:
    (tmp_path / "test_probe_skip.py").write_text(PROBE_SKIP)
    (tmp_path / "test_probe_import.py").write_text(PROBE_IMPORT)
    return tmp_path


def test_skips_locally(probes: Path) -> None:
    out = _pytest(probes, None)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 skipped" in out.stdout
    assert "the tool is not installed" in out.stdout and "pip install it" in out.stdout


@pytest.mark.parametrize("value", ["true", "TRUE", "1"])
def test_fails_under_ci(probes: Path, value: str) -> None:
    out = _pytest(probes, value)
    assert out.returncode != 0, out.stdout + out.stderr
    assert "skipped" not in out.stdout
    assert "1 failed" in out.stdout and "1 error" in out.stdout, out.stdout
    assert "CI=true: this test must run in CI" in out.stdout


def test_present_module_is_returned() -> None:
    assert require_module("json").dumps([1]) == "[1]"


def test_a_missing_requirement_stops_pytest_at_once_saying_how_to_install(tmp_path: Path) -> None:
    """Without the project's dependencies, `pytest` says what to install instead of 69 collection errors."""
    blocked = tmp_path / "blocked" / "PIL"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text('raise ImportError("Pillow is not installed")\n')
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "blocked")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", str(TESTS / "test_house.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=TESTS.parent,
        timeout=120,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 4, out  # pytest's usage error
    assert "PIL (Pillow is not installed)" in out and 'pip install -e ".[dev]"' in out, out
    assert "errors during collection" not in out
