"""One server per task store: a second `mobile-agent serve` on the same store refuses to start.

Real `serve` subprocesses over real HTTP, the real Agent on virtual phones over ADB, the scripted
model server, a real SQLite store (issue 9: the second server used to mark the first one's live
task interrupted and lease the same phones).
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
from pathlib import Path

import httpx
from api_harness import sse_events, wait_status
from api_serve import SERVE, serve_env, spawn_serve


def _task_rows(db: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT id, status, steps FROM tasks ORDER BY id"))


def test_second_server_on_one_store_exits_2_and_touches_nothing(tmp_path: Path, world: dict) -> None:
    env = serve_env(tmp_path / "runs", world["serials"])
    first = spawn_serve(env)
    try:
        with httpx.Client(base_url=first.url, timeout=30) as c:
            # a live task holding a phone: it waits at step 1 for a confirmation
            tid = c.post("/v1/tasks", json={"instruction": "Message Bob [confirm] [taps=2]"}).json()["id"]
            wait_status(c, tid, {"waiting_for_human"}, timeout=90)
            second = subprocess.run(SERVE, env=env, capture_output=True, text=True, timeout=60)

            assert second.returncode == 2, second.stderr
            msg = second.stderr
            assert "refusing to start" in msg and "in use by another mobile-agent server" in msg
            assert f"pid {first.proc.pid}" in msg and socket.gethostname() in msg
            assert f":{first.port}" in msg and "since" in msg
            assert "Uvicorn running" not in msg and "Traceback" not in msg
            # the first server's task was not touched: still live, then it ends normally
            body = c.get(f"/v1/tasks/{tid}").json()
            assert body["status"] == "waiting_for_human" and body["pending_request"], body
            assert c.post(f"/v1/tasks/{tid}/reply", json={"text": "ok", "approve": True}).status_code == 200
            done = wait_status(c, tid, {"succeeded", "failed", "interrupted"}, timeout=90)
            assert done["status"] == "succeeded", done
            finished = [
                e for _, e in sse_events(c, f"/v1/tasks/{tid}/events") if e["type"] == "task.finished"
            ]
            assert [e["data"]["status"] for e in finished] == ["succeeded"]
    finally:
        first.kill()  # kill -9: the store's lock goes with the process
    assert _task_rows(tmp_path / "runs" / "mobile-agent.db") == [(tid, "succeeded", done["steps"])]

    third = spawn_serve(env)  # a crashed owner does not block the next start
    try:
        with httpx.Client(base_url=third.url, timeout=30) as c:
            assert c.get(f"/v1/tasks/{tid}").json()["status"] == "succeeded"
            again = c.post("/v1/tasks", json={"instruction": "Tap [taps=1]"}).json()["id"]
            assert wait_status(c, again, {"succeeded"}, timeout=90)["status"] == "succeeded"
    finally:
        third.stop()
    assert "Application shutdown complete" in third.output()
    with sqlite3.connect(tmp_path / "runs" / "mobile-agent.db") as conn:  # a clean stop gives it back
        assert list(conn.execute("SELECT pid FROM server_owner")) == []


def test_a_store_that_does_not_answer_exits_2_in_one_line_without_its_password(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = serve_env(tmp_path / "runs", [])
    for url, said in (
        (f"postgresql+psycopg://ann:s3cr3t-pw@127.0.0.1:{port}/tasks", "does not answer"),
        ("nonsense://x", "does not answer"),
        ("::not a url::", "is not a database URL"),
    ):
        proc = subprocess.run([*SERVE, "--db-url", url], env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert "refusing to start: " in proc.stderr and said in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr and "s3cr3t-pw" not in proc.stderr + proc.stdout
        assert "Uvicorn running" not in proc.stderr
