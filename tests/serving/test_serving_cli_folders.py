"""`python -m serving tiny-model DIR` / `setup-cpu VENV` never write into a folder that holds
something else (real subprocesses; nothing is installed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _serving(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "serving", *args]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_tiny_model_refuses_a_folder_holding_a_real_checkpoint_and_rewrites_its_own(tmp_path: Path) -> None:
    real = tmp_path / "GUI Owl 'real'"
    real.mkdir()
    files = {"config.json": '{"real": true}', "model.safetensors.index.json": "{}", "tokenizer.json": "{}"}
    for name, text in files.items():
        (real / name).write_text(text)
    proc = _serving("tiny-model", str(real))
    assert proc.returncode == 2, proc.stderr
    assert "not empty" in proc.stderr and "Traceback" not in proc.stderr
    assert {p.name: p.read_text() for p in real.iterdir()} == files  # untouched
    afile = tmp_path / "afile"
    afile.write_text("x")
    proc = _serving("tiny-model", str(afile))
    assert proc.returncode == 2 and "not a folder" in proc.stderr and "Traceback" not in proc.stderr
    ours = tmp_path / "tiny"
    for _ in range(2):  # a second run over its own output is fine (idempotent)
        proc = _serving("tiny-model", str(ours))
        assert proc.returncode == 0, proc.stderr
    assert (ours / "config.json").is_file() and (ours / "model.safetensors").is_file()


def test_setup_cpu_refuses_an_existing_folder_that_is_not_a_venv(tmp_path: Path) -> None:
    project = tmp_path / "my project"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    proc = _serving("setup-cpu", str(project))
    assert proc.returncode == 2, proc.stderr
    assert "not a venv" in proc.stderr and "Traceback" not in proc.stderr
    assert [p.name for p in project.iterdir()] == ["notes.txt"]


def test_launch_on_a_port_already_serving_the_model_is_refused_not_called_ready(tmp_path: Path) -> None:
    """An earlier launch still holds the port: the probe used to find IT ready, print the hint,
    and only then see the new server die on bind."""
    import os
    import stat

    from fake_vllm import serve_in_thread

    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "vllm"
    exe.write_text(f'#!/bin/sh\nexec {sys.executable} {Path(__file__).parent / "fake_vllm.py"} "$@"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    earlier = serve_in_thread("gui-owl-7b")
    port = earlier.server_address[1]
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "serving", "launch", "--gpus", "1", "--gpu-memory", "80",
             "--profile", "gui-owl-7b", "--port", str(port)],
            cwd=REPO, capture_output=True, text=True, timeout=60,
            env={**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(REPO)},
        )  # fmt: skip
    finally:
        earlier.shutdown()
        earlier.server_close()
    assert proc.returncode == 2, proc.stderr
    assert "already in use" in proc.stderr and "ready after" not in proc.stderr
