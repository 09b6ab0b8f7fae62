"""The MCP SDK's own client against `mobile-agent mcp`, over stdio and over streamable HTTP.

Both start the real command as a subprocess (the console script of this environment), so the
tests cross the same process boundary and transport a desktop client does.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from mcp.client.session import ClientSession, ElicitationFnT
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from PIL import Image

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Task
from mobile_agent.bench.tasks import get_task

MOBILE_AGENT = str(Path(sys.executable).with_name("mobile-agent"))
_PASSED_ENV = ("ADB", "ANDROID", "PYTHON")  # the adb server's address and the interpreter's settings


def server_env(**settings: str) -> dict[str, str]:
    """The server's environment: adb and Python variables from ours, plus MOBILE_AGENT_* settings."""
    env = {k: v for k, v in os.environ.items() if k.startswith(_PASSED_ENV)}
    env.update({f"MOBILE_AGENT_{k.upper()}": v for k, v in settings.items()})
    return env


@contextlib.asynccontextmanager
async def stdio_session(
    *args: str, elicitation_callback: ElicitationFnT | None = None, discover: bool = False, **settings: str
) -> AsyncIterator[ClientSession]:
    """An initialised client session with `mobile-agent mcp ARGS` spawned over stdio; with an
    `elicitation_callback` the client declares the elicitation capability; `discover` speaks the
    stateless 2026-07-28 protocol (`server/discover`) instead of the `initialize` handshake."""
    params = StdioServerParameters(command=MOBILE_AGENT, args=["mcp", *args], env=server_env(**settings))
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write, elicitation_callback=elicitation_callback) as session,
    ):
        await (session.discover() if discover else session.initialize())
        yield session


@contextlib.asynccontextmanager
async def http_session(
    *args: str,
    headers: dict[str, str] | None = None,
    elicitation_callback: ElicitationFnT | None = None,
    **settings: str,
) -> AsyncIterator[ClientSession]:
    """An initialised client session with `mobile-agent mcp --transport http --port 0 ARGS`;
    `session.url` is the server's endpoint."""
    proc = _spawn(["mcp", "--transport", "http", "--port", "0", *args], server_env(**settings))
    try:
        url = await asyncio.wait_for(asyncio.to_thread(_read_url, proc), 60)
        client = create_mcp_http_client(headers=headers)
        async with (
            client,
            streamable_http_client(url, http_client=client) as (read, write),
            ClientSession(read, write, elicitation_callback=elicitation_callback) as session,
        ):
            session.url = url  # type: ignore[attr-defined]
            await session.initialize()
            yield session
    finally:
        await asyncio.to_thread(_stop, proc)


def _stop(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C, as a person would; killed only if it does not end."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [MOBILE_AGENT, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
        text=True,
    )


def is_file(path: str | Path) -> bool:
    """A sync check (async test bodies must not touch the file system directly)."""
    return Path(path).is_file()


def listing(path: str | Path) -> list[str]:
    return sorted(p.name for p in Path(path).iterdir())


def _read_url(proc: subprocess.Popen[str]) -> str:
    seen = []
    assert proc.stderr is not None
    for line in proc.stderr:
        seen.append(line)
        m = re.search(r"(http://\S+/mcp)", line)
        if m:  # keep draining stderr, so a chatty server never blocks on a full pipe
            threading.Thread(target=lambda: seen.extend(proc.stderr or ()), daemon=True).start()
            return m.group(1)
    raise AssertionError(f"the MCP server exited ({proc.wait()}) without a URL: {''.join(seen)}")


def text_of(result: Any) -> str:
    return "\n".join(c.text for c in result.content if c.type == "text")


def png_of(result: Any) -> Image.Image:
    images = [c for c in result.content if c.type == "image"]
    assert len(images) == 1 and images[0].mime_type == "image/png", result.content
    data = base64.b64decode(images[0].data)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def json_of(result: Any) -> Any:
    assert not result.is_error, text_of(result)
    if result.structured_content is not None:
        return result.structured_content.get("result", result.structured_content)
    return json.loads(text_of(result))


_LINE = re.compile(
    r'^(?P<indent> *)(?P<cls>\S+)(?: (?P<text>"(?:[^"\\]|\\.)*"))?.*?center=\((?P<x>\d+),(?P<y>\d+)\)'
)


def elements(tree: str) -> list[dict[str, Any]]:
    """The ui_tree tool's lines as dicts: cls, text (decoded), center, flags, the raw line."""
    out = []
    for line in tree.splitlines()[1:]:
        m = _LINE.match(line)
        assert m, f"unreadable ui_tree line: {line!r}"
        out.append(
            {
                "cls": m["cls"],
                "text": json.loads(m["text"]) if m["text"] else "",
                "center": (int(m["x"]), int(m["y"])),
                "line": line,
            }
        )
    return out


async def find(session: ClientSession, predicate: Any, timeout_s: float = 10.0) -> dict[str, Any]:
    """The first ui_tree element matching `predicate`, polling until the screen shows one."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await session.call_tool("ui_tree", {})
        assert not result.is_error, text_of(result)
        hits = [e for e in elements(text_of(result)) if predicate(e)]
        if hits:
            return hits[0]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no matching element on screen:\n{text_of(result)}")
        await asyncio.sleep(0.2)


SESSIONS: dict[str, Callable[..., contextlib.AbstractAsyncContextManager[ClientSession]]] = {
    "stdio": stdio_session,
    "http": http_session,
}
"""The client session of each transport, by name (for parametrised tests)."""


async def task_on(phone: Any, name: str) -> tuple[Task, AdbShell]:
    """The benchmark task `name` (seed 0), set up on the virtual phone."""
    task, adb = get_task(name).from_seed(0), AdbShell(phone.serial)
    await task.initialize(adb)
    return task, adb


class Progress:
    """A progress callback that records (progress, total, message)."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, float | None, str]] = []
        self.first = asyncio.Event()

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append((progress, total, message or ""))
        self.first.set()
