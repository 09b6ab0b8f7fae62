"""End to end over real HTTP: the API runs the real Agent on virtual phones (over ADB) with the
scripted OpenAI-compatible model server. These are the main tests of the task API."""

from __future__ import annotations

import io
import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import adbutils
import httpx
from api_harness import LiveServer, settings_for, sse_events, wait_status
from PIL import Image
from rich.console import Console

from mobile_agent.api import create_app
from mobile_agent.api.client import submit
from mobile_agent.sim import SimServer, connect_adb


def test_submit_stream_screenshots_and_client(tmp_path: Path, world: dict) -> None:
    with (
        LiveServer(create_app(settings_for(tmp_path, world["serials"]))) as srv,
        httpx.Client(base_url=srv.url) as c,
    ):
        devices = c.get("/v1/devices").json()
        assert {d["serial"] for d in devices} == set(world["serials"])
        assert all(d["state"] == "available" and d["model"] for d in devices)
        health = c.get("/healthz").json()
        assert health["status"] == "ok" and health["model"]["ok"] and health["adb"]["ok"]

        r = c.post("/v1/tasks", json={"instruction": "Tap the screen twice [taps=2]", "max_steps": 10})
        assert r.status_code == 201 and r.headers["location"].endswith(r.json()["id"])
        tid = r.json()["id"]
        events = [e for _, e in sse_events(c, f"/v1/tasks/{tid}/events")]
        types = [e["type"] for e in events]
        assert types[0] == "task.started" and types[-1] == "task.finished"
        assert types.count("action.executed") == 2 and "reflection" in types and "plan.updated" in types
        assert events[-1]["data"]["status"] == "succeeded"
        body = wait_status(c, tid, {"succeeded"})
        assert body["device"] in world["serials"] and body["claimed_success"] is True
        assert body["timings"]["total_s"] > 0 and body["usage"]["calls"] >= 5
        for phase in ("before", "after"):
            shot = c.get(f"/v1/tasks/{tid}/steps/1/screenshot", params={"phase": phase})
            assert shot.status_code == 200 and shot.headers["content-type"] == "image/png"
            assert Image.open(io.BytesIO(shot.content)).size == (1080, 2400)
        assert c.get(f"/v1/tasks/{tid}/steps/99/screenshot").status_code == 404
        run = tmp_path / "runs" / body["run_dir"]
        assert (
            (run / "events.jsonl").is_file()
            and (run / "result.json").is_file()
            and (run / "report.html").is_file()
        )

        # the terminal client follows a task to its end: exit 0 on success
        buf = io.StringIO()
        console = Console(file=buf, width=200, color_system=None)
        assert (
            submit("Tap once [taps=1]", server=srv.url, follow=True, console=console, interactive=False) == 0
        )
        assert "succeeded" in buf.getvalue() and "Step 1" in buf.getvalue()


def test_reply_to_pending_confirmation(tmp_path: Path, world: dict) -> None:
    with (
        LiveServer(create_app(settings_for(tmp_path, world["serials"]))) as srv,
        httpx.Client(base_url=srv.url) as c,
    ):
        tid = c.post("/v1/tasks", json={"instruction": "Message Bob [confirm] [taps=1]"}).json()["id"]
        body = wait_status(c, tid, {"waiting_for_human"})
        pending = body["pending_request"]
        assert pending["kind"] == "confirm" and "send" in pending["prompt"].lower()
        assert pending["action"]["action"] == "click"
        r = c.post(f"/v1/tasks/{tid}/reply", json={"text": "go ahead", "approve": True})
        assert r.status_code == 200, r.text
        body = wait_status(c, tid, {"succeeded"})
        assert body["pending_request"] is None
        events = [e for _, e in sse_events(c, f"/v1/tasks/{tid}/events")]
        replied = next(e for e in events if e["type"] == "human.replied")
        assert replied["data"]["approved"] is True and replied["data"]["text"] == "go ahead"
        assert c.post(f"/v1/tasks/{tid}/reply", json={"text": "late"}).status_code == 409


