"""The frame check's arithmetic: what a server's token count says about the size it saw.

The same check runs against a real vLLM in tests/vllm (test_vllm_frame.py); here its decisions
are pinned on the counts vLLM reported for a 1080x2400 screenshot (measured: 495 image tokens
at max_pixels 401,408, 3,354 at the 7B profile's 3,211,264, two markers per image).
"""

from __future__ import annotations

import pytest
from PIL import Image

from mobile_agent.coords import prepare_image
from mobile_agent.llm.base import ImagePart, Message, ModelUnavailable, TextPart
from mobile_agent.llm.frame_check import FrameMismatch, check_counts, count_images, resized_frame_factor

SCREEN = Image.new("RGB", (1080, 2400), "white")
TEXT = "Open the settings app."


def _messages(max_pixels: int, n: int = 1) -> list[Message]:
    image, _ = prepare_image(SCREEN, min_pixels=3136, max_pixels=max_pixels)
    return [Message("user", [*(ImagePart(image) for _ in range(n)), TextPart(TEXT)])]


def test_only_profiles_answering_in_resized_pixels_are_checked() -> None:
    assert resized_frame_factor("gui-owl-7b") == 28
    assert resized_frame_factor("mPLUG/GUI-Owl-32B") == 28
    assert resized_frame_factor("gui-owl-1.5-8b") is None  # a 0-1000 grid means the same at any size
    assert resized_frame_factor("some-other-model") is None
    assert count_images([Message("user", TEXT)], 28) is None
    odd = [Message("user", [ImagePart(Image.new("RGB", (1080, 2400))), TextPart(TEXT)])]
    assert count_images(odd, 28) is None  # not resized to the grid by us: nothing to predict


def test_exact_counts_agree_and_measure_the_servers_image_tokens() -> None:
    msgs = _messages(401_408, n=2)
    images = count_images(msgs, 28)
    assert images is not None and images.tokens == 2 * 495
    # vLLM: 22 text tokens; each image 495 tokens + 2 markers.
    seen = check_counts(msgs, images, 22 + 2 * 497, 22, client_max_pixels=401_408, where="http://x/v1")
    assert seen == 2 * 495


def test_exact_counts_that_differ_name_both_budgets() -> None:
    msgs = _messages(3_211_264)
    images = count_images(msgs, 28)
    assert images is not None and images.tokens == 3354
    with pytest.raises(FrameMismatch) as info:
        check_counts(msgs, images, 22 + 497, 22, client_max_pixels=3_211_264, where="http://x/v1")
    msg = str(info.value)
    assert "max_pixels 3,211,264" in msg and "495 image tokens per image" in msg and "~388,080 pixels" in msg
    assert "MOBILE_AGENT_MAX_PIXELS" in msg and "--profile" in msg
    assert isinstance(info.value, ModelUnavailable)  # a set-up error: the run stops at step 1


def test_bounds_without_tokenize() -> None:
    msgs = _messages(3_211_264)
    images = count_images(msgs, 28)
    assert images is not None
    with pytest.raises(FrameMismatch, match="at most"):  # the whole prompt is below our image tokens
        check_counts(msgs, images, 2130, None, client_max_pixels=None, where="w")
    assert check_counts(msgs, images, 3354 + 40, None, client_max_pixels=None, where="w") is None
    with pytest.raises(FrameMismatch, match="at least"):  # far more than images plus all the text
        check_counts(msgs, images, 3354 + 5000, None, client_max_pixels=None, where="w")
