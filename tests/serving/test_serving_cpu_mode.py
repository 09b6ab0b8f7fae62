"""CPU mode of the launcher and how it stops a server, run through the real CLI.

`python -m serving launch` runs as a subprocess against the stand-in `vllm` (fake_vllm.py): what
the CPU build needs is added (KV cache env, eager mode, dtype), the GPU path is untouched when
a GPU is there or described, and stopping takes the server's whole process group down within
a bounded time even when the server ignores SIGTERM. The same flags are checked against the
real vLLM's parser in tests/vllm.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REPO = HERE.parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bin(tmp_path: Path, nvidia_smi: bool = False) -> str:
    """A PATH with the stand-in vllm (and a stand-in nvidia-smi listing one 80 GB GPU)."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    exe = bindir / "vllm"
    exe.write_text(f'#!/bin/sh\nexec {sys.executable} {HERE / "fake_vllm.py"} "$@"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    if nvidia_smi:
        smi = bindir / "nvidia-smi"
        smi.write_text("#!/bin/sh\necho 'NVIDIA H100 80GB HBM3, 81559'\n")
        smi.chmod(smi.stat().st_mode | stat.S_IEXEC)
    # Only system tools besides: a real nvidia-smi elsewhere on PATH must not decide the mode.
    return f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin"


def _serving(path: str, *argv: str, env: dict[str, str] | None = None, **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "serving", *argv],
        cwd=REPO,
        env={**os.environ, "PATH": path, "PYTHONPATH": str(REPO), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,  # type: ignore[call-overload]
    )


def _dry_run(path: str, *argv: str) -> tuple[list[str], str]:
    proc = _serving(path, "launch", "--dry-run", "--model-path", "/models/tiny", "--port", "8123", *argv)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return shlex.split(out), err


def _flag(cmd: list[str], name: str) -> str:
    return cmd[cmd.index(name) + 1]


def test_cpu_mode_adds_what_the_cpu_build_needs(tmp_path: Path) -> None:
    path = _bin(tmp_path)
    cmd, err = _dry_run(path, "--device", "cpu", "--dtype", "float32", "--max-pixels", "401408")
    assert cmd[0] == "VLLM_CPU_KVCACHE_SPACE=2"  # one 32k-token request of the 7B profile's KV
    assert cmd[1:4] == ["vllm", "serve", "/models/tiny"]
    assert "--enforce-eager" in cmd and _flag(cmd, "--dtype") == "float32"
    assert json.loads(_flag(cmd, "--mm-processor-kwargs")) == {"min_pixels": 3136, "max_pixels": 401408}
    assert "CPU mode" in err and "80 GiB" not in err  # no GPU plan on CPU
    # The client hint carries the same budget, so the agent resizes like the server.
    assert "MOBILE_AGENT_MAX_PIXELS=401408 mobile-agent run --base-url http://127.0.0.1:8123/v1" in err
    assert "--profile gui-owl-7b" in err
    cmd, _ = _dry_run(path, "--device", "cpu", "--cpu-kv-cache-gib", "1")
    assert cmd[0] == "VLLM_CPU_KVCACHE_SPACE=1" and "--dtype" not in cmd


def test_auto_mode_is_cpu_only_without_a_gpu(tmp_path: Path) -> None:
    cmd, _ = _dry_run(_bin(tmp_path))  # no nvidia-smi on PATH
    assert "--enforce-eager" in cmd and cmd[0].startswith("VLLM_CPU_KVCACHE_SPACE=")
    cmd, err = _dry_run(_bin(tmp_path, nvidia_smi=True))
    assert cmd[0] == "vllm" and "--enforce-eager" not in cmd
    assert "1 GPU(s) of 79.6475 GiB" in err  # detected with nvidia-smi
    cmd, _ = _dry_run(_bin(tmp_path), "--gpus", "2", "--gpu-memory", "80")  # planning for GPUs elsewhere
    assert cmd[0] == "vllm" and "--enforce-eager" not in cmd


def test_bad_max_pixels_is_a_usage_error(tmp_path: Path) -> None:
    proc = _serving(_bin(tmp_path), "launch", "--dry-run", "--device", "cpu", "--max-pixels", "100")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "--max-pixels 100 is below the profile's min_pixels 3136" in err


def _wait_ready(proc: subprocess.Popen[str]) -> str:
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + 30
    while "ready after" not in seen and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    assert "ready after" in seen, seen
    return seen


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose (its parent may not have reaped it yet).
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.parametrize("stuck", [False, True], ids=["clean", "ignores-sigterm"])
def test_sigterm_stops_the_server_and_its_workers_in_bounded_time(tmp_path: Path, stuck: bool) -> None:
    port = _free_port()
    worker_pid, env_file = tmp_path / "worker.pid", tmp_path / "env.json"
    env = {"FAKE_VLLM_WORKER_PID": str(worker_pid), "FAKE_VLLM_ENV": str(env_file)}
    if stuck:
        env["FAKE_VLLM_IGNORE_TERM"] = "1"
    proc = _serving(
        _bin(tmp_path),
        "launch",
        "--device",
        "cpu",
        "--cpu-kv-cache-gib",
        "1",
        "--port",
        str(port),
        "--stop-timeout",
        "2",
        env=env,
    )
    try:
        _wait_ready(proc)
        assert json.loads(env_file.read_text())["VLLM_CPU_KVCACHE_SPACE"] == "1"
        worker = int(worker_pid.read_text())
        assert _alive(worker)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
        assert time.monotonic() - t0 < 10
        assert code == (-signal.SIGKILL & 0xFF if stuck else 0)
        deadline = time.monotonic() + 5
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker), "the server's worker outlived the launcher"
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
