"""One real `vllm serve` (CPU build) for the whole tier, started by our launcher.

`python -m serving launch --profile gui-owl-7b --device cpu` serves the tiny random Qwen2.5-VL
that `python -m serving tiny-model` writes, with the tier's pixel budget (MAX_PIXELS) and
float32 weights; every test of the tier talks to it. It is stopped the way a user stops it
(SIGTERM to the launcher), and the teardown checks that the port is free again.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from vllm_support import PROFILE, REPO, Served, launched, require_vllm


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
    log = tmp_path_factory.mktemp("vllm-log") / "serve.log"
    with launched(vllm_venv_dir, tiny_checkpoint, PROFILE, log) as server:
        yield server


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
