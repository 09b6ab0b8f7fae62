"""Request bodies over the cap are refused with 413 before they are held in memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
from api_harness import LiveServer
from api_scripted_runner import ScriptedRunner, fake_devices

from mobile_agent.api import create_app
from mobile_agent.api.settings import ApiSettings


def _server(tmp_path: Path) -> LiveServer:
    settings = ApiSettings(runs_dir=tmp_path / "runs", device_refresh_s=60, max_body_bytes=64 * 1024)
    app = create_app(settings, runner=ScriptedRunner(), device_lister=fake_devices(["dev-a"]))
    return LiveServer(app)


def test_large_bodies_are_413_and_small_ones_pass(tmp_path: Path) -> None:
    big = b'{"instruction": "' + b"x" * 200_000 + b'"}'

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for i in range(0, len(big), 8192):
            yield big[i : i + 8192]

    with _server(tmp_path) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        r = c.post("/v1/tasks", content=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "larger than 65536 bytes" in r.json()["detail"]
        r = c.post("/v1/tasks", content=chunks(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413, r.text
        assert c.get("/v1/tasks").json()["items"] == []  # nothing was queued
        r = c.post("/v1/tasks", json={"instruction": "Turn on Wi-Fi"})
        assert r.status_code == 201, r.text
