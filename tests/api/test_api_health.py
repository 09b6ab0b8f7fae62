"""GET /healthz over real HTTP: the model endpoint is asked through the shared probe
(`mobile_agent.llm.probe`) and whatever it finds becomes a field, never a 500."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import LiveServer
from api_scripted_runner import ScriptedRunner, fake_devices

from mobile_agent.api import create_app
from mobile_agent.api.settings import ApiSettings


@pytest.fixture
def model_server() -> Iterator[tuple[str, list[str]]]:
    """An OpenAI-style server whose /v1/models needs a key it never gets (401); records paths."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = json.dumps({"error": "missing key"}).encode()
            self.send_response(401 if self.path == "/v1/models" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/v1", seen
    finally:
        srv.shutdown()
        srv.server_close()


def _health(tmp_path: Path, base_url: str) -> tuple[int, dict[str, Any]]:
    settings = ApiSettings(runs_dir=tmp_path / "runs", device_refresh_s=60, base_url=base_url)
    app = create_app(settings, runner=ScriptedRunner(), device_lister=fake_devices(["dev-a"]))
    with LiveServer(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        r = c.get("/healthz")
    return r.status_code, r.json()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_a_model_server_that_answers_is_reachable(
    tmp_path: Path, model_server: tuple[str, list[str]]
) -> None:
    base_url, seen = model_server
    code, body = _health(tmp_path, base_url)
    assert code == 200 and body["store"]["ok"]
    assert body["model"] == {"ok": True, "url": base_url, "http_status": 401}
    assert seen == ["/v1/models"]  # the probe's first question only: no completion is spent


def test_a_model_server_that_is_down_is_degraded_not_an_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    code, body = _health(tmp_path, url)
    assert code == 200 and body["status"] == "degraded"
    assert (
        body["model"]["ok"] is False
        and body["model"]["url"] == url
        and "cannot reach" in body["model"]["error"]
    )


def test_a_malformed_model_url_is_degraded_not_an_error(tmp_path: Path) -> None:
    code, body = _health(tmp_path, "http://[::1/v1")
    assert code == 200 and body["status"] == "degraded" and body["model"]["ok"] is False
    assert "not a usable URL" in body["model"]["error"]
