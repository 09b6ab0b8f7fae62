"""A password in `--base-url` never reaches what a rollout or eval-steps writes or prints: not
rollout.json, summary.json, the dataset card (published with the data), eval.json or stdout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mobile_agent.testing import StubChatServer

PASSWORD = "Url-Passw0rd-6d1f"
GIVE_UP = '<tool_call>\n{"name": "mobile_use", "arguments": {"action": "terminate", "status": "fail"}}\n</tool_call>'


def _run(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "mobile_agent", *args], capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def test_a_password_in_the_base_url_stays_out_of_the_dataset_and_the_eval(tmp_path: Path) -> None:
    server = StubChatServer(lambda _r: GIVE_UP).start()
    url = server.base_url.replace("http://", f"http://agent:{PASSWORD}@")
    data, scores = tmp_path / "ds", tmp_path / "eval"
    try:
        model = ["--base-url", url, "--model", "m"]
        printed = _run("rollout", "--tasks", "^wifi_on$", "--k", "1", *model, "--out", str(data))
        printed += _run("eval-steps", str(data), *model, "--out", str(scores))
        printed += _run("rollout", "--tasks", "^wifi_on$", "--k", "1", *model, "--out", str(data))  # resumes
    finally:
        server.stop()
    assert server.requests, "the model was asked"
    written = [p for p in (*data.rglob("*"), *scores.rglob("*")) if p.is_file()]
    assert {"rollout.json", "summary.json", "README.md", "eval.json"} <= {p.name for p in written}
    for path in written:
        assert PASSWORD.encode() not in path.read_bytes(), path
    assert PASSWORD not in printed, printed
    assert f"agent:[redacted]@127.0.0.1:{server.port}" in (data / "rollout.json").read_text()
