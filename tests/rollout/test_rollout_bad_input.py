"""Bad input to `mobile-agent rollout` / `eval-steps`: a clear error (exit 2), no traceback, nothing
lost; and a rollout whose every sample errored still exports (real subprocesses, real phones)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rollout_rows import rows

from mobile_agent.testing import StubChatServer, StubFault


def _cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "mobile_agent", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def test_a_model_server_down_from_the_start_still_exports_and_eval_steps_says_why(tmp_path: Path) -> None:
    server = StubChatServer(lambda _r: "", faults=lambda _i: StubFault(500)).start()
    out = tmp_path / "down"
    try:
        proc = _cli(
            "rollout",
            "--tasks",
            "^wifi_on$",
            "--k",
            "2",
            "--base-url",
            server.base_url,
            "--model",
            "m",
            "--out",
            str(out),
        )
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert [t["status"] for t in rows(out, "trajectories")] == ["error", "error"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["errors"] == 2 and summary["steps"] == 0
    assert (out / "README.md").is_file()
    ev = _cli("eval-steps", str(out), "--policy", "oracle", "--out", str(tmp_path / "ev"), timeout=60)
    assert ev.returncode == 2 and "Traceback" not in ev.stderr
    assert "data/steps" in ev.stderr


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--temperature", "nan"], "--temperature"),
        (["--temperature", "-1"], "--temperature"),
        (["--task-timeout", "-5"], "--task-timeout"),
        (["--task-timeout", "nan"], "--task-timeout"),
    ],
)
def test_unusable_sampling_options_are_refused_before_any_folder_is_made(
    tmp_path: Path, extra: list[str], needle: str
) -> None:
    out = tmp_path / "o"
    proc = _cli("rollout", "--tasks", "^wifi_on$", "--k", "1", *extra, "--out", str(out), timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_an_out_that_is_a_file_or_holds_a_broken_config_is_refused(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("precious")
    proc = _cli("rollout", "--tasks", "^wifi_on$", "--k", "1", "--out", str(afile), timeout=60)
    assert proc.returncode == 2 and "not a folder" in proc.stderr and "Traceback" not in proc.stderr
    assert afile.read_text() == "precious"
    under = _cli("rollout", "--tasks", "^wifi_on$", "--k", "1", "--out", str(afile / "x"), timeout=60)
    assert under.returncode == 2 and "Traceback" not in under.stderr, under.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "rollout.json").write_text('{"tasks": "^wifi')  # a config cut short
    proc = _cli("rollout", "--tasks", "^wifi_on$", "--k", "1", "--out", str(broken), timeout=60)
    assert proc.returncode == 2 and "unreadable" in proc.stderr and "Traceback" not in proc.stderr
    assert (broken / "rollout.json").read_text() == '{"tasks": "^wifi'


def test_eval_steps_on_a_corrupt_or_partial_dataset_says_what_is_wrong(
    rollout_dir: Path, tmp_path: Path
) -> None:
    import shutil

    import pyarrow.parquet as pq

    corrupt, partial = tmp_path / "corrupt", tmp_path / "partial"
    for d in (corrupt, partial):
        shutil.copytree(rollout_dir, d)
    shard = sorted((corrupt / "data" / "steps").glob("*.parquet"))[0]
    shard.write_bytes(shard.read_bytes()[:3000])  # a copy cut short
    shard = sorted((partial / "data" / "steps").glob("*.parquet"))[0]
    pq.write_table(pq.read_table(shard).drop(["label_device"]), shard)
    for d, needle in ((corrupt, "cannot read the step shards"), (partial, "label_device")):
        ev = _cli("eval-steps", str(d), "--policy", "oracle", "--out", str(tmp_path / "ev"), timeout=120)
        assert ev.returncode == 2, ev.stdout + ev.stderr
        assert needle in ev.stderr and "Traceback" not in ev.stderr, ev.stderr
