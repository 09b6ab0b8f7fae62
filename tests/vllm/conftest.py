"""One real `vllm serve` (CPU build) for the whole tier, started by our launcher.

`python -m serving launch --profile gui-owl-7b --device cpu` serves the tiny random Qwen2.5-VL
that `python -m serving tiny-model` writes, with the tier's pixel budget (MAX_PIXELS) and
float32 weights; every test of the tier talks to it. It is stopped the way a user stops it
(SIGTERM to the launcher), and the teardown checks that the port is free again.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from vllm_support import MAX_PIXELS, PROFILE, REPO, require_vllm, serving_env

from serving.launcher import wait_until_ready


@dataclass
class Served:
    base_url: str
    port: int
    model_dir: Path
    venv: Path
    log: Path
    start_s: float
    pid: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def vllm_venv_dir() -> Path:
    return require_vllm()


@pytest.fixture(scope="session")
def tiny_checkpoint(vllm_venv_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny checkpoint, written by the CLI contract `python -m serving tiny-model DIR`."""
    path = tmp_path_factory.mktemp("tiny-gui-owl") / "model"
    proc = subprocess.run(
        [sys.executable, "-m", "serving", "tiny-model", str(path)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (path / "config.json").is_file() and (path / "model.safetensors").is_file()
    return path


@pytest.fixture(scope="session")
def served(
    vllm_venv_dir: Path, tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    port = _free_port()
    log = tmp_path_factory.mktemp("vllm-log") / "serve.log"
    cmd = [
        sys.executable, "-m", "serving", "launch", "--profile", PROFILE,
        "--model-path", str(tiny_checkpoint), "--port", str(port), "--max-pixels", str(MAX_PIXELS),
        "--device", "cpu", "--dtype", "float32", "--cpu-kv-cache-gib", "1", "--ready-timeout", "240",
    ]  # fmt: skip
    t0 = time.monotonic()
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            cmd, cwd=REPO, env=serving_env(vllm_venv_dir), stdout=fh, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        try:
            wait_until_ready(base, PROFILE, timeout=240, interval=0.5, alive=lambda: proc.poll() is None)
        except Exception as exc:
            pytest.fail(f"vllm did not come up: {exc}\n{log.read_text()[-4000:]}", pytrace=False)
        yield Served(base, port, tiny_checkpoint, vllm_venv_dir, log, time.monotonic() - t0, proc.pid)
    finally:
        t1 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("the launcher did not stop within 60 s of SIGTERM", pytrace=False)
        stop_s = time.monotonic() - t1
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        print(f"\nvllm (CPU): stopped in {stop_s:.1f} s", file=sys.stderr)


@pytest.fixture
def sim_phone() -> Iterator[Any]:
    """One virtual phone on an ephemeral port, adb-connected."""
    import adbutils

    from mobile_agent.sim import SimServer, connect_adb

    sim = SimServer(count=1, port=0, seed=0).start()
    serial = sim.serials[0]
    try:
        connect_adb(serial)
        yield serial
    finally:
        try:
            adbutils.adb.disconnect(serial)
        except Exception:
            pass
        sim.stop()
