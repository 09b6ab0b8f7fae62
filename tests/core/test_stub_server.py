"""The stub chat server answers the real `openai` client over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import base64
import io
import json

import httpx
import openai
import pytest
from PIL import Image

from mobile_agent.coords import image_tokens
from mobile_agent.llm.request_role import detect_role
from mobile_agent.testing import (
    ChatRequest,
    ScriptedResponder,
    ScriptExhausted,
    StubChatServer,
    StubFault,
    load_recorded_run,
)


def _data_url(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _msgs(system: str, user: str, images: list[Image.Image] = ()) -> list[dict]:
    content: list[dict] = [{"type": "text", "text": user}]
    content += [{"type": "image_url", "image_url": {"url": _data_url(im)}} for im in images]
    return [{"role": "system", "content": system}, {"role": "user", "content": content}]


def test_sync_client_roundtrip_with_images_and_usage() -> None:
    seen: list[ChatRequest] = []

    def responder(req: ChatRequest) -> str:
        seen.append(req)
        return f"role={req.role} n={len(req.images)} size={req.images[0].size}"

    img = Image.new("RGB", (56, 84), (10, 200, 30))
    img.putpixel((3, 5), (255, 0, 0))
    with StubChatServer(responder) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        resp = client.chat.completions.create(
            model="gui-owl-stub",
            messages=_msgs("# Role: Worker\nYou act.", "### Instruction\nturn wifi on", [img]),
        )
        assert resp.choices[0].message.content == "role=worker n=1 size=(56, 84)"
        # 56x84 -> 2x3 patches of 28 = 6 image tokens, plus a text estimate
        assert resp.usage is not None and resp.usage.prompt_tokens >= image_tokens(84, 56) == 6
        assert resp.usage.completion_tokens > 0
        got = seen[0].images[0].convert("RGB")
        assert got.getpixel((3, 5)) == (255, 0, 0) and got.getpixel((0, 0)) == (10, 200, 30)
        assert "turn wifi on" in seen[0].user_text and seen[0].system.startswith("# Role: Worker")
        models = client.models.list()
        assert [m.id for m in models.data] == ["gui-owl-stub"]
        assert httpx.get(server.base_url.removesuffix("/v1") + "/health").json() == {"status": "ok"}
        assert server.calls == 1
    # stopped: the port no longer answers
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url + "/models", timeout=2)


async def test_async_context_and_concurrent_roles() -> None:
    script = ScriptedResponder(
        {"reflector": ["### Outcome\nA"], "notetaker": ["### Notes\n- code 1234"], "*": ["other"]}
    )
    async with StubChatServer(script) as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        refl, note = await asyncio.gather(
            client.chat.completions.create(
                model="m", messages=_msgs("# Role: Reflector\n...", "before/after")
            ),
            client.chat.completions.create(model="m", messages=_msgs("# Role: Notetaker", "notes")),
        )
        assert refl.choices[0].message.content == "### Outcome\nA"
        assert note.choices[0].message.content == "### Notes\n- code 1234"
        single = await client.chat.completions.create(
            model="m", messages=_msgs("You may call mobile_use ...", "The user query: hi")
        )
        assert single.choices[0].message.content == "other"
        # the reflector's script is exhausted: a 500 that names the role
        with pytest.raises(openai.InternalServerError, match="reflector"):
            await client.chat.completions.create(model="m", messages=_msgs("# Role: Reflector", "x"))
        await client.close()


async def test_faults_latency_and_garbage() -> None:
    faults = {0: StubFault(503, retry_after=0), 1: 429, 2: StubFault(200, body="not json at all")}
    async with StubChatServer(lambda r: "ok", faults=faults.get, latency_s=0.05) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            body = {"model": "gui-owl-stub", "messages": [{"role": "user", "content": "hi"}]}
            r0 = await http.post("/chat/completions", json=body)
            assert r0.status_code == 503 and r0.headers["retry-after"] == "0"
            assert (await http.post("/chat/completions", json=body)).status_code == 429
            r2 = await http.post("/chat/completions", json=body)
            assert r2.status_code == 200 and r2.text == "not json at all"
            t = asyncio.get_running_loop().time()
            r3 = await http.post("/chat/completions", json=body)
            assert r3.json()["choices"][0]["message"]["content"] == "ok"
            assert asyncio.get_running_loop().time() - t >= 0.05
            bad = await http.post("/chat/completions", content=b"{broken")
            assert bad.status_code == 400


async def test_strict_model_404() -> None:
    async with StubChatServer(lambda r: "ok", strict_model=True) as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        with pytest.raises(openai.NotFoundError, match="does not exist"):
            await client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
        await client.close()


def test_detect_role_variants() -> None:
    assert detect_role([{"role": "system", "content": "# Role: Manager\nplan"}]) == "manager"
    assert detect_role([{"role": "system", "content": "  ## role:  NOTETAKER"}]) == "notetaker"
    assert (
        detect_role([{"role": "system", "content": [{"type": "text", "text": "# Role: Worker"}]}]) == "worker"
    )
    assert detect_role([{"role": "system", "content": '<tools>{"name": "mobile_use"}</tools>'}]) == "single"
    assert detect_role([{"role": "user", "content": "# Role: Manager"}]) is None


def test_scripted_list_and_exhaustion_message() -> None:
    script = ScriptedResponder(["a", lambda r: f"b:{r.role}"])
    req = ChatRequest.from_body({"messages": [{"role": "system", "content": "# Role: Worker"}]})
    assert script(req) == "a" and script(req) == "b:worker"
    with pytest.raises(ScriptExhausted, match="exhausted after 2"):
        script(req)


def test_load_recorded_run(tmp_path) -> None:
    events = [
        {"seq": 0, "type": "task.started", "data": {}},
        {"seq": 1, "type": "model.call", "role": "manager", "data": {"role": "manager", "raw": "P1"}},
        {"seq": 2, "type": "model.call", "data": {"role": "worker", "raw": "W1"}},
        {"seq": 3, "type": "model.call", "data": {"role": "manager", "raw": "P2"}},
    ]
    (tmp_path / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    assert load_recorded_run(tmp_path) == {"manager": ["P1", "P2"], "worker": ["W1"]}
    replay = ScriptedResponder(load_recorded_run(tmp_path))
    req = ChatRequest.from_body({"messages": [{"role": "system", "content": "# Role: Manager"}]})
    assert [replay(req), replay(req)] == ["P1", "P2"]


async def test_async_callable_responder_and_lazy_images() -> None:
    class Echo:
        async def __call__(self, req: ChatRequest) -> str:
            await asyncio.sleep(0)
            return f"{req.role}:{req.image_sizes()}"

    img = Image.new("RGB", (28, 56))
    async with StubChatServer(Echo(), keep_requests=2) as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        for _ in range(3):
            resp = await client.chat.completions.create(
                model="m", messages=_msgs("# Role: Worker", "x", [img])
            )
            assert resp.choices[0].message.content == "worker:[(28, 56)]"
        assert len(server.requests) == 2 and server.calls == 3  # only the last two are kept
        assert server.requests[-1].images[0].size == (28, 56)
        await client.close()
