"""The real `serve` process never writes a credential to its log (uvicorn's access log included)."""

from __future__ import annotations

from pathlib import Path

import httpx
from api_serve_proc import ServeProcess, serve_env

TOKEN = "Secr3t-Api-Token-5a84a46e"
GUESS = "guessed-token-0a1b2c3d"


def test_no_token_in_any_log_line(tmp_path: Path) -> None:
    env = serve_env(tmp_path, MOBILE_AGENT_API_TOKEN=TOKEN)
    with ServeProcess(["--port", "0", "--log-level", "info"], env) as proc:
        url = proc.wait_url()
        with httpx.Client(base_url=url) as c:
            assert c.get("/", params={"token": TOKEN}, follow_redirects=False).status_code == 303  # login
            c.cookies.clear()
            assert c.get("/tasks/abc", params={"x": "1", "token": GUESS}).status_code == 401
            assert c.get("/v1/tasks", params={"token": TOKEN}).status_code == 401  # the API wants a header
            assert c.get("/v1/devices", params={"api_key": TOKEN, "access_token": GUESS}).status_code == 401
            assert c.get(f"/v1/tasks/{TOKEN}", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404
            assert c.get("/nothing/here", params={"password": GUESS}).status_code == 404
        proc.wait_for("/nothing/")
        output = proc.stop()
    assert '"GET /?token=[redacted] HTTP/1.1" 303' in output, output
    assert "GET /tasks/abc?x=1&token=[redacted]" in output, output
    assert "GET /v1/tasks/[redacted] HTTP/1.1" in output, output
    assert "GET /nothing/here?password=[redacted]" in output, output
    for line in output.splitlines():
        assert TOKEN not in line and GUESS not in line, line
