"""The real `serve` process never writes a credential to its log (uvicorn's access log included)."""

from __future__ import annotations

import time
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
            assert (
                c.get(f"/v1/tasks/{TOKEN}", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404
            )
            assert c.get("/nothing/here", params={"password": GUESS}).status_code == 404
        proc.wait_for("/nothing/")
        output = proc.stop()
    assert '"GET /?token=[redacted] HTTP/1.1" 303' in output, output
    assert "GET /tasks/abc?x=1&token=[redacted]" in output, output
    assert "GET /v1/tasks/[redacted] HTTP/1.1" in output, output
    assert "GET /nothing/here?password=[redacted]" in output, output
    for line in output.splitlines():
        assert TOKEN not in line and GUESS not in line, line


def test_a_percent_encoded_login_is_redacted_too(tmp_path: Path) -> None:
    """`?%74oken=%53%65...` is the same login once decoded (the server accepts it), so the log must
    not keep it, in any encoding; decoding must not let a `%0A` forge a log line either."""
    encoded = "".join(f"%{ord(ch):02X}" for ch in TOKEN)
    lower = encoded.lower()
    env = serve_env(tmp_path, MOBILE_AGENT_API_TOKEN=TOKEN)
    with ServeProcess(["--port", "0", "--log-level", "info"], env) as proc:
        url = proc.wait_url()
        with httpx.Client(base_url=url) as c:
            login = c.get(f"{url}/?%74oken={encoded}", follow_redirects=False)
            assert login.status_code == 303 and "mobile_agent_session" in login.headers["set-cookie"]
            c.cookies.clear()
            assert c.get(f"{url}/tasks/abc?t%6Fken={lower}").status_code == 303
            c.cookies.clear()
            assert c.get(f"{url}/?%74oken=x%0AINFO:%20forged").status_code == 401
            assert c.get(f"{url}/nothing/last").status_code == 404
        proc.wait_for("/nothing/last")
        output = proc.stop()
    assert '"GET /?token=[redacted] HTTP/1.1" 303' in output, output
    assert "GET /tasks/abc?token=[redacted] HTTP/1.1" in output, output
    for line in output.splitlines():
        assert TOKEN not in line and encoded not in line and lower not in line, line
        assert not line.startswith("INFO: forged"), line


def test_a_long_hostile_request_line_is_logged_without_stalling_the_server(tmp_path: Path) -> None:
    """Every access line passes through the redaction patterns; a quadratic one let a 30 KB
    request path (`?keykeykey...`, `a.a.a...a://u:yyy...`) hold the event loop for seconds."""
    hostile = {
        "query": "/x?" + "key" * 10_000 + f"&token={GUESS}",
        "userinfo": "/" + "a." * 6_000 + "a://u:" + "y" * 10_000,
    }
    env = serve_env(tmp_path, MOBILE_AGENT_API_TOKEN=TOKEN)
    took: dict[str, float] = {}
    with ServeProcess(["--port", "0", "--log-level", "info"], env) as proc:
        url = proc.wait_url()
        with httpx.Client(base_url=url, timeout=60) as c:
            assert c.get("/nothing/first").status_code == 404  # warm
            for name, path in hostile.items():
                t0 = time.perf_counter()
                assert c.get(path).status_code == 404
                took[name] = time.perf_counter() - t0
            assert c.get("/nothing/last").status_code == 404
        proc.wait_for("/nothing/last")
        output = proc.stop()
    assert all(s < 1.0 for s in took.values()), took  # 3 s each with the quadratic patterns
    assert "key&token=[redacted] HTTP/1.1" in output and GUESS not in output
