"""Test helpers: the API on a real uvicorn server (loopback, ephemeral port) in a thread."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from mobile_agent.api.settings import ApiSettings


class LiveServer:
    """uvicorn serving `app` on 127.0.0.1:<free port> in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def sse_events(
    client: httpx.Client, path: str, *, last_event_id: int | None = None, timeout: float = 60
) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """Parse an SSE response line by line: yields (id, JSON data) per message."""
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    with client.stream("GET", path, headers=headers, timeout=timeout) as r:
        r.raise_for_status()
        assert r.headers["content-type"].startswith("text/event-stream")
        ev_id: str | None = None
        data: list[str] = []
        for line in r.iter_lines():
            if line == "":
                if data:
                    yield ev_id, json.loads("\n".join(data))
                ev_id, data = None, []
            elif line.startswith("id:"):
                ev_id = line[3:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))


def wait_status(
    client: httpx.Client, task_id: str, statuses: set[str], timeout: float = 30
) -> dict[str, Any]:
    """Poll GET /v1/tasks/{id} until its status is one of `statuses`."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/v1/tasks/{task_id}").json()
        if body["status"] in statuses:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} stayed {body['status']}: {body}")
        time.sleep(0.05)


def settings_for(tmp_path: Path, serials: list[str], **kw: Any) -> ApiSettings:
    """Settings that use only `serials` (the adb server is shared with other tests)."""
    return ApiSettings(
        runs_dir=tmp_path / "runs",
        device_allowlist=",".join(serials),
        adb_connect=",".join(serials),
        device_refresh_s=0.5,
        **kw,
    )
