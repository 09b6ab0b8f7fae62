"""A real OpenAI-compatible chat server on loopback, answering from a Python callable.

A test instrument (`mobile_agent.testing`): tests, the demo and the benchmark's oracle policy
talk to the agent exactly the way vLLM would, over HTTP, through the `openai` client. The
answer comes from a `responder(request)` that sees the decoded request (role, text, images);
faults (latency, 429/5xx with Retry-After, garbage bodies) are injected per call so retry and
error paths are tested over the wire. Scripted responders are in `testing.responders`.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import io
import json
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from PIL import Image

from mobile_agent.coords import image_tokens
from mobile_agent.llm.request_role import content_text, detect_role

__all__ = ["ChatRequest", "FaultFn", "Responder", "StubChatServer", "StubFault", "decode_data_url"]


def decode_data_url(url: str) -> Image.Image:
    """A PIL image from a `data:image/...;base64,...` URL (fully loaded)."""
    if not url.startswith("data:"):
        raise ValueError(f"only data URLs are supported by the stub server, got {url[:40]!r}")
    _, _, payload = url.partition(",")
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    image.load()
    return image


class ChatRequest:
    """One decoded chat-completions request, as a responder sees it.

    `images` are decoded on first access (a responder that only reads text pays nothing).
    """

    def __init__(
        self,
        body: dict[str, Any],
        messages: list[dict[str, Any]],
        system: str,
        user_text: str,
        image_urls: list[str],
        role: str | None,
        index: int = 0,
    ) -> None:
        self.body = body
        self.messages = messages
        self.system = system
        self.user_text = user_text
        self.image_urls = image_urls
        self.role = role
        self.index = index  # 0-based number of this chat request on the server
        self._images: list[Image.Image] | None = None

    def __repr__(self) -> str:
        return f"ChatRequest(index={self.index}, role={self.role!r}, images={len(self.image_urls)})"

    @property
    def images(self) -> list[Image.Image]:
        """The request's images, in order, as PIL images."""
        if self._images is None:
            self._images = [decode_data_url(u) for u in self.image_urls]
        return self._images

    def image_sizes(self) -> list[tuple[int, int]]:
        """(width, height) of each image, read from the headers only."""
        if self._images is not None:
            return [im.size for im in self._images]
        sizes = []
        for url in self.image_urls:
            _, _, payload = url.partition(",")
            with Image.open(io.BytesIO(base64.b64decode(payload))) as im:
                sizes.append(im.size)
        return sizes

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @classmethod
    def from_body(cls, body: dict[str, Any], index: int = 0) -> ChatRequest:
        messages = body.get("messages") or []
        if not isinstance(messages, list):
            raise ValueError("`messages` must be a list")
        system = "\n".join(content_text(m.get("content")) for m in messages if m.get("role") == "system")
        user_text = "\n".join(content_text(m.get("content")) for m in messages if m.get("role") == "user")
        urls: list[str] = []
        for m in messages:
            content = m.get("content")
            if not isinstance(content, list):
                continue
            for part in content:
                if isinstance(part, dict) and part.get("type") == "image_url":
                    url = part.get("image_url")
                    url = url.get("url", "") if isinstance(url, dict) else str(url or "")
                    if not url.startswith("data:"):
                        raise ValueError(f"only data URLs are supported by the stub server, got {url[:40]!r}")
                    urls.append(url)
        return cls(body, messages, system, user_text, urls, detect_role(messages), index)


@dataclass(frozen=True)
class StubFault:
    """A non-normal answer for one call: an HTTP status, optional Retry-After, optional raw body."""

    status: int = 500
    retry_after: float | None = None
    body: str | None = None  # raw body sent as-is (e.g. garbage with status 200)
    content_type: str = "application/json"


Responder = Callable[[ChatRequest], "str | Awaitable[str]"]
FaultFn = Callable[[int], "StubFault | int | None"]


def _estimate_text_tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


def _is_async(fn: Any) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(type(fn).__call__)


@dataclass
class _Stats:
    calls: int = 0
    requests: deque[ChatRequest] = field(default_factory=deque)


