"""The API token over real HTTP: near-miss tokens, the viewer's signed session cookie, the
same-origin rule for cookie-authenticated writes, and token rules of the real `serve` CLI."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from api_harness import LiveServer, wait_status
from api_scripted_runner import ScriptedRunner, fake_devices
from api_serve_proc import ServeProcess, serve_cmd, serve_env

from mobile_agent.api import create_app
from mobile_agent.api.auth import SESSION_COOKIE, mint_session
from mobile_agent.api.settings import ApiSettings

TOKEN = "Tok-3f9c2b1e8a7d4c05-XYZ"


def make_server(tmp_path: Path, token: str = TOKEN, **kw) -> LiveServer:  # type: ignore[no-untyped-def]
    settings = ApiSettings(runs_dir=tmp_path / "runs", device_refresh_s=60, api_token=token, **kw)
    return LiveServer(create_app(settings, runner=ScriptedRunner(steps=200, step_s=0.1), device_lister=fake_devices(["dev-a"])))


def login(c: httpx.Client) -> str:
    """Trade the token for the session cookie as a browser does; return the cookie value."""
    r = c.get("/", params={"token": TOKEN}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.cookies[SESSION_COOKIE]


@pytest.mark.parametrize(
    "presented",
    [TOKEN[:-1], TOKEN + "x", TOKEN.lower(), TOKEN.upper(), "x" + TOKEN, TOKEN[1:], "wrong"],
    ids=["prefix", "suffix", "lower", "upper", "extra-first", "drops-first", "unrelated"],
)
def test_near_miss_bearer_tokens_are_refused(tmp_path: Path, presented: str) -> None:
    with make_server(tmp_path) as srv, httpx.Client(base_url=srv.url) as c:
        r = c.get("/v1/tasks", headers={"Authorization": f"Bearer {presented}"})
        assert r.status_code == 401, r.text
        assert c.get("/", params={"token": presented}).status_code == 401
        assert c.get("/v1/tasks", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_session_cookie_is_signed_and_not_the_token(tmp_path: Path) -> None:
    with make_server(tmp_path) as srv, httpx.Client(base_url=srv.url) as c:
        r = c.get("/", params={"token": TOKEN}, follow_redirects=False)
        set_cookie = r.headers["set-cookie"]
        assert "httponly" in set_cookie.lower() and "samesite=strict" in set_cookie.lower()
        assert "max-age=" in set_cookie.lower()
        value = r.cookies[SESSION_COOKIE]
        assert TOKEN not in value and TOKEN.lower() not in value.lower()
        assert "token" not in r.headers["location"]
        c.cookies.set(SESSION_COOKIE, value)
        assert c.get("/").status_code == 200
        assert c.get("/v1/tasks").status_code == 200
        # the raw token as the cookie (what the old cookie held) is not a session
        c.cookies.set(SESSION_COOKIE, TOKEN)
        assert c.get("/v1/tasks").status_code == 401
        assert c.get("/").status_code == 401
        # tampered: another expiry, or a changed signature
        payload, _, mac = value.rpartition(".")
        version, expiry, nonce = payload.split(".")
        later = f"{version}.{int(expiry) + 10**6}.{nonce}.{mac}"
        flipped = f"{payload}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}"
        for bad in (later, flipped, value + "x", "v1.99999999999.x.y"):
            c.cookies.set(SESSION_COOKIE, bad)
            assert c.get("/v1/tasks").status_code == 401, bad
        # expired: minted under the right token, but its time is over
        c.cookies.set(SESSION_COOKIE, mint_session(TOKEN, 60, now=time.time() - 3600))
        assert c.get("/v1/tasks").status_code == 401
        assert c.get("/").status_code == 401


def test_cookie_stops_working_when_the_token_changes(tmp_path: Path) -> None:
    with make_server(tmp_path) as srv, httpx.Client(base_url=srv.url) as c:
        value = login(c)
        assert c.get("/v1/tasks").status_code == 200
    with make_server(tmp_path, token="another-token-0123456789") as srv, httpx.Client(base_url=srv.url) as c:
        c.cookies.set(SESSION_COOKIE, value)
        assert c.get("/v1/tasks").status_code == 401
        assert c.get("/").status_code == 401


def test_cookie_writes_must_come_from_this_origin(tmp_path: Path) -> None:
    with make_server(tmp_path) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        tid = c.post("/v1/tasks", json={"instruction": "long"}, headers=bearer).json()["id"]
        login(c)
        host = srv.url.removeprefix("http://")
        other_port = f"http://127.0.0.1:{srv.port + 1}"
        refused = [
            {"Origin": "http://evil.example"},
            {"Origin": other_port},  # same site, other origin: still refused
            {"Origin": "null"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
            {},  # neither header proves anything
        ]
        for headers in refused:
            r = c.post(f"/v1/tasks/{tid}/cancel", headers=headers)
            assert r.status_code == 403, (headers, r.status_code, r.text)
            assert "cross-origin" in r.json()["detail"]
            r = c.post("/v1/tasks", json={"instruction": "x"}, headers=headers)
            assert r.status_code == 403, (headers, r.text)
        assert wait_status(c, tid, {"running"})["cancel_requested"] is False  # GETs on the cookie are fine
        assert c.get("/v1/tasks").json()["total"] == 1  # nothing was queued by the refused posts
        # bearer requests are not affected by Origin
        r = c.post("/v1/tasks", json={"instruction": "x"}, headers={**bearer, "Origin": "http://evil.example"})
        assert r.status_code == 201, r.text
        # the viewer's own requests: Origin is this host, or the browser says same-origin
        r = c.post(f"/v1/tasks/{tid}/cancel", headers={"Origin": f"http://{host}"})
        assert r.status_code == 202, r.text
        r = c.post("/v1/tasks", json={"instruction": "y"}, headers={"Sec-Fetch-Site": "same-origin"})
        assert r.status_code == 201, r.text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def refused_to_connect(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize(
    "args, env, says",
    [
        (["--host", "0.0.0.0", "--token", "short-token"], {}, "at least 16"),
        (["--host", "0.0.0.0"], {"MOBILE_AGENT_API_TOKEN": "   short   "}, "at least 16"),
        (["--token", "    "], {}, "blank"),
        ([], {"MOBILE_AGENT_API_TOKEN": "  \t "}, "blank"),
        ([], {"MOBILE_AGENT_HOST": "0.0.0.0"}, "refusing to listen on 0.0.0.0"),
        ([], {"MOBILE_AGENT_HOST": "0.0.0.0", "MOBILE_AGENT_API_TOKEN": "abc"}, "at least 16"),
    ],
    ids=["short-flag", "short-env", "blank-flag", "blank-env", "env-host-no-token", "env-host-short"],
)
def test_serve_refuses_bad_tokens(tmp_path: Path, args: list[str], env: dict[str, str], says: str) -> None:
    port = free_port()
    try:
        done = subprocess.run(
            [*serve_cmd(), "--port", str(port), *args],
            env=serve_env(tmp_path, **env),
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired as exc:  # the old code started the server and kept running
        raise AssertionError(f"serve did not refuse: {exc.stderr!r}") from None
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert says in done.stderr, done.stderr
    if "16" in says or "blank" in says:
        assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in done.stderr
    assert "Uvicorn running" not in done.stderr + done.stdout
    assert refused_to_connect(port)


def test_serve_strips_the_token_and_reads_host_and_port_from_env(tmp_path: Path) -> None:
    token = "  " + TOKEN + "\n"
    env = serve_env(
        tmp_path, MOBILE_AGENT_HOST="127.0.0.2", MOBILE_AGENT_PORT="0", MOBILE_AGENT_API_TOKEN=token
    )
    with ServeProcess([], env) as proc:
        url = proc.wait_url()
        assert url.startswith("http://127.0.0.2:"), url
        with httpx.Client(base_url=url) as c:
            assert c.get("/v1/tasks", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
            assert c.get("/v1/tasks", headers={"Authorization": "Bearer"}).status_code == 401
