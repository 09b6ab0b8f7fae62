"""Every error status the API answers is in its OpenAPI document (schemathesis' ST103 check)."""

from __future__ import annotations

from pathlib import Path

import httpx
from api_harness import LiveServer, wait_status
from api_scripted_runner import ScriptedRunner, fake_devices

from mobile_agent.api import create_app
from mobile_agent.api.settings import ApiSettings

AUTH = {"Authorization": "Bearer tok"}


def test_error_statuses_are_documented(tmp_path: Path) -> None:
    settings = ApiSettings(runs_dir=tmp_path / "runs", device_refresh_s=60, api_token="tok")
    app = create_app(settings, runner=ScriptedRunner(steps=1), device_lister=fake_devices(["dev-a"]))
    with LiveServer(app) as srv, httpx.Client(base_url=srv.url, headers=AUTH) as c:
        spec = c.get("/openapi.json").json()["paths"]
        tid = c.post("/v1/tasks", json={"instruction": "x"}).json()["id"]
        wait_status(c, tid, {"succeeded"})
        bad_json = {"content": b'{"text": "\xff"}', "headers": {"Content-Type": "application/json", **AUTH}}
        observed = [
            ("post", "/v1/tasks", c.post("/v1/tasks", **bad_json)),  # type: ignore[arg-type]
            (
                "post",
                "/v1/tasks",
                c.post("/v1/tasks", json={"instruction": "x"}, headers={"Authorization": ""}),
            ),
            ("get", "/v1/tasks", c.get("/v1/tasks", headers={"Authorization": "Bearer no"})),
            ("get", "/v1/tasks/{task_id}", c.get("/v1/tasks/nope")),
            ("get", "/v1/tasks/{task_id}", c.get("/v1/tasks/nope", headers={"Authorization": ""})),
            ("get", "/v1/tasks/{task_id}/events", c.get("/v1/tasks/nope/events")),
            ("get", "/v1/tasks/{task_id}/steps/{n}/screenshot", c.get(f"/v1/tasks/{tid}/steps/9/screenshot")),
            ("post", "/v1/tasks/{task_id}/cancel", c.post("/v1/tasks/nope/cancel")),
            ("post", "/v1/tasks/{task_id}/cancel", c.post(f"/v1/tasks/{tid}/cancel")),
            ("post", "/v1/tasks/{task_id}/reply", c.post(f"/v1/tasks/{tid}/reply", json={})),
            ("post", "/v1/tasks/{task_id}/reply", c.post(f"/v1/tasks/{tid}/reply", **bad_json)),  # type: ignore[arg-type]
            ("get", "/v1/devices", c.get("/v1/devices", headers={"Authorization": ""})),
        ]
        for method, path, r in observed:
            assert r.status_code >= 400 and r.status_code != 422, (method, path, r.status_code)
            documented = spec[path][method]["responses"]
            assert str(r.status_code) in documented, (method, path, r.status_code, sorted(documented))
