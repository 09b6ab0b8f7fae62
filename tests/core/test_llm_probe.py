"""The one model-server readiness probe (`mobile_agent.llm.probe`), over real HTTP.

Doctor, the check before a run, the API's /healthz and the vLLM launcher all ask through it;
tests/serving/test_serving_launcher.py covers the full probe (chat completion included) and
tests/api/test_api_health.py the /healthz side.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mobile_agent.llm.probe import acheck_endpoint, alist_models, check_endpoint


def _server(models_body: object, status: int = 200) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/v1/models":
                self.send_error(404)
                return
            body = json.dumps(models_body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.fixture
def serve() -> Iterator[object]:
    started: list[ThreadingHTTPServer] = []

    def start(models_body: object, status: int = 200) -> str:
        srv = _server(models_body, status)
        started.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}"

    yield start
    for srv in started:
        srv.shutdown()
        srv.server_close()


async def test_listing_only_answers_which_models_without_naming_one(serve) -> None:
    root = serve({"object": "list", "data": [{"id": "gui-owl-7b"}, {"id": "other"}]})
    listing = await alist_models(root)  # no /v1: the probe adds it
    assert listing.reachable and listing.http_status == 200 and listing.error is None
    assert listing.models == ["gui-owl-7b", "other"] and listing.base_url == root + "/v1"


async def test_a_server_error_is_reported_with_its_status(serve) -> None:
    base = serve({"error": "boom"}, status=503) + "/v1"
    listing = await alist_models(base)
    assert listing.reachable and listing.http_status == 503 and "503" in (listing.error or "")
    status = await acheck_endpoint(base, "gui-owl-7b", chat=False)
    assert status.reachable and not status.model_listed and status.http_status == 503


async def test_an_answer_that_is_not_a_model_list_is_reported_not_raised(serve) -> None:
    base = serve([1, 2, 3]) + "/v1"  # JSON, but not an object
    status = await acheck_endpoint(base, "gui-owl-7b")
    assert status.reachable and not status.ok and "unusable answer" in (status.error or "")


async def test_a_malformed_url_is_reported_not_raised() -> None:
    status = await acheck_endpoint("http://[::1/v1", "gui-owl-7b", timeout=2)
    assert not status.reachable and "not a usable URL" in (status.error or "")


def test_the_blocking_probe_reports_a_malformed_url_too() -> None:
    status = check_endpoint("http://[::1/v1", "m", timeout=2)
    assert not status.ok and "not a usable URL" in (status.error or "")


def test_the_launcher_asks_the_framework_probe() -> None:
    from serving import launcher

    assert launcher.check_endpoint is check_endpoint and launcher.acheck_endpoint is acheck_endpoint


def test_doctor_preflight_and_the_api_do_not_import_serving() -> None:
    code = (
        "import sys; import mobile_agent.device.doctor, mobile_agent.preflight, mobile_agent.api.app, "
        "mobile_agent.llm.probe; "
        "bad = sorted(m for m in sys.modules if m == 'serving' or m.startswith('serving.')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


async def test_doctor_without_a_model_name_lists_what_the_server_serves(serve) -> None:
    from mobile_agent.device.doctor import run_doctor

    base = serve({"data": [{"id": "gui-owl-7b"}]}) + "/v1"
    listed = (await run_doctor(base_url=base, adb_port=_closed_port()))[-1]
    assert listed.name == "model endpoint" and listed.ok and "serves gui-owl-7b" in listed.detail
    refused = (await run_doctor(base_url=serve({}, status=401) + "/v1", adb_port=_closed_port()))[-1]
    assert not refused.ok and "answered 401" in refused.detail
    garbled = (await run_doctor(base_url=serve([1]) + "/v1", adb_port=_closed_port()))[-1]
    assert not garbled.ok and "not an OpenAI model list" in garbled.detail
    down = (await run_doctor(base_url=f"http://127.0.0.1:{_closed_port()}/v1", adb_port=_closed_port()))[-1]
    assert not down.ok and "not reachable" in down.detail and "--base-url" in down.fix
