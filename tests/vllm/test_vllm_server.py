"""The real `vllm serve` (CPU build) as the agent's client meets it: health, models, images.

Token counts are the server's own: one 1080x2400 screenshot at the tier's budget costs the 495
image tokens the profile predicts (plus its two vision markers), a second one the same again,
and a third is refused by the server's --limit-mm-per-prompt with our clear error.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from vllm_support import MAX_PIXELS, PROFILE, REPO, Served, phone_screen

from mobile_agent.coords import prepare_image
from mobile_agent.llm.base import ImagePart, Message, ModelResponseError, TextPart
from mobile_agent.llm.openai_compat import OpenAICompatModel
from mobile_agent.llm.profiles import get_profile
from serving.launcher import check_endpoint

TEXT = "Open the settings app."


def _model(served: Served) -> OpenAICompatModel:
    return OpenAICompatModel(
        served.base_url, PROFILE, temperature=0.0, max_tokens=8, retries=0, max_pixels=MAX_PIXELS
    )


def _images(n: int) -> list[Message]:
    image, _ = prepare_image(phone_screen(), min_pixels=3136, max_pixels=MAX_PIXELS)
    return [Message("user", [*(ImagePart(image) for _ in range(n)), TextPart(TEXT)])]


def test_setup_cpu_again_is_fast_and_changes_nothing(vllm_venv_dir: Path) -> None:
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "serving", "setup-cpu", str(vllm_venv_dir)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "nothing changed" in proc.stderr and "[6/6]" in proc.stderr
    assert time.monotonic() - t0 < 30
    version = subprocess.run(
        [str(vllm_venv_dir / "bin" / "vllm"), "--version"], capture_output=True, text=True, timeout=120
    )
    assert version.returncode == 0 and "+cpu" in version.stdout


def test_health_and_models(served: Served) -> None:
    root = served.base_url.removesuffix("/v1")
    assert httpx.get(f"{root}/health", timeout=10).status_code == 200
    models = httpx.get(f"{served.base_url}/models", timeout=10).json()
    assert [m["id"] for m in models["data"]] == [PROFILE]
    status = check_endpoint(served.base_url, PROFILE, timeout=60)
    assert status.ok, status.summary()
    print(f"\nvllm (CPU): ready {served.start_s:.1f} s after launch", file=sys.stderr)


async def test_prompt_tokens_grow_by_the_image_tokens_the_profile_predicts(served: Served) -> None:
    # The launcher's --max-pixels replaces the profile's budget the same way.
    per_image = dataclasses.replace(get_profile(PROFILE), max_pixels=MAX_PIXELS).image_tokens(1080, 2400)
    assert per_image == 495
    model = _model(served)
    try:
        text_only = await model.chat([Message("user", TEXT)])
        one = await model.chat(_images(1))
        two = await model.chat(_images(2))
    finally:
        await model.aclose()
    assert one.usage_from_server and text_only.usage_from_server
    # Each image: its tokens plus <|vision_start|> and <|vision_end|>.
    assert one.usage.prompt_tokens - text_only.usage.prompt_tokens == per_image + 2
    assert two.usage.prompt_tokens - one.usage.prompt_tokens == per_image + 2
    assert one.server_image_tokens == per_image  # measured by the frame check on the first one
    assert two.server_image_tokens is None  # checked once per client
    assert one.usage.completion_tokens == 8  # a random model never says EOS: max_tokens each time


async def test_a_third_image_is_refused_with_a_clear_error(served: Served) -> None:
    model = _model(served)
    try:
        with pytest.raises(ModelResponseError) as info:
            await model.chat(_images(3))
    finally:
        await model.aclose()
    msg = str(info.value)
    assert "answered 400" in msg and "At most 2 image(s)" in msg  # the server's own words
    assert "this request had 3 images" in msg and "--limit-mm-per-prompt" in msg