class StubChatServer:
    """An OpenAI-compatible server (POST /v1/chat/completions, GET /v1/models, GET /health).

    `responder(request)` returns the assistant text (sync or async) or raises (-> HTTP 500 with
    the message). `faults(index)` may return a status code or a `StubFault` for the index-th
    chat call (0-based) to inject errors; None means answer normally. `latency_s` delays every
    chat answer (a float, or a callable of the call index). The last `keep_requests` requests
    are kept for assertions (0: none). With `strict_model`, a request for
    another model than `model` gets vLLM's 404; otherwise any model name is answered.

    `start()` serves from a background thread with its own event loop; `await start_async()`
    (or `async with`) serves from the current loop. Either way `base_url` is ready on return.
    """

    def __init__(
        self,
        responder: Responder,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_s: float | Callable[[int], float] = 0.0,
        model: str = "gui-owl-stub",
        faults: FaultFn | None = None,
        keep_requests: int | bool = 32,
        strict_model: bool = False,
    ) -> None:
        self.responder = responder
        self.host = host
        self.port = port
        self.latency_s = latency_s
        self.model = model
        self.faults = faults
        self.keep_requests = keep_requests
        self.strict_model = strict_model
        keep = 32 if keep_requests is True else int(keep_requests)
        self._stats = _Stats(requests=deque(maxlen=max(1, keep)))
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None

    # -- what tests look at -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The OpenAI base URL, e.g. http://127.0.0.1:PORT/v1."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def calls(self) -> int:
        """How many chat requests arrived (faulted ones included)."""
        return self._stats.calls

    @property
    def requests(self) -> list[ChatRequest]:
        """The last `keep_requests` chat requests, in arrival order."""
        return list(self._stats.requests)

    # -- the app ------------------------------------------------------------------------------
    def _app(self) -> Any:
        app = FastAPI(title="mobile-agent stub chat server", docs_url=None, redoc_url=None)

        @app.get("/health")
        async def health() -> dict[str, str]:
            return {"status": "ok"}

        @app.get("/v1/models")
        async def models() -> dict[str, Any]:
            return {
                "object": "list",
                "data": [{"id": self.model, "object": "model", "created": 0, "owned_by": "stub"}],
            }

        def error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> Response:
            return JSONResponse(
                {"error": {"message": message, "type": kind, "code": status}},
                status_code=status,
                headers=headers,
            )

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Response:
            with self._lock:
                index = self._stats.calls
                self._stats.calls += 1
            delay = self.latency_s(index) if callable(self.latency_s) else self.latency_s
            if delay > 0:
                await asyncio.sleep(delay)
            fault = self.faults(index) if self.faults else None
            if isinstance(fault, int):
                fault = StubFault(status=fault)
            if fault is not None:
                headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
                if fault.body is not None:
                    return Response(
                        fault.body, status_code=fault.status, media_type=fault.content_type, headers=headers
                    )
                return error(fault.status, f"injected fault {fault.status}", "stub_fault", headers)
            raw = await request.body()

            def parse() -> tuple[dict[str, Any], ChatRequest, list[tuple[int, int]]]:
                body = json.loads(raw)
                if not isinstance(body, dict):
                    raise ValueError("the request body must be a JSON object")
                req = ChatRequest.from_body(body, index)
                return body, req, req.image_sizes()

            try:  # off the loop: a request with two screenshots is megabytes of base64
                body, req, sizes = await asyncio.to_thread(parse)
            except Exception as exc:
                return error(400, f"bad request: {exc}", "invalid_request_error")
            if body.get("stream"):
                return error(400, "the stub server does not stream", "invalid_request_error")
            if self.strict_model and body.get("model") not in (None, self.model):
                return error(404, f"The model `{body.get('model')}` does not exist.", "NotFoundError")
            if self.keep_requests:
                with self._lock:
                    self._stats.requests.append(req)
            try:
                if _is_async(self.responder):
                    answer = await self.responder(req)  # type: ignore[misc]
                else:  # a sync responder (the oracle reads the phone over adb) runs off the loop
                    answer = await asyncio.to_thread(self.responder, req)
                if inspect.isawaitable(answer):
                    answer = await answer
            except Exception as exc:
                return error(500, f"responder failed: {type(exc).__name__}: {exc}", "stub_responder_error")
            text = str(answer)
            prompt_tokens = sum(image_tokens(h, w) for w, h in sizes)
            prompt_tokens += _estimate_text_tokens(req.system) + _estimate_text_tokens(req.user_text)
            completion_tokens = _estimate_text_tokens(text)
            return JSONResponse(
                {
                    "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": self.model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": completion_tokens,
                        "total_tokens": prompt_tokens + completion_tokens,
                    },
                }
            )

        return app

    def _make_server(self) -> tuple[Any, socket.socket]:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app(),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        return server, sock

    # -- threaded ------------------------------------------------------------------------------
    def start(self, timeout_s: float = 10.0) -> StubChatServer:
        """Serve from a background thread; returns once the server accepts requests."""
        if self._server is not None:
            return self
        server, sock = self._make_server()
        self._server, self._sock = server, sock
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])), name="stub-chat-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the stub chat server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        server, self._server = self._server, None
        if server is None:
            return
        server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> StubChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- in the current loop -------------------------------------------------------------------
    async def start_async(self, timeout_s: float = 10.0) -> StubChatServer:
        """Serve from the running event loop; returns once the server accepts requests."""
        if self._server is not None:
            return self
        server, sock = self._make_server()
        self._server, self._sock = server, sock
        self._task = asyncio.create_task(server.serve(sockets=[sock]))
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if self._task.done() or time.monotonic() > deadline:
                raise RuntimeError("the stub chat server did not start")
            await asyncio.sleep(0.005)
        return self

    async def stop_async(self) -> None:
        """Stop a server started with `start_async` (or `start`)."""
        if self._task is None:
            await asyncio.to_thread(self.stop)
            return
        server, self._server = self._server, None
        if server is not None:
            server.should_exit = True
        task, self._task = self._task, None
        await asyncio.wait_for(task, timeout=10)
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    async def __aenter__(self) -> StubChatServer:
        return await self.start_async()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop_async()
