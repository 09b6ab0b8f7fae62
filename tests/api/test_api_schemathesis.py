"""Schemathesis, every check, over the live API: the OpenAPI document and the server agree.

It runs the real `st` CLI (examples, coverage, fuzzing and stateful phases) against a real
uvicorn server with a token, a bounded number of examples per operation, a fixed seed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from api_harness import LiveServer
from api_scripted_runner import ScriptedRunner, fake_devices

from mobile_agent.api import create_app
from mobile_agent.api.settings import ApiSettings

TOKEN = "schemathesis-token-0123456789"
# POST /v1/tasks refuses a `device` this server does not know with 422 (documented in the
# OpenAPI document): a string is schema-valid, the device list is the server's state.
CONFIG = """
[[operations]]
include-path = "/v1/tasks"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2XX", "401", "403", "404", "409", "422"]
"""


def st_command() -> list[str]:
    beside = Path(sys.executable).with_name("st")
    exe = str(beside) if beside.exists() else shutil.which("st")
    if exe is None:
        pytest.fail("schemathesis is not installed: pip install -e '.[dev]'")
    return [exe]


def test_schemathesis_all_checks(tmp_path: Path) -> None:
    settings = ApiSettings(runs_dir=tmp_path / "runs", device_refresh_s=60, api_token=TOKEN)
    app = create_app(settings, runner=ScriptedRunner(steps=1, step_s=0.01), device_lister=fake_devices(["dev-a"]))
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    with LiveServer(app) as srv:
        done = subprocess.run(
            [
                *st_command(),
                "--config-file",
                str(config),
                "run",
                f"{srv.url}/openapi.json",
                "--header",
                f"Authorization: Bearer {TOKEN}",
                "--checks",
                "all",
                "--max-examples",
                "15",
                "--seed",
                "1",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=240,
            cwd=tmp_path,
        )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-6000:]
    assert "11 selected / 11 total" in report, report[-3000:]  # every operation, none left out
