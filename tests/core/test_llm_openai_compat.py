"""OpenAICompatModel against the stub server over real HTTP: retries, faults, images, errors."""

from __future__ import annotations

import socket
import time

import pytest
from PIL import Image, ImageChops

from mobile_agent.llm.base import (
    ChatModel,
    ImagePart,
    Message,
    ModelError,
    ModelResponseError,
    ModelTimeout,
    ModelUnavailable,
    TextPart,
)
from mobile_agent.llm.factory import make_model
from mobile_agent.llm.openai_compat import OpenAICompatModel
from mobile_agent.llm.scripted import ScriptedModel
from mobile_agent.testing import ChatRequest, StubChatServer, StubFault

FAST = {"backoff_base_s": 0.01, "backoff_max_s": 0.05}


def _msgs(text: str = "hi", images: tuple[Image.Image, ...] = (), role: str = "Worker") -> list[Message]:
    parts = [TextPart(text), *(ImagePart(im) for im in images)]
    return [Message("system", f"# Role: {role}\nbe useful"), Message("user", parts)]


async def test_answer_usage_and_sampling_params() -> None:
    async with StubChatServer(lambda r: "### Action\n{}") as server:
        model = OpenAICompatModel(server.base_url, "gui-owl-stub", temperature=0.0, seed=7, **FAST)
        assert isinstance(model, ChatModel)
        resp = await model.chat(_msgs(images=(Image.new("RGB", (280, 560)),)), max_tokens=64)
        assert resp.text == "### Action\n{}"
        assert resp.usage.prompt_tokens >= 10 * 20 and resp.usage.completion_tokens > 0
        assert resp.model == "gui-owl-stub" and resp.latency_s > 0
        body = server.requests[0].body
        assert body["temperature"] == 0.0 and body["seed"] == 7 and body["max_tokens"] == 64
        assert "top_p" not in body  # unset sampling params are not sent
        await model.aclose()


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
async def test_images_arrive_intact_in_order(fmt: str) -> None:
    a = Image.effect_noise((112, 196), 60).convert("RGB")
    b = Image.new("RGB", (84, 56), (0, 120, 255))
    async with StubChatServer(lambda r: "ok") as server:
        model = OpenAICompatModel(server.base_url, "m", image_format=fmt, jpeg_quality=95)
        await model.chat(_msgs("before/after", (a, b), role="Reflector"))
        req: ChatRequest = server.requests[0]
        assert req.role == "reflector" and [im.size for im in req.images] == [a.size, b.size]
        url = req.messages[1]["content"][1]["image_url"]["url"]
        assert url.startswith(f"data:image/{fmt};base64,")
        if fmt == "png":  # lossless: every pixel identical
            assert ImageChops.difference(req.images[0].convert("RGB"), a).getbbox() is None
        assert req.images[1].convert("RGB").getpixel((40, 20))[2] > 240
        await model.aclose()


async def test_retries_on_503_then_succeeds() -> None:
    faults = {0: 503, 1: 502}
    async with StubChatServer(lambda r: "fine", faults=faults.get) as server:
        model = OpenAICompatModel(server.base_url, "m", retries=3, **FAST)
        assert (await model.chat(_msgs())).text == "fine"
        assert server.calls == 3
        await model.aclose()


async def test_429_honours_retry_after() -> None:
    async with StubChatServer(
        lambda r: "after wait", faults={0: StubFault(429, retry_after=0.4)}.get
    ) as server:
        model = OpenAICompatModel(server.base_url, "m", retries=2, **FAST)
        t = time.monotonic()
        assert (await model.chat(_msgs())).text == "after wait"
        assert time.monotonic() - t >= 0.4  # backoff alone would be ~0.01 s
        await model.aclose()


async def test_retries_exhausted_on_500_is_response_error() -> None:
    async with StubChatServer(lambda r: "never", faults=lambda i: 500) as server:
        model = OpenAICompatModel(server.base_url, "m", retries=2, **FAST)
        with pytest.raises(ModelResponseError, match=r"HTTP 500.*3 attempt"):
            await model.chat(_msgs())
        assert server.calls == 3
        await model.aclose()


