"""A benchmark's outputs are shared: a password in --base-url must not be written into them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mobile_agent.testing import StubChatServer

PASSWORD = "Bench-Passw0rd-6d1a"


def test_bench_outputs_name_the_endpoint_without_its_password(tmp_path: Path) -> None:
    with StubChatServer(lambda r: "", faults=lambda i: 400) as server:
        url = server.base_url.replace("http://", f"http://agent:{PASSWORD}@")
        proc = subprocess.run(
            [sys.executable, "-m", "mobile_agent", "bench", "--tasks", "wifi_on", "--seeds", "1", "--n", "1",
             "--k", "1", "--base-url", url, "--model", "gui-owl-stub", "--out", str(tmp_path)],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "MOBILE_AGENT_RETRIES": "0", "NO_COLOR": "1"},
        )  # fmt: skip
    results = (tmp_path / "results.json").read_text("utf-8")
    assert f"agent:[redacted]@127.0.0.1:{server.port}" in results
    for path in [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".png"]:
        assert PASSWORD not in path.read_text("utf-8", errors="replace"), path
    assert PASSWORD not in proc.stdout + proc.stderr