def test_reply_to_a_question(tmp_path: Path, world: dict) -> None:
    with (
        LiveServer(create_app(settings_for(tmp_path, world["serials"]))) as srv,
        httpx.Client(base_url=srv.url) as c,
    ):
        tid = c.post("/v1/tasks", json={"instruction": "Unlock the app [ask] [taps=2]"}).json()["id"]
        body = wait_status(c, tid, {"waiting_for_human"})
        assert body["pending_request"]["kind"] == "question"
        assert body["pending_request"]["prompt"] == "What is the PIN?"
        assert c.post(f"/v1/tasks/{tid}/reply", json={"text": "4711"}).status_code == 200
        assert wait_status(c, tid, {"succeeded"})["pending_request"] is None
        events = [e for _, e in sse_events(c, f"/v1/tasks/{tid}/events")]
        assert any(e["type"] == "human.replied" and e["data"]["text"] == "4711" for e in events)
        # the reply reached the model: a later Worker prompt carries it
        assert any(r.role == "worker" and "4711" in r.user_text for r in world["stub"].requests)


def test_cancel_running_task_within_a_step(tmp_path: Path, world: dict) -> None:
    with (
        LiveServer(create_app(settings_for(tmp_path, world["serials"]))) as srv,
        httpx.Client(base_url=srv.url) as c,
    ):
        tid = c.post("/v1/tasks", json={"instruction": "Tap forever [taps=150]", "max_steps": 200}).json()[
            "id"
        ]
        for _, e in sse_events(c, f"/v1/tasks/{tid}/events"):
            if e["type"] == "step.started" and e["step"] == 2:
                break
        asked = time.monotonic()
        assert c.post(f"/v1/tasks/{tid}/cancel").status_code == 202
        body = wait_status(c, tid, {"cancelled"}, timeout=20)
        assert time.monotonic() - asked < 10
        assert body["steps"] <= 4
        assert c.post(f"/v1/tasks/{tid}/cancel").status_code == 409


def test_two_tasks_on_one_device_are_serialised(tmp_path: Path, world: dict) -> None:
    serial = world["serials"][1]
    app = create_app(settings_for(tmp_path, world["serials"]))
    with LiveServer(app) as srv, httpx.Client(base_url=srv.url) as c:
        ids = [
            c.post("/v1/tasks", json={"instruction": f"Tap [taps=2] #{i}", "device": serial}).json()["id"]
            for i in range(2)
        ]
        second = c.get(f"/v1/tasks/{ids[1]}").json()
        assert second["status"] == "queued" and second["queue_position"] == 0
        bodies = [wait_status(c, t, {"succeeded"}, timeout=60) for t in ids]
        assert [b["device"] for b in bodies] == [serial, serial]
        spans = sorted((b["started_at"], b["finished_at"]) for b in bodies)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start, f"overlapping tasks on {serial}: {spans}"
        assert app.state.pool.overlapping_leases() == []


