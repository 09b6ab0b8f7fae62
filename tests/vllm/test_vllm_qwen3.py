"""The GUI-Owl-1.5 architecture (Qwen3-VL) on the CPU build: served, counted, not frame-checked.

A tiny random Qwen3-VL from `python -m serving tiny-model --family qwen3-vl` is served under the
`gui-owl-1.5-8b` profile. Its 16-pixel patches merged 2x2 round a 1080x2400 screen to 32-pixel
multiples (416x928 at 401,408 pixels: 377 tokens). The profile answers on a 0-1000 grid, which
means the same point at any size, so the frame check does not apply to it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from vllm_support import MAX_PIXELS, REPO, Served, launched, phone_screen

from mobile_agent.coords import smart_resize
from mobile_agent.llm.base import ImagePart, Message, TextPart
from mobile_agent.llm.openai_compat import OpenAICompatModel

PROFILE = "gui-owl-1.5-8b"


@pytest.fixture(scope="module")
def served_qwen3(vllm_venv_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    model_dir = tmp_path_factory.mktemp("tiny-qwen3") / "model"
    proc = subprocess.run(
        [sys.executable, "-m", "serving", "tiny-model", "--family", "qwen3-vl", str(model_dir)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    with launched(vllm_venv_dir, model_dir, PROFILE, tmp_path_factory.mktemp("log") / "q3.log") as served:
        yield served


async def test_a_tiny_qwen3_vl_is_served_with_the_tokens_its_grid_predicts(served_qwen3: Served) -> None:
    h, w = smart_resize(2400, 1080, factor=32, min_pixels=4096, max_pixels=MAX_PIXELS)
    per_image = (h // 32) * (w // 32)
    assert per_image == 377
    model = OpenAICompatModel(served_qwen3.base_url, PROFILE, temperature=0.0, max_tokens=4, retries=0)
    try:
        text = await model.chat([Message("user", "Open the settings app.")])
        one = await model.chat(
            [Message("user", [ImagePart(phone_screen()), TextPart("Open the settings app.")])]
        )
    finally:
        await model.aclose()
    assert one.usage.prompt_tokens - text.usage.prompt_tokens == per_image + 2  # + vision markers
    assert one.server_image_tokens is None  # 0-1000 frame: no frame check
