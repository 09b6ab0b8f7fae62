"""Hostile input over real HTTP: every bad request is a clear 4xx, never a 500 or a broken stream."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from api_harness import LiveServer, wait_status
from api_scripted_runner import ScriptedRunner, fake_devices

from mobile_agent.api import create_app
from mobile_agent.api.settings import ApiSettings

JSON = {"Content-Type": "application/json"}


def make_server(tmp_path: Path, runner: ScriptedRunner | None = None, **kw) -> LiveServer:  # type: ignore[no-untyped-def]
    settings = ApiSettings(runs_dir=tmp_path / "runs", device_refresh_s=60, **kw)
    app = create_app(settings, runner=runner or ScriptedRunner(), device_lister=fake_devices(["dev-a"]))
    return LiveServer(app)


@pytest.mark.parametrize(
    "path, raw, field",
    [
        # JSON that Python parses but a 422 body cannot echo as-is: lone surrogates, NaN, infinities
        ("/v1/tasks", b'{"instruction": "\\ud9a1 open settings"}', "instruction"),
        ("/v1/tasks", b'{"instruction": "x", "max_seconds": NaN}', "max_seconds"),
        ("/v1/tasks", b'{"instruction": "x", "max_seconds": Infinity}', "max_seconds"),
        ("/v1/tasks", b'{"instruction": "x", "max_seconds": 1e400}', "max_seconds"),
        ("/v1/tasks", b'{"instruction": "x", "max_steps": -Infinity}', "max_steps"),
        ("/v1/tasks/abc/reply", b'{"text": "\\udc00"}', "text"),
        ("/v1/tasks/abc/reply", b'{"approve": NaN}', "approve"),
    ],
)
def test_unencodable_input_is_a_422(tmp_path: Path, path: str, raw: bytes, field: str) -> None:
    with make_server(tmp_path) as srv, httpx.Client(base_url=srv.url) as c:
        r = c.post(path, content=raw, headers=JSON)
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert any(field in [str(x) for x in d["loc"]] for d in detail), detail
        # the server still answers on a fresh request
        assert c.get("/v1/tasks").status_code == 200


def test_huge_offsets_and_resume_points(tmp_path: Path) -> None:
    """Numbers beyond SQLite's 64-bit integers: an empty page, and an event stream that ends cleanly."""
    runner = ScriptedRunner(steps=4, step_s=0.2)
    with make_server(tmp_path, runner) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        huge = "9" * 30
        r = c.get("/v1/tasks", params={"offset": huge})
        assert r.status_code == 200, r.text
        assert r.json()["items"] == []
        r = c.get("/v1/tasks", params={"offset": str(2**63)})
        assert r.status_code == 200, r.text
        tid = c.post("/v1/tasks", json={"instruction": "slow one"}).json()["id"]
        # resume points past the end, on a task that is still running: no events, a clean end
        for headers, params in (({}, {"after": huge}), ({"Last-Event-ID": huge}, {})):
            with c.stream("GET", f"/v1/tasks/{tid}/events", headers=headers, params=params) as s:
                assert s.status_code in (200, 204)
                body = b"".join(s.iter_bytes())  # raises on a broken chunked stream
            assert b"data:" not in body
        wait_status(c, tid, {"succeeded"})
        r = c.get(f"/v1/tasks/{tid}/events", params={"after": huge})
        assert r.status_code == 204


def test_non_ascii_token(tmp_path: Path) -> None:
    """A server token with non-ASCII characters works in the header, the ?token= link and its cookie."""
    token = "tök€n"
    with make_server(tmp_path, api_token=token) as srv, httpx.Client(base_url=srv.url) as c:
        r = c.get("/v1/tasks", headers={"Authorization": ("Bearer " + token).encode()})
        assert r.status_code == 200, r.text
        r = c.get("/v1/tasks", headers={"Authorization": b"Bearer t\xc3\xb6k"})
        assert r.status_code == 401
        r = c.get("/", params={"token": token}, follow_redirects=True)
        assert r.status_code == 200, r.text  # 303 to the page, the token traded for a cookie
        assert "token" not in str(r.url) and r.history[0].status_code == 303
        assert c.get("/v1/tasks").status_code == 200  # the cookie alone authorises
        assert c.get("/", params={"token": "tök"}).status_code == 401


def test_empty_device_is_refused(tmp_path: Path) -> None:
    """`"device": ""` names no known device: a 422, not a task queued forever for serial ''."""
    with make_server(tmp_path) as srv, httpx.Client(base_url=srv.url) as c:
        r = c.post("/v1/tasks", json={"instruction": "x", "device": ""})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body", "device"]
        assert c.get("/v1/tasks").json()["total"] == 0


def test_long_refused_input_is_not_echoed_whole(tmp_path: Path) -> None:
    """A 500 KB instruction (under the 1 MB body cap) is refused with a short 422 that names the field."""
    with make_server(tmp_path) as srv, httpx.Client(base_url=srv.url) as c:
        r = c.post("/v1/tasks", json={"instruction": "x" * 500_000})
        assert r.status_code == 422
        assert len(r.content) < 2000, len(r.content)
        (err,) = r.json()["detail"]
        assert err["loc"] == ["body", "instruction"] and "2000" in err["msg"]
        assert err["input"].endswith("(500000 characters)")
