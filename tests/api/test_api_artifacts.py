"""GET /v1/tasks/{id}/result and /report on a single `serve`: the run's result.json and report.html
over HTTP (a fleet replica answers the same paths from its store: tests/fleet)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from api_harness import LiveServer, settings_for, wait_status

from mobile_agent.api import create_app


def test_result_and_report_of_a_finished_task(tmp_path: Path, world: dict) -> None:
    with (
        LiveServer(create_app(settings_for(tmp_path, world["serials"][:1]))) as srv,
        httpx.Client(base_url=srv.url, timeout=30) as c,
    ):
        tid = c.post("/v1/tasks", json={"instruction": "Tap twice [taps=2]", "max_steps": 10}).json()["id"]
        waiting = c.post("/v1/tasks", json={"instruction": "waits its turn [taps=1]"}).json()["id"]
        r = c.get(f"/v1/tasks/{waiting}/result")
        assert r.status_code == 409 and "has not ended yet" in r.json()["detail"]
        assert c.post(f"/v1/tasks/{waiting}/cancel").status_code == 202
        view = wait_status(c, tid, {"succeeded"})

        r = c.get(f"/v1/tasks/{tid}/result")
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        result = r.json()
        assert result == json.loads((tmp_path / "runs" / view["run_dir"] / "result.json").read_text())
        assert result["status"] == "succeeded" and result["steps"] == view["steps"] >= 2
        assert result["device"] == view["device"] and result["reason"] == view["reason"]

        page = c.get(f"/v1/tasks/{tid}/report")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in page.headers["content-security-policy"]
        for n in range(1, view["steps"] + 1):  # every step, its screenshot inlined
            assert re.search(rf'<img alt="step {n} before" src="data:image/jpeg;base64,', page.text)

        wait_status(c, waiting, {"cancelled"})
        for name in ("result", "report"):  # cancelled before it started: no run, nothing written
            r = c.get(f"/v1/tasks/{waiting}/{name}")
            assert r.status_code == 409 and "ended without writing one" in r.json()["detail"]
        assert c.get("/v1/tasks/nosuchtask/result").status_code == 404
