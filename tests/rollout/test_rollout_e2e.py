"""`mobile-agent rollout` end to end on virtual phones with the oracle (injected errors), through
the real CLI: the dataset a trainer loads, resume after a kill, refusals, model-server failures."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import rollout_cmd
from PIL import Image
from rollout_rows import rows

from mobile_agent.testing import StubChatServer, StubFault


def test_dataset_loads_with_device_verdicts_images_and_varied_rewards(rollout_dir: Path) -> None:
    trajs = rows(rollout_dir, "trajectories")
    steps = rows(rollout_dir, "steps")
    assert len(trajs) == 6  # 2 templates x 1 seed x k=3
    for t in trajs:
        assert t["status"] in ("success", "failure")
        assert t["trajectory_reward"] == t["verified"] in (0.0, 1.0)
        assert {"task", "instance_id", "sample_id"} <= t.keys()
    assert {s["sample_id"] for s in steps} == {0, 1, 2}
    first = steps[0]
    with Image.open(io.BytesIO(first["images"][-1]["bytes"])) as im:
        assert im.size == (first["image_width"], first["image_height"])  # the size the model saw
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert sum(p["type"] == "image" for m in first["messages"] for p in m["content"]) == len(first["images"])
    assert "<tool_call>" in first["response"] and "<hierarchy" in first["ui_tree"]
    # error rate 0.5: some steps disagree with the oracle's label, and those are the hard ones
    hard = [s for s in steps if s["hard"]]
    assert hard and len(hard) < len(steps)
    for s in steps:
        if s["action_device"] == s["label_device"]:
            assert s["step_success"] and s["step_reward"] >= 2.0
    summary = json.loads((rollout_dir / "summary.json").read_text())
    assert summary["samples"] == 6 and summary["bytes"]["per_step"] > 0
    assert set(summary["pass_at_k"]["overall"]) == {"1", "2", "3"}
    assert (rollout_dir / "README.md").read_text().startswith("---\nconfigs:")


def test_a_killed_rollout_resumes_to_the_same_rows(rollout_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "resumed"
    proc = subprocess.Popen(
        rollout_cmd(out, "--parallel", "1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("samples/*/sample.json"))) < 2:
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(list(out.glob("samples/*/sample.json")))
    assert 2 <= finished < 6 and not (out / "data").exists()
    again = subprocess.run(rollout_cmd(out, "--parallel", "2"), capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"({finished} already done)" in again.stdout
    assert rows(out, "trajectories") == rows(rollout_dir, "trajectories")
    assert rows(out, "steps") == rows(rollout_dir, "steps")


def test_a_folder_of_another_configuration_is_refused(rollout_dir: Path) -> None:
    before = sorted(p.name for p in (rollout_dir / "samples").iterdir())
    cmd = [
        sys.executable,
        "-m",
        "mobile_agent",
        "rollout",
        "--tasks",
        "wifi",
        "--k",
        "2",
        "--out",
        str(rollout_dir),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "another configuration" in proc.stderr and "k: 3 there, 2 now" in proc.stderr
    assert sorted(p.name for p in (rollout_dir / "samples").iterdir()) == before


def test_a_model_server_failing_mid_rollout_marks_samples_error(tmp_path: Path) -> None:
    answer = '<tool_call>\n{"name": "mobile_use", "arguments": {"action": "open", "text": "Settings"}}\n</tool_call>'
    server = StubChatServer(lambda _r: answer, faults=lambda i: StubFault(500) if i >= 2 else None).start()
    try:
        out = tmp_path / "err"
        cmd = [
            sys.executable,
            "-m",
            "mobile_agent",
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
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    trajs = rows(out, "trajectories")
    assert [t["status"] for t in trajs] == ["error", "error"]
    assert all(t["trajectory_reward"] is None for t in trajs)
    assert json.loads((out / "summary.json").read_text())["errors"] == 2