async def test_slow_server_times_out_in_bounded_time() -> None:
    async with StubChatServer(lambda r: "late", latency_s=3.0) as server:
        model = OpenAICompatModel(server.base_url, "m", timeout_s=0.3, retries=1, **FAST)
        t = time.monotonic()
        with pytest.raises(ModelTimeout, match="timed out"):
            await model.chat(_msgs())
        assert time.monotonic() - t < 1.5
        await model.aclose()


async def test_server_down_is_unavailable_fast_with_help() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    model = OpenAICompatModel(f"http://127.0.0.1:{port}/v1", "m", retries=3)
    t = time.monotonic()
    with pytest.raises(ModelUnavailable) as info:
        await model.chat(_msgs())
    assert time.monotonic() - t < 2.0
    assert f"127.0.0.1:{port}" in str(info.value) and "mobile-agent doctor" in str(info.value)
    await model.aclose()


@pytest.mark.parametrize(
    "fault",
    [
        StubFault(200, body="<html>not json</html>"),
        StubFault(200, body="garbage", content_type="text/plain"),
        StubFault(200, body='{"id": "x", "object": "chat.completion", "choices": []}'),
    ],
)
async def test_garbage_body_is_response_error(fault: StubFault) -> None:
    async with StubChatServer(lambda r: "x", faults=lambda i: fault) as server:
        model = OpenAICompatModel(server.base_url, "m", retries=0)
        with pytest.raises(ModelResponseError):
            await model.chat(_msgs())
        await model.aclose()


async def test_unknown_model_lists_served_models() -> None:
    async with StubChatServer(lambda r: "x", model="gui-owl-7b", strict_model=True) as server:
        model = OpenAICompatModel(server.base_url, "gui-owl-32b", retries=0)
        with pytest.raises(ModelUnavailable, match="gui-owl-7b"):
            await model.chat(_msgs())
        await model.aclose()


async def test_other_4xx_carries_server_message() -> None:
    fault = StubFault(400, body='{"error": {"message": "max_tokens is too large: 99999"}}')
    async with StubChatServer(lambda r: "x", faults=lambda i: fault) as server:
        model = OpenAICompatModel(server.base_url, "m", retries=3)
        with pytest.raises(ModelResponseError, match="max_tokens is too large"):
            await model.chat(_msgs())
        assert server.calls == 1  # not retried
        await model.aclose()


async def test_scripted_model_and_factory() -> None:
    m = make_model("scripted", answers={"manager": ["plan"], "worker": ["act1", "act2"]})
    assert isinstance(m, ScriptedModel) and isinstance(m, ChatModel)
    assert (await m.chat(_msgs(role="Worker"))).text == "act1"
    assert (await m.chat(_msgs(role="Manager"))).text == "plan"
    with pytest.raises(ModelError, match="manager"):
        await m.chat(_msgs(role="Manager"))
    echo = ScriptedModel(lambda msgs: msgs[-1].text().upper())
    resp = await echo.chat(_msgs("abc", (Image.new("RGB", (56, 56)),)))
    assert resp.text == "ABC" and resp.usage.prompt_tokens >= 4
    o = make_model("openai", base_url="http://127.0.0.1:9/v1", model="x", temperature=None)
    assert isinstance(o, OpenAICompatModel) and o.temperature is None
    with pytest.raises(ValueError, match="base_url"):
        make_model("openai", model="x")
    with pytest.raises(ValueError, match="unknown model backend"):
        make_model("nope")


async def test_scripted_replays_a_recorded_run(tmp_path) -> None:
    import json

    events = [
        {"type": "model.call", "data": {"role": "manager", "raw": "### Plan\n1. open settings"}},
        {"type": "model.call", "data": {"role": "worker", "raw": '{"action": "open", "text": "Settings"}'}},
    ]
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    m = make_model("scripted", run_dir=tmp_path)
    assert (await m.chat(_msgs(role="Worker"))).text.startswith('{"action": "open"')
    assert (await m.chat(_msgs(role="Manager"))).text.startswith("### Plan")
