"""The vllm serve command per profile, the launch-and-wait path, and the endpoint probe.

The launch tests run `python -m serving launch` for real against a stand-in `vllm` executable
(tests/serving/fake_vllm.py) that serves the OpenAI-compatible endpoints on the given port.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mobile_agent.llm.profiles import get_profile, list_profiles
from serving.launcher import (
    EndpointStatus,
    acheck_endpoint,
    build_command,
    check_endpoint,
    format_command,
    parse_nvidia_smi,
)
from serving.planner import plan

HERE = Path(__file__).parent
REPO = HERE.parent.parent


def _flag(cmd: list[str], name: str) -> str:
    return cmd[cmd.index(name) + 1]


@pytest.mark.parametrize("profile", list_profiles(), ids=lambda p: p.name)
def test_command_for_each_profile(profile) -> None:
    pl = plan(profile, gpu_memory_gib=80, gpus_per_node=1)
    cmd = build_command(profile, pl, host="0.0.0.0", port=8123)
    assert cmd[:3] == ["vllm", "serve", profile.hub_id]
    assert _flag(cmd, "--served-model-name") == profile.name
    # The JSON form current vLLM accepts (the old image=N form is rejected).
    assert json.loads(_flag(cmd, "--limit-mm-per-prompt")) == {"image": profile.images_per_prompt, "video": 0}
    assert json.loads(_flag(cmd, "--mm-processor-kwargs"))["max_pixels"] == profile.max_pixels
    assert int(_flag(cmd, "--max-model-len")) == pl.max_model_len
    assert "--enable-prefix-caching" in cmd
    assert _flag(cmd, "--tensor-parallel-size") == "1"
    assert _flag(cmd, "--pipeline-parallel-size") == "1"
    assert _flag(cmd, "--data-parallel-size") == "1"
    assert _flag(cmd, "--gpu-memory-utilization") == "0.9"
    assert json.loads(_flag(cmd, "--override-generation-config"))["temperature"] == 0.0
    # Printed form round-trips through a shell parser to the same argv.
    import shlex

    assert shlex.split(format_command(cmd)) == cmd


def test_multi_node_commands() -> None:
    p32 = get_profile("gui-owl-32b")
    pl = plan(p32, gpu_memory_gib=24, gpus_per_node=8, nodes=4)
    head = build_command(p32, pl, head_address="10.0.0.1", model_path="/models/owl32")
    assert head[2] == "/models/owl32"
    assert _flag(head, "--data-parallel-size") == "8" and _flag(head, "--data-parallel-size-local") == "2"
    assert "--headless" not in head
    third = build_command(p32, pl, head_address="10.0.0.1", node_rank=2)
    assert "--headless" in third and _flag(third, "--data-parallel-start-rank") == "4"
    pp = plan(p32, gpu_memory_gib=40, gpus_per_node=1, nodes=2)
    assert _flag(build_command(p32, pp, head_address="h"), "--distributed-executor-backend") == "ray"


def test_parse_nvidia_smi_takes_the_smallest_gpu() -> None:
    inv = parse_nvidia_smi("NVIDIA A100-SXM4-80GB, 81920\nNVIDIA A100-SXM4-40GB, 40960\n")
    assert inv.count == 2 and inv.memory_gib == 40.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fake_vllm_bin(tmp_path: Path) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "vllm"
    exe.write_text(f'#!/bin/sh\nexec {sys.executable} {HERE / "fake_vllm.py"} "$@"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return bindir


def _launch(
    tmp_path: Path, path: str, *extra: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "serving", "launch", "--gpus", "1", "--gpu-memory", "80", *extra],
        cwd=REPO,
        env={**os.environ, "PATH": path, "PYTHONPATH": str(REPO), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_launch_runs_vllm_waits_until_ready_and_stops_cleanly(tmp_path: Path) -> None:
    bindir = _fake_vllm_bin(tmp_path)
    port = _free_port()
    argv_file = tmp_path / "argv.json"
    proc = _launch(
        tmp_path,
        f"{bindir}{os.pathsep}{os.environ['PATH']}",
        "--port",
        str(port),
        "--profile",
        "gui-owl-7b",
        env={"FAKE_VLLM_ARGV": str(argv_file)},
    )
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + 30
    while "mobile-agent run --base-url" not in seen and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    # --profile, not --model: the client then resizes with the same pixel budget as the server.
    assert f"--base-url http://127.0.0.1:{port}/v1 --profile gui-owl-7b" in seen, seen
    served_argv = json.loads(argv_file.read_text())
    assert served_argv[:2] == ["serve", "mPLUG/GUI-Owl-7B"]
    assert _flag(served_argv, "--port") == str(port)
    # The server is up and answers the same probe doctor uses.
    status = check_endpoint(f"http://127.0.0.1:{port}/v1", "gui-owl-7b")
    assert status.ok, status.summary()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_launch_reports_a_server_that_dies_while_loading(tmp_path: Path) -> None:
    bindir = _fake_vllm_bin(tmp_path)
    proc = _launch(
        tmp_path,
        f"{bindir}{os.pathsep}{os.environ['PATH']}",
        "--port",
        str(_free_port()),
        env={"FAKE_VLLM_FAIL": "3"},
    )
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "exited before it became ready" in err


def test_launch_without_vllm_says_how_to_install(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = _launch(tmp_path, str(empty))
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "pip install 'mobile-agent[serve]'" in err


def test_dry_run_prints_the_command_and_runs_nothing(tmp_path: Path) -> None:
    proc = _launch(tmp_path, os.environ["PATH"], "--dry-run", "--profile", "gui-owl-32b")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.startswith("vllm serve mPLUG/GUI-Owl-32B --served-model-name gui-owl-32b")
    assert '\'{"image": 2, "video": 0}\'' in out
    assert "tensor parallel 1" in err


def test_plan_command_refuses_an_impossible_setup() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "serving",
            "plan",
            "--profile",
            "gui-owl-32b",
            "--gpu-memory",
            "24",
            "--gpus",
            "1",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "does not fit" in proc.stderr


def test_check_endpoint_against_a_live_server() -> None:
    from fake_vllm import serve_in_thread

    server = serve_in_thread("gui-owl-7b", api_key="s3cret")
    base = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        good = check_endpoint(base, "gui-owl-7b", api_key="s3cret")
        assert good.ok and good.reply == "OK" and good.models == ["gui-owl-7b"]
        wrong_model = check_endpoint(base, "gui-owl-32b", api_key="s3cret")
        assert wrong_model.reachable and not wrong_model.model_listed
        assert "not served" in (wrong_model.error or "")
        no_key = check_endpoint(base, "gui-owl-7b")
        assert no_key.reachable and not no_key.ok and "401" in (no_key.error or "")
    finally:
        server.shutdown()
        server.server_close()
    gone = check_endpoint(base, "gui-owl-7b", timeout=2)
    assert isinstance(gone, EndpointStatus) and not gone.reachable and "cannot reach" in (gone.error or "")


async def test_async_check_endpoint() -> None:
    from fake_vllm import serve_in_thread

    server = serve_in_thread("gui-owl-1.5-8b")
    try:
        status = await acheck_endpoint(f"http://127.0.0.1:{server.server_address[1]}", "gui-owl-1.5-8b")
        assert status.ok and status.base_url.endswith("/v1")
    finally:
        server.shutdown()
        server.server_close()
