"""The same tiny checkpoint decodes the same first tokens through our `local` backend
(transformers, in this venv) and through vLLM: same image, same prompt, greedy, float32.

Both paths turn our messages into a prompt and pixels on their own (the processor's chat
template and resize here, vLLM's renderer and multimodal processor there), so agreement means
the checkpoint, template and image handling the agent relies on are the same on both sides.
vLLM's token ids are decoded with the checkpoint's tokenizer here, as the local backend does.
"""

from __future__ import annotations

import httpx
import pytest
from ci_guard import require_module
from vllm_support import MAX_PIXELS, PROFILE, Served, phone_screen

from mobile_agent.coords import prepare_image
from mobile_agent.llm.base import ImagePart, Message, TextPart
from mobile_agent.llm.openai_compat import to_openai_messages

# CI installs the `local` extra: there a missing module is a failure, not a skip
transformers = require_module("transformers", 'pip install -e ".[local]"')
require_module("torch", "pip install torch==2.13.0")

from mobile_agent.llm.local import LocalChatModel  # noqa: E402 (after the module check)

TOKENS = 12


@pytest.mark.parametrize("seed", [0, 1])
async def test_local_backend_and_vllm_decode_the_same_tokens(served: Served, seed: int) -> None:
    image, _ = prepare_image(phone_screen(seed * 97), min_pixels=3136, max_pixels=MAX_PIXELS)
    messages = [
        Message("system", "You operate an Android phone."),
        Message("user", [ImagePart(image), TextPart(f"Open the settings app. ({seed})")]),
    ]
    local = LocalChatModel(
        str(served.model_dir), dtype="float32", max_new_tokens=TOKENS, min_pixels=3136, max_pixels=MAX_PIXELS
    )
    try:
        mine = await local.chat(messages)
    finally:
        await local.aclose()
    async with httpx.AsyncClient(timeout=120) as client:
        resp = await client.post(
            f"{served.base_url}/chat/completions",
            json={
                "model": PROFILE,
                "messages": to_openai_messages(messages),
                "max_tokens": TOKENS,
                "temperature": 0.0,
                "return_token_ids": True,
            },
        )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    ids = body["choices"][0]["token_ids"]
    tokenizer = transformers.AutoTokenizer.from_pretrained(served.model_dir)
    assert mine.usage.prompt_tokens == body["usage"]["prompt_tokens"]  # same prompt, same image grid
    assert len(ids) == TOKENS
    assert mine.text == tokenizer.decode(ids, skip_special_tokens=True)
