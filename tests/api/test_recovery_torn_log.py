"""Crash recovery reads what a kill -9 leaves in events.jsonl: a last line cut inside a UTF-8
character, and lines whose text holds U+2028 / U+0085 (which `str.splitlines` takes for line
ends). A real `serve` subprocess recovers a task left `running` in a real SQLite store.

Before the fix the torn character raised UnicodeDecodeError, so recovery fell back to a bare
`interrupted` with 0 steps and no result.json; and an event holding U+2028 was silently dropped.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx
from api_serve import serve_env, spawn_serve

from mobile_agent.api.store import TaskStore
from mobile_agent.eventlog import read_events

INSTRUCTION = "打开设置\u2028then\x85stop 🙂"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _left_running(runs: Path) -> str:
    """A task a killed server left mid-run: two steps on disk, the last line torn mid-character."""
    store = TaskStore(f"sqlite:///{(runs / 'mobile-agent.db').resolve()}")
    try:
        rec = store.create_task(INSTRUCTION, max_steps=5, max_seconds=60)
        t = time.time() - 10
        store.update_task(rec.id, status="running", run_dir=rec.id, started_at=t)
        events = [
            {
                "seq": 1,
                "ts": t,
                "type": "task.started",
                "step": None,
                "role": None,
                "data": {"instruction": INSTRUCTION, "mode": "single", "model": "m"},
            },
            {
                "seq": 2,
                "ts": t + 1,
                "type": "model.call",
                "step": 1,
                "role": "single",
                "data": {
                    "role": "single",
                    "latency_s": 0.5,
                    "prompt_tokens": 7,
                    "completion_tokens": 3,
                    "raw": "点击\u2028设置",
                },
            },
            {
                "seq": 3,
                "ts": t + 2,
                "type": "step.finished",
                "step": 1,
                "role": None,
                "data": {"timings": {"device_s": 0.25}},
            },
            {
                "seq": 4,
                "ts": t + 3,
                "type": "step.finished",
                "step": 2,
                "role": None,
                "data": {"timings": {"device_s": 0.25}},
            },
        ]
        text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)
        torn = json.dumps(
            {"seq": 5, "ts": t + 4, "type": "model.call", "data": {"raw": "我想打开设置"}}, ensure_ascii=False
        ).encode("utf-8")
        torn = torn[: torn.index("设".encode()) + 1]  # cut inside a 3-byte character
        run = runs / rec.id
        (run / "steps").mkdir(parents=True)
        (run / "events.jsonl").write_bytes(text.encode("utf-8") + torn)
        return rec.id
    finally:
        store.close()


def test_recovery_survives_a_torn_utf8_line_and_line_separators(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    tid = _left_running(runs)
    assert [e["seq"] for e in read_events(runs / tid)] == [1, 2, 3, 4]

    env = serve_env(runs, [], {"MOBILE_AGENT_ADB_PORT": str(_closed_port())})
    server = spawn_serve(env)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            body = c.get(f"/v1/tasks/{tid}").json()
    finally:
        server.stop()
    assert body["status"] == "interrupted", body
    assert body["steps"] == 2 and body["usage"]["calls"] == 1 and body["usage"]["prompt_tokens"] == 7, body
    result = json.loads((runs / tid / "result.json").read_text(encoding="utf-8"))
    assert result["status"] == "interrupted" and result["steps"] == 2
    assert result["instruction"] == INSTRUCTION and result["model"] == "m"
    assert (runs / tid / "report.html").is_file()
    events = read_events(runs / tid)
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert events[-1]["type"] == "task.finished" and events[-1]["data"]["steps"] == 2
