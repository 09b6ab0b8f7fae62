"""API plumbing over real HTTP with a scripted runner (no phone, no model)."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import httpx
import pytest
from api_harness import LiveServer, sse_events, wait_status
from api_scripted_runner import ScriptedRunner, fake_devices
from PIL import Image

from mobile_agent.api import create_app
from mobile_agent.api.settings import ApiSettings


def make_server(tmp_path: Path, runner: ScriptedRunner, serials=("dev-a",), **kw) -> LiveServer:  # type: ignore[no-untyped-def]
    settings = ApiSettings(runs_dir=tmp_path / "runs", device_refresh_s=60, **kw)
    app = create_app(settings, runner=runner, device_lister=fake_devices(serials))
    return LiveServer(app)


def test_submit_follow_screenshot(tmp_path: Path) -> None:
    runner = ScriptedRunner(steps=3)
    with make_server(tmp_path, runner) as srv, httpx.Client(base_url=srv.url) as c:
        r = c.post("/v1/tasks", json={"instruction": "open settings"})
        assert r.status_code == 201, r.text
        tid = r.json()["id"]
        events = list(sse_events(c, f"/v1/tasks/{tid}/events"))
        types = [e["type"] for _, e in events]
        assert types[0] == "task.started" and types[-1] == "task.finished"
        assert [int(i) for i, _ in events] == list(range(1, len(events) + 1))
        body = wait_status(c, tid, {"succeeded"})
        assert body["steps"] == 3 and body["device"] == "dev-a" and body["answer"] == "done"
        shot = c.get(f"/v1/tasks/{tid}/steps/2/screenshot", params={"phase": "after"})
        assert shot.status_code == 200 and shot.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(shot.content)).size == (270, 600)
        # resume after seq 3
        rest = list(sse_events(c, f"/v1/tasks/{tid}/events", last_event_id=3))
        assert [e["seq"] for _, e in rest] == [e["seq"] for _, e in events][3:]
        # a finished stream resumed at its end says 204 (EventSource stops reconnecting)
        last = events[-1][1]["seq"]
        assert c.get(f"/v1/tasks/{tid}/events", headers={"Last-Event-ID": str(last)}).status_code == 204


@pytest.mark.parametrize(
    "body, field",
    [
        ({"instruction": ""}, "instruction"),
        ({"instruction": "x" * 5000}, "instruction"),
        ({"instruction": "ok", "max_steps": 0}, "max_steps"),
        ({"instruction": "ok", "max_steps": 201}, "max_steps"),
        ({"instruction": "ok", "mode": "turbo"}, "mode"),
        ({"instruction": "ok", "device": "nope"}, "device"),
        ({"instruction": "ok", "bogus": 1}, "bogus"),
        ({}, "instruction"),
    ],
)
def test_bad_requests_422(tmp_path: Path, body: dict, field: str) -> None:
    with make_server(tmp_path, ScriptedRunner()) as srv, httpx.Client(base_url=srv.url) as c:
        r = c.post("/v1/tasks", json=body)
        assert r.status_code == 422, r.text
        assert any(field in [str(x) for x in d["loc"]] for d in r.json()["detail"]), r.text


def test_path_params_cannot_escape(tmp_path: Path) -> None:
    with make_server(tmp_path, ScriptedRunner()) as srv, httpx.Client(base_url=srv.url) as c:
        tid = c.post("/v1/tasks", json={"instruction": "x"}).json()["id"]
        wait_status(c, tid, {"succeeded"})
        (tmp_path / "runs" / "secret.png").write_bytes(b"secret")
        for path in (
            f"/v1/tasks/{tid}/steps/..%2F..%2Fsecret/screenshot",
            f"/v1/tasks/{tid}/steps/-1/screenshot",
            f"/v1/tasks/{tid}/steps/1/screenshot?phase=../../secret",
            "/v1/tasks/..%2Fsecret/steps/1/screenshot",
        ):
            r = c.get(path)
            assert r.status_code in (404, 422), (path, r.status_code)
            assert r.content != b"secret"


def test_auth(tmp_path: Path) -> None:
    with (
        make_server(tmp_path, ScriptedRunner(), api_token="s3cret") as srv,
        httpx.Client(base_url=srv.url) as c,
    ):
        assert c.get("/healthz").status_code in (200, 503)
        for method, path in [
            ("GET", "/v1/tasks"),
            ("GET", "/v1/devices"),
            ("POST", "/v1/tasks"),
            ("GET", "/openapi.json"),
        ]:
            r = c.request(method, path, json={"instruction": "x"})
            assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer"), (path, r.text)
            r = c.request(method, path, json={"instruction": "x"}, headers={"Authorization": "Bearer wrong"})
            assert r.status_code == 401 and "invalid_token" in r.headers["www-authenticate"]
        ok = {"Authorization": "Bearer s3cret"}
        assert c.get("/v1/tasks", headers=ok).status_code == 200
        assert "/v1/tasks" in c.get("/openapi.json", headers=ok).json()["paths"]
        assert c.get("/").status_code == 401
        r = c.get("/?token=s3cret", follow_redirects=False)
        assert r.status_code == 303 and "mobile_agent_session" in r.headers["set-cookie"]
        assert "token" not in r.headers["location"]  # the client keeps the session cookie it was given
        assert c.get("/").status_code == 200
        assert c.get("/v1/devices").status_code == 200


def test_cancel_queued_and_running(tmp_path: Path) -> None:
    runner = ScriptedRunner(steps=200, step_s=0.05)
    with make_server(tmp_path, runner) as srv, httpx.Client(base_url=srv.url) as c:
        a = c.post("/v1/tasks", json={"instruction": "long"}).json()["id"]
        b = c.post("/v1/tasks", json={"instruction": "waits"}).json()["id"]
        wait_status(c, a, {"running"})
        assert c.get(f"/v1/tasks/{b}").json()["status"] == "queued"
        r = c.post(f"/v1/tasks/{b}/cancel")
        assert r.status_code == 202 and r.json()["status"] == "cancelled"
        assert [e["type"] for _, e in sse_events(c, f"/v1/tasks/{b}/events")] == ["task.finished"]
        r = c.post(f"/v1/tasks/{a}/cancel")
        assert r.status_code == 202
        body = wait_status(c, a, {"cancelled"}, timeout=5)
        assert body["steps"] < 200
        assert c.post(f"/v1/tasks/{a}/cancel").status_code == 409


def test_reply_to_confirmation(tmp_path: Path) -> None:
    runner = ScriptedRunner(steps=3, confirm_at=2)
    with make_server(tmp_path, runner) as srv, httpx.Client(base_url=srv.url) as c:
        tid = c.post("/v1/tasks", json={"instruction": "send"}).json()["id"]
        assert c.post(f"/v1/tasks/{tid}/reply", json={"text": "early"}).status_code == 409
        body = wait_status(c, tid, {"waiting_for_human"})
        assert body["pending_request"]["kind"] == "confirm"
        assert body["pending_request"]["prompt"] == "Send it?"
        r = c.post(f"/v1/tasks/{tid}/reply", json={"text": "yes", "approve": True})
        assert r.status_code == 200, r.text
        body = wait_status(c, tid, {"succeeded"})
        assert body["pending_request"] is None
        types = [e["type"] for _, e in sse_events(c, f"/v1/tasks/{tid}/events")]
        assert "human.requested" in types and "human.replied" in types


def test_human_timeout_fails(tmp_path: Path) -> None:
    runner = ScriptedRunner(steps=3, confirm_at=1)
    with make_server(tmp_path, runner, human_timeout_s=0.3) as srv, httpx.Client(base_url=srv.url) as c:
        tid = c.post("/v1/tasks", json={"instruction": "send"}).json()["id"]
        body = wait_status(c, tid, {"failed"})
        assert "nobody replied" in body["reason"]


def test_one_device_serialises_two_tasks(tmp_path: Path) -> None:
    runner = ScriptedRunner(steps=4, step_s=0.05)
    with (
        make_server(tmp_path, runner, serials=("dev-a", "dev-b")) as srv,
        httpx.Client(base_url=srv.url) as c,
    ):
        ids = [
            c.post("/v1/tasks", json={"instruction": f"t{i}", "device": "dev-b"}).json()["id"]
            for i in range(3)
        ]
        bodies = [wait_status(c, t, {"succeeded"}) for t in ids]
        assert {b["device"] for b in bodies} == {"dev-b"}
        spans = sorted((b["started_at"], b["finished_at"]) for b in bodies)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start, spans
        # FIFO: started in submission order
        assert [b["id"] for b in sorted(bodies, key=lambda b: b["started_at"])] == ids
        devs = {d["serial"]: d for d in c.get("/v1/devices").json()}
        assert devs["dev-b"]["state"] == "available" and devs["dev-b"]["leased_by"] is None


def test_restart_keeps_finished_and_interrupts_running(tmp_path: Path) -> None:
    fast = ScriptedRunner(steps=1)
    slow = ScriptedRunner(steps=10000, step_s=0.05)
    settings = ApiSettings(runs_dir=tmp_path / "runs", device_refresh_s=60)
    srv = LiveServer(create_app(settings, runner=fast, device_lister=fake_devices(["d1", "d2"]))).start()
    with httpx.Client(base_url=srv.url) as c:
        done = c.post("/v1/tasks", json={"instruction": "quick"}).json()["id"]
        wait_status(c, done, {"succeeded"})
    srv.stop()
    srv = LiveServer(create_app(settings, runner=slow, device_lister=fake_devices(["d1", "d2"]))).start()
    with httpx.Client(base_url=srv.url) as c:
        mid = c.post("/v1/tasks", json={"instruction": "slow"}).json()["id"]
        wait_status(c, mid, {"running"})
        seen = next(e for _, e in sse_events(c, f"/v1/tasks/{mid}/events") if e["type"] == "step.started")
        assert seen["step"] == 1
    srv.stop()
    srv = LiveServer(create_app(settings, runner=fast, device_lister=fake_devices(["d1", "d2"]))).start()
    try:
        with httpx.Client(base_url=srv.url) as c:
            assert c.get(f"/v1/tasks/{done}").json()["status"] == "succeeded"
            body = c.get(f"/v1/tasks/{mid}").json()
            assert body["status"] == "interrupted" and body["run_dir"]
            types = [e["type"] for _, e in sse_events(c, f"/v1/tasks/{mid}/events")]
            assert types[0] == "task.started" and types[-1] == "task.finished"
            assert c.get(f"/v1/tasks/{mid}/steps/1/screenshot").status_code == 200
            listed = c.get("/v1/tasks", params={"status": "interrupted"}).json()
            assert [t["id"] for t in listed["items"]] == [mid]
    finally:
        srv.stop()


def test_no_double_lease_under_load_and_pagination(tmp_path: Path) -> None:
    """40 tasks, some pinned to a device, on 4 devices: every lease is exclusive, FIFO per device."""
    runner = ScriptedRunner(steps=2, step_s=0.01)
    serials = ["p0", "p1", "p2", "p3"]
    settings = ApiSettings(runs_dir=tmp_path / "runs", device_refresh_s=60)
    app = create_app(settings, runner=runner, device_lister=fake_devices(serials))
    with LiveServer(app) as srv, httpx.Client(base_url=srv.url) as c:
        ids = []
        for i in range(40):
            body: dict = {"instruction": f"t{i}"}
            if i % 3 == 0:
                body["device"] = serials[i % 4]
            ids.append(c.post("/v1/tasks", json=body).json()["id"])
        bodies = [wait_status(c, t, {"succeeded"}, timeout=60) for t in ids]
        assert app.state.pool.overlapping_leases() == []
        assert len(app.state.pool.leases) == 40
        spans: dict[str, list[tuple[float, float]]] = {}
        for _, serial, start, end in runner.log:
            spans.setdefault(serial, []).append((start, end))
        for runs in spans.values():
            runs.sort()
            assert all(a[1] <= b[0] for a, b in itertools.pairwise(runs))
        for i, b in enumerate(bodies):
            if i % 3 == 0:
                assert b["device"] == serials[i % 4]
        page1 = c.get("/v1/tasks", params={"limit": 25}).json()
        page2 = c.get("/v1/tasks", params={"limit": 25, "offset": 25}).json()
        assert page1["total"] == 40 and len(page1["items"]) == 25 and len(page2["items"]) == 15
        assert {t["id"] for t in page1["items"] + page2["items"]} == set(ids)
        assert c.get("/v1/tasks", params={"status": "bogus"}).status_code == 422
        assert c.get("/v1/tasks", params={"status": "queued"}).json()["total"] == 0
