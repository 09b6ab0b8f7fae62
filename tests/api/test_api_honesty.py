"""The API says what it does: cancel_requested after a cancel, short 422 echoes of any input,
a 405's Allow header, and an OpenAPI document that matches the server's answers."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from api_harness import LiveServer, wait_status
from api_scripted_runner import ScriptedRunner, fake_devices

from mobile_agent.api import create_app
from mobile_agent.api.settings import ApiSettings

HUGE = 100_000


def make_server(tmp_path: Path, runner: ScriptedRunner | None = None) -> LiveServer:
    settings = ApiSettings(runs_dir=tmp_path / "runs", device_refresh_s=60)
    return LiveServer(create_app(settings, runner=runner or ScriptedRunner(), device_lister=fake_devices(["dev-a"])))


def test_cancel_requested_stays_true_after_a_cancel(tmp_path: Path) -> None:
    runner = ScriptedRunner(steps=200, step_s=0.05)
    with make_server(tmp_path, runner) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        running = c.post("/v1/tasks", json={"instruction": "long"}).json()["id"]
        queued = c.post("/v1/tasks", json={"instruction": "waits"}).json()["id"]
        wait_status(c, running, {"running"})
        assert c.get(f"/v1/tasks/{running}").json()["cancel_requested"] is False
        assert c.post(f"/v1/tasks/{queued}/cancel").status_code == 202
        assert c.post(f"/v1/tasks/{running}/cancel").status_code == 202
        assert wait_status(c, running, {"cancelled"})["cancel_requested"] is True
        assert c.get(f"/v1/tasks/{queued}").json()["cancel_requested"] is True
        listed = {t["id"]: t["cancel_requested"] for t in c.get("/v1/tasks").json()["items"]}
        assert listed == {running: True, queued: True}


def raw_get(port: int, target: str, headers: bytes = b"") -> bytes:
    """A request httpx would refuse to send (its URLs stop at 64 KiB)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".encode() + headers + b"\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize(
    "target, headers",
    [
        ("/v1/tasks/" + "a" * HUGE, b""),
        ("/v1/tasks/abc/steps/" + "9" * HUGE + "/screenshot", b""),
        ("/v1/tasks/abc/steps/1/screenshot?phase=" + "x" * HUGE, b""),
        ("/v1/tasks?limit=" + "x" * HUGE, b""),
        ("/v1/tasks?" + "&".join(["status=" + "s" * 300] * 200), b""),
        ("/v1/tasks/abc/events", b"Last-Event-ID: " + b"x" * HUGE + b"\r\n"),
    ],
    ids=["path-task-id", "path-step", "query-phase", "query-limit", "query-repeated", "header"],
)
def test_path_query_and_header_echoes_are_capped(tmp_path: Path, target: str, headers: bytes) -> None:
    with make_server(tmp_path) as srv:
        response = raw_get(srv.port, target, headers)
    assert response.startswith(b"HTTP/1.1 422"), response[:300]
    assert len(response) < 8000, len(response)


@pytest.mark.parametrize(
    "body, where",
    [
        ({"bogus": "x" * 500_000}, ["body", "instruction"]),  # "missing" echoes the whole object
        (["x" * 1000] * 400, ["body"]),  # not an object: the whole list was echoed
        ({"instruction": "ok", "k" * HUGE: 1}, ["body", "k" * 200 + f"... ({HUGE} characters)"]),
        ({"instruction": "ok", **{f"extra{i}": i for i in range(500)}}, ["body", "extra0"]),
    ],
    ids=["missing-field", "list-body", "long-field-name", "many-errors"],
)
def test_body_echoes_are_capped_at_every_depth(tmp_path: Path, body: object, where: list[str]) -> None:
    with make_server(tmp_path) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        r = c.post("/v1/tasks", json=body)
        assert r.status_code == 422
        assert len(r.content) < 8000, len(r.content)
        assert r.json()["detail"][0]["loc"] == where
        assert c.get("/v1/tasks").json()["total"] == 0


def test_405_allow_lists_every_method_of_the_path(tmp_path: Path) -> None:
    with make_server(tmp_path) as srv, httpx.Client(base_url=srv.url) as c:
        for method, path, allowed in [
            ("OPTIONS", "/v1/tasks", {"GET", "POST"}),
            ("DELETE", "/v1/tasks", {"GET", "POST"}),
            ("PUT", "/v1/tasks/abc", {"GET"}),
            ("GET", "/v1/tasks/abc/cancel", {"POST"}),
        ]:
            r = c.request(method, path)
            assert r.status_code == 405, (method, path, r.status_code)
            assert set(r.headers["allow"].replace(" ", "").split(",")) == allowed, (method, path, r.headers)


def test_openapi_document_matches_the_server(tmp_path: Path) -> None:
    with make_server(tmp_path) as srv, httpx.Client(base_url=srv.url) as c:
        paths = c.get("/openapi.json").json()["paths"]
        params = {p["name"]: p for p in paths["/v1/tasks/{task_id}/events"]["get"]["parameters"]}
        for name in ("Last-Event-ID", "after"):
            assert params[name]["schema"].get("type") == "integer", params[name]
            assert "null" not in str(params[name]["schema"]), params[name]
        status_param = next(p for p in paths["/v1/tasks"]["get"]["parameters"] if p["name"] == "status")
        assert "null" not in str(status_param["schema"]), status_param
        create = paths["/v1/tasks"]["post"]["responses"]
        assert "device" in create["422"]["description"]
        r = c.post("/v1/tasks", json={"instruction": "x", "device": "no-such-phone"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "device"]
        for path in ("/v1/tasks", "/v1/tasks/{task_id}/cancel", "/v1/tasks/{task_id}/reply"):
            assert "403" in paths[path]["post"]["responses"], path