def test_device_that_disconnects_fails_its_task_others_go_on(tmp_path: Path, world: dict) -> None:
    lone = SimServer(count=1, port=0, seed=9).start()
    doomed = lone.serials[0]
    connect_adb(doomed)
    healthy = world["serials"][0]
    try:
        serials = [healthy, doomed]
        with (
            LiveServer(create_app(settings_for(tmp_path, serials))) as srv,
            httpx.Client(base_url=srv.url) as c,
        ):
            bad = c.post("/v1/tasks", json={"instruction": "Tap a lot [taps=100]", "device": doomed}).json()[
                "id"
            ]
            for _, e in sse_events(c, f"/v1/tasks/{bad}/events"):
                if e["type"] == "step.started" and e["step"] == 2:
                    break
            good = c.post("/v1/tasks", json={"instruction": "Tap [taps=2]", "device": healthy}).json()["id"]
            lone.stop()  # the phone goes away mid-task
            body = wait_status(c, bad, {"failed"}, timeout=60)
            assert body["error"] in ("device_disconnected", "device_error", "device_not_found"), body
            assert doomed in body["reason"] or "device" in body["reason"].lower(), body["reason"]
            assert wait_status(c, good, {"succeeded"}, timeout=60)["status"] == "succeeded"
            devices = {d["serial"]: d for d in c.get("/v1/devices").json()}
            assert devices[doomed]["state"] in ("unhealthy", "offline")
            assert devices[healthy]["state"] == "available"
            # a new task for the dead phone waits instead of being run on it
            waiting = c.post("/v1/tasks", json={"instruction": "Tap [taps=1]", "device": doomed}).json()["id"]
            assert c.get(f"/v1/tasks/{waiting}").json()["status"] == "queued"
            assert c.post(f"/v1/tasks/{waiting}/cancel").json()["status"] == "cancelled"
    finally:
        lone.stop()
        adbutils.adb.disconnect(doomed, raise_error=False)


def _spawn_server(tmp_path: Path, serials: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mobile_agent.api", "--port", "0", "--log-level", "info"],
        env={
            **os.environ,
            **env,
            "MOBILE_AGENT_RUNS_DIR": str(tmp_path / "runs"),
            "MOBILE_AGENT_DEVICE_ALLOWLIST": ",".join(serials),
            "MOBILE_AGENT_API_TOKEN": "",
        },
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if m := re.search(r"Uvicorn running on (http://\S+)", line):
                url.append(m.group(1))
                found.set()

    threading.Thread(target=pump, daemon=True).start()
    if not found.wait(30):
        proc.kill()
        raise AssertionError("serve did not start:\n" + "".join(lines))
    return proc, url[0]


def test_restart_mid_task_marks_it_interrupted(tmp_path: Path, world: dict) -> None:
    env = {"MOBILE_AGENT_BASE_URL": world["stub"].base_url, "MOBILE_AGENT_SETTLE_TIMEOUT_S": "0.3"}
    proc, url = _spawn_server(tmp_path, world["serials"], env)
    try:
        with httpx.Client(base_url=url) as c:
            done = c.post("/v1/tasks", json={"instruction": "Tap [taps=1]"}).json()["id"]
            wait_status(c, done, {"succeeded"}, timeout=60)
            mid = c.post("/v1/tasks", json={"instruction": "Tap a lot [taps=100]"}).json()["id"]
            for _, e in sse_events(c, f"/v1/tasks/{mid}/events"):
                if e["type"] == "step.started" and e["step"] == 2:
                    break
    finally:
        proc.send_signal(signal.SIGKILL)  # a crash: no chance to record anything
        proc.wait(10)
    settings = settings_for(tmp_path, world["serials"])
    with LiveServer(create_app(settings)) as srv, httpx.Client(base_url=srv.url) as c:
        assert c.get(f"/v1/tasks/{done}").json()["status"] == "succeeded"
        body = c.get(f"/v1/tasks/{mid}").json()
        assert body["status"] == "interrupted" and "server stopped" in body["reason"]
        events = [e for _, e in sse_events(c, f"/v1/tasks/{mid}/events")]
        types = [e["type"] for e in events]
        assert types[0] == "task.started" and types.count("step.started") >= 1
        assert types[-1] == "task.finished" and events[-1]["data"]["status"] == "interrupted"
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        shot = c.get(f"/v1/tasks/{mid}/steps/1/screenshot")
        assert shot.status_code == 200 and shot.content[:8] == b"\x89PNG\r\n\x1a\n"
        # the devices it held are free again for new work
        again = c.post("/v1/tasks", json={"instruction": "Tap [taps=1]"}).json()["id"]
        assert wait_status(c, again, {"succeeded"}, timeout=60)["status"] == "succeeded"
