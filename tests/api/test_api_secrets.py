"""The real `serve` process keeps the model's credentials to itself: not in /healthz (which needs
no token), not in a failed task's reason, result.json, events or report, not in its log."""

from __future__ import annotations

import json
import time
from pathlib import Path

import adbutils
import httpx
from api_serve_proc import ServeProcess, serve_env

from mobile_agent.sim import SimServer, connect_adb
from mobile_agent.testing import StubChatServer, StubFault

TOKEN = "Api-Token-Secret-4e7a90c1"
KEY = "sk-Model-Key-1b9d44e0"
PASSWORD = "Url-Passw0rd-2c7f"


def test_health_and_a_failed_task_never_show_the_models_key_or_password(tmp_path: Path) -> None:
    echo = json.dumps({"error": {"message": f"rejected; headers: Authorization: Bearer {KEY}"}})
    stub = StubChatServer(lambda r: "", faults=lambda i: StubFault(status=400, body=echo)).start()
    sim = SimServer(count=1, port=0, seed=0).start()
    serial = sim.serials[0]
    try:
        connect_adb(serial)
        env = serve_env(
            tmp_path,
            MOBILE_AGENT_API_TOKEN=TOKEN,
            MOBILE_AGENT_BASE_URL=stub.base_url.replace("http://", f"http://agent:{PASSWORD}@"),
            MOBILE_AGENT_API_KEY=KEY,
            MOBILE_AGENT_ADB_PORT="5037",
            MOBILE_AGENT_DEVICE_ALLOWLIST=serial,
            MOBILE_AGENT_RETRIES="0",
        )
        with ServeProcess(["--port", "0", "--log-level", "debug"], env) as proc:
            url = proc.wait_url()
            health = httpx.get(f"{url}/healthz").text
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
                deadline = time.monotonic() + 30
                while not c.get("/v1/devices").json():
                    assert time.monotonic() < deadline, "the phone never showed up"
                    time.sleep(0.1)
                tid = c.post("/v1/tasks", json={"instruction": "Turn on Wi-Fi", "max_steps": 2}).json()["id"]
                while (task := c.get(f"/v1/tasks/{tid}").json())["status"] not in ("failed", "succeeded"):
                    assert time.monotonic() < deadline, task
                    time.sleep(0.1)
                events = c.get(f"/v1/tasks/{tid}/events", headers={"Accept": "application/json"}).text
            output = proc.stop()
    finally:
        adbutils.adb.disconnect(serial, raise_error=False)
        sim.stop()
        stub.stop()
    assert f"agent:[redacted]@127.0.0.1:{stub.port}" in health
    assert task["error"] == "model_error" and "Authorization: [redacted]" in task["reason"]
    assert "task.finished" in events and "Uvicorn running" in output
    run = tmp_path / "runs" / task["run_dir"]
    files = [run / name for name in ("result.json", "events.jsonl", "report.html")]
    for text in (health, json.dumps(task), events, output, *(f.read_text("utf-8") for f in files)):
        assert KEY not in text and PASSWORD not in text, text
