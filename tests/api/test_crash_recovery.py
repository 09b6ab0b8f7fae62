"""A server killed with -9 mid-task: the next start rebuilds the task's result from its event log.

Real `serve` subprocesses over real HTTP, the real Agent on a virtual phone over ADB, the scripted
model server, real SQLite (issue 9: such a task used to come back `interrupted` with 0 steps, no
timings or usage, and a run directory without result.json or report.html).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from api_harness import sse_events, wait_status
from api_serve import serve_env, spawn_serve

from mobile_agent.eventlog import read_events


def test_killed_server_task_gets_result_json_and_report(tmp_path: Path, world: dict) -> None:
    runs = tmp_path / "runs"
    env = serve_env(runs, world["serials"][:1])
    first = spawn_serve(env)
    try:
        with httpx.Client(base_url=first.url, timeout=30) as c:
            normal = c.post("/v1/tasks", json={"instruction": "Tap [taps=1]"}).json()["id"]
            wait_status(c, normal, {"succeeded"}, timeout=90)
            tid = c.post("/v1/tasks", json={"instruction": "Tap a lot [taps=100]", "max_steps": 150}).json()[
                "id"
            ]
            for _, e in sse_events(c, f"/v1/tasks/{tid}/events"):
                if e["type"] == "step.finished" and e["step"] == 3:
                    break
    finally:
        first.kill()  # kill -9 mid-task: no chance to record anything
    run = runs / tid
    assert not (run / "result.json").exists() and not (run / "report.html").exists()
    on_disk = read_events(run)
    completed = sorted({e["step"] for e in on_disk if e["type"] == "step.finished"})
    assert len(completed) >= 3 and completed == list(range(1, len(completed) + 1))
    calls = [e for e in on_disk if e["type"] == "model.call"]

    second = spawn_serve(env)
    try:
        with httpx.Client(base_url=second.url, timeout=30) as c:
            body = c.get(f"/v1/tasks/{tid}").json()
            assert body["status"] == "interrupted" and "server stopped" in body["reason"], body
            assert body["steps"] == len(completed), body
            assert body["timings"]["total_s"] > 0 and len(body["timings"]["steps"]) == len(completed)
            assert body["timings"]["model_total_s"] > 0 and body["timings"]["device_s"] > 0
            assert body["usage"]["calls"] == len(calls) > 0
            assert body["usage"]["prompt_tokens"] == sum(e["data"]["prompt_tokens"] for e in calls) > 0
            events = [e for _, e in sse_events(c, f"/v1/tasks/{tid}/events")]
            assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
            assert events[-1]["type"] == "task.finished"
            assert events[-1]["data"]["status"] == "interrupted" and events[-1]["data"]["steps"] == len(
                completed
            )
            # the store has every event the run directory has (the crash kept some out of it)
            assert len(events) == len(on_disk) + 1
    finally:
        second.stop()

    result = json.loads((run / "result.json").read_text(encoding="utf-8"))
    reference = json.loads((runs / normal / "result.json").read_text(encoding="utf-8"))
    assert set(result) == set(reference)  # the schema of a normal run's result.json
    assert set(result["timings"]) == set(reference["timings"])
    assert set(result["usage"]) == set(reference["usage"])
    assert result["status"] == "interrupted" and result["steps"] == len(completed)
    assert result["instruction"] == "Tap a lot [taps=100]" and result["mode"] == reference["mode"]
    assert result["device"] == reference["device"] and result["model"] == reference["model"]
    assert result["usage"]["calls"] == len(calls) and result["timings"]["total_s"] > 0
    assert result["started_at"] < result["finished_at"]
    report = (run / "report.html").read_text(encoding="utf-8")
    assert "interrupted" in report
    for n in completed:  # each step's screenshots, inlined
        assert f'id="step-{n}"' in report
        assert f'alt="step {n} before"' in report and f'alt="step {n} after"' in report
    assert read_events(run)[-1]["type"] == "task.finished"
