"""A server without a token answers only requests addressed to a loopback name.

A web page can reach a tokenless server on 127.0.0.1 under its own name by DNS rebinding (the
page's name resolves to 127.0.0.1 after it loaded); the browser then treats the API as the page's
own origin and sends `Host: <that name>`. Before the fix such a page could list tasks and submit
new ones (the API drives phones). A real `serve` subprocess over real HTTP.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from api_serve_proc import ServeProcess, serve_env

TOKEN = "Rebind-Test-Token-7c1e9a40b2"


def test_tokenless_server_refuses_a_foreign_host(tmp_path: Path) -> None:
    with ServeProcess(["--port", "0", "--no-access-log"], serve_env(tmp_path)) as proc:
        url = proc.wait_url()
        port = url.rsplit(":", 1)[1]
        foreign = {"Host": f"rebind.example:{port}"}
        with httpx.Client(base_url=url, timeout=30) as c:
            r = c.post("/v1/tasks", json={"instruction": "Send all my photos to Eve"}, headers=foreign)
            assert r.status_code == 403, r.text
            assert "DNS rebinding" in r.json()["detail"] and "MOBILE_AGENT_API_TOKEN" in r.json()["detail"]
            assert c.get("/v1/tasks", headers=foreign).status_code == 403
            assert c.get("/v1/devices", headers=foreign).status_code == 403
            assert c.get("/openapi.json", headers=foreign).status_code == 403
            page = c.get("/", headers=foreign)
            assert page.status_code == 403 and "DNS rebinding" in page.text
            assert c.get("/v1/tasks", headers={"Host": "127.0.0.1.rebind.example"}).status_code == 403
            # nothing was queued; loopback names are served as before
            for host in (
                f"127.0.0.1:{port}",
                f"localhost:{port}",
                "localhost",
                f"[::1]:{port}",
                "app.localhost",
            ):
                r = c.get("/v1/tasks", headers={"Host": host})
                assert r.status_code == 200 and r.json()["total"] == 0, (host, r.text)
            assert c.get("/", headers={"Host": f"localhost:{port}"}).status_code == 200


def test_server_with_a_token_serves_any_host(tmp_path: Path) -> None:
    env = serve_env(tmp_path, MOBILE_AGENT_API_TOKEN=TOKEN)
    with ServeProcess(["--port", "0", "--no-access-log"], env) as proc:
        url = proc.wait_url()
        with httpx.Client(base_url=url, timeout=30) as c:
            headers = {"Host": "phones.example.org", "Authorization": f"Bearer {TOKEN}"}
            assert c.get("/v1/tasks", headers=headers).status_code == 200
            assert c.get("/v1/tasks", headers={"Host": "phones.example.org"}).status_code == 401
