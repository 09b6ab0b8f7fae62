"""The recording model server of a rollout: what the agent sends, what it got, what was right.

The agent talks to this OpenAI-compatible server (loopback, ephemeral port) as to any model.
For each request it keeps the exact chat messages (images as the bytes that were sent, so at the
size the model saw) and the raw answer. Before an action request (the Worker's or single mode's)
is answered, it reads the phone's UI tree and asks the oracle's decision engine for the correct
move on that very screen: the label the step rewards are scored against. The answer itself
comes from the policy: the oracle (with seeded injected errors) or a real model the request is
forwarded to. A forwarded request that fails is counted, so the sample ends as `error`, never as
a failure of the policy.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Task
from mobile_agent.bench.grounding import Screen
from mobile_agent.bench.oracle import Oracle
from mobile_agent.bench.policy import decide
from mobile_agent.testing import ChatRequest, StubChatServer

__all__ = ["ACTION_ROLES", "Call", "Recorder", "SampleSession", "label_bounds", "upstream_answer"]

ACTION_ROLES = ("single", "worker")
_DATA_URL = re.compile(r"^data:(?P<mime>[\w/+.-]+);base64,(?P<data>.*)$", re.S)


@dataclass
class Call:
    """One model request of a sample, as recorded."""

    index: int
    role: str
    messages: list[dict[str, Any]]  # content parts; image parts are {"type": "image", "image": i}
    images: list[bytes]  # exactly the bytes the model was sent
    response: str = ""
    error: str = ""
    sampling: dict[str, Any] = field(default_factory=dict)
    label: dict[str, Any] | None = None  # the oracle's move on this screen, DEVICE frame
    label_bounds: list[int] | None = None
    ui_xml: str = ""
    device_size: list[int] = field(default_factory=list)
    label_s: float = 0.0
    model_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d.pop("images")
        return d


@dataclass
class SampleSession:
    """One sample being rolled out: its task, its phone, and what it has recorded so far."""

    token: str
    task: Task
    adb: AdbShell
    oracle: Oracle | None
    oracle_token: str = ""
    seen: set[str] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)
    upstream_errors: int = 0


def _split_messages(raw: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Messages with each image replaced by a placeholder, and the images' bytes in order."""
    images: list[bytes] = []
    out: list[dict[str, Any]] = []
    for m in raw:
        content = m.get("content")
        parts: list[dict[str, Any]] = []
        if isinstance(content, str):
            parts.append({"type": "text", "text": content})
        elif isinstance(content, list):
            for p in content:
                if not isinstance(p, dict):
                    continue
                if p.get("type") == "image_url":
                    url = p.get("image_url")
                    url = url.get("url", "") if isinstance(url, dict) else str(url or "")
                    mm = _DATA_URL.match(url)
                    if mm is None:
                        raise ValueError("only data URLs can be recorded")
                    images.append(base64.b64decode(mm.group("data")))
                    parts.append({"type": "image", "text": None})
                else:
                    parts.append({"type": "text", "text": str(p.get("text", ""))})
        out.append({"role": str(m.get("role", "")), "content": parts})
    return out, images


def label_bounds(screen: Screen, action: dict[str, Any]) -> list[int] | None:
    """Bounds of the element the label points at: the smallest visible node centred on the point
    (the oracle taps centres), else the smallest one containing it."""
    xy = action.get("coordinate")
    if action.get("action") not in ("click", "long_press") or not xy:
        return None
    x, y = int(xy[0]), int(xy[1])
    nodes = [n for n in screen.nodes if n.parent is not None and screen.visible(n)]
    centred = [n for n in nodes if n.center == (x, y)]
    pool = centred or [n for n in nodes if n.contains(x, y)]
    if not pool:
        return None
    best = min(pool, key=lambda n: n.area)
    return list(best.bounds)


Answerer = Callable[[SampleSession, ChatRequest], Awaitable[str]]


async def oracle_answer(sess: SampleSession, request: ChatRequest) -> str:
    """The scripted oracle's answer (with its seeded injected errors) for this sample."""
    assert sess.oracle is not None
    body = dict(request.body, model=sess.oracle_token)
    return await sess.oracle.respond(ChatRequest.from_body(body, request.index))


def upstream_answer(base_url: str, model: str, api_key: str = "EMPTY", timeout_s: float = 300.0) -> Answerer:
    """Forward the request, unchanged but for the model name, to a real OpenAI-compatible server."""
    url = base_url.rstrip("/") + "/chat/completions"

    async def answer(sess: SampleSession, request: ChatRequest) -> str:
        body = dict(request.body, model=model)
        try:
            async with httpx.AsyncClient(timeout=timeout_s) as client:
                r = await client.post(url, json=body, headers={"Authorization": f"Bearer {api_key}"})
            r.raise_for_status()
            return str(r.json()["choices"][0]["message"]["content"] or "")
        except Exception:
            sess.upstream_errors += 1
            raise

    return answer


class Recorder:
    """The rollout's model server (see the module docstring). One per worker process."""

    def __init__(self, answer: Answerer) -> None:
        self.answer = answer
        self._sessions: dict[str, SampleSession] = {}
        self._lock = threading.Lock()
        self.server = StubChatServer(self._respond, model="rollout-recorder", keep_requests=False)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def start(self) -> Recorder:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def open(self, sess: SampleSession) -> None:
        with self._lock:
            self._sessions[sess.token] = sess

    def close(self, token: str) -> SampleSession | None:
        with self._lock:
            return self._sessions.pop(token, None)

    async def _respond(self, request: ChatRequest) -> str:
        with self._lock:
            sess = self._sessions.get(request.model)
        if sess is None:
            raise LookupError(f"no sample is registered as {request.model!r}")
        role = request.role or "single"
        messages, images = _split_messages(request.messages)
        sampling: dict[str, Any] = {
            k: request.body[k] for k in ("temperature", "top_p", "max_tokens", "seed") if k in request.body
        }
        call = Call(len(sess.calls), role, messages, images, sampling=sampling)
        sess.calls.append(call)
        if role in ACTION_ROLES:
            t0 = time.perf_counter()
            xml = await sess.adb.ui_xml()
            size = await sess.adb.size()
            screen = Screen.from_xml(xml, size)
            d = await decide(sess.task, sess.adb, sess.seen, screen)
            if d.done or d.move is None:
                call.label = {"action": "terminate", "status": "success"}
            else:
                call.label = dict(d.move.action)
                call.label_bounds = label_bounds(screen, call.label)
            call.ui_xml, call.device_size = xml, [size[0], size[1]]
            call.label_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        try:
            call.response = await self.answer(sess, request)
        except Exception as exc:
            call.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            call.model_s = time.perf_counter() - t0
        return call.response
