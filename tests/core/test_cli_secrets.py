"""No credential leaves `mobile-agent` in its output, its run directory or a log line: the model's
API key, a password in --base-url, a key in its query string, a password in --server."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from mobile_agent.cli import main
from mobile_agent.llm.base import Message, ModelResponseError
from mobile_agent.llm.openai_compat import OpenAICompatModel
from mobile_agent.testing import StubChatServer, StubFault

KEY = "sk-Model-Key-7c1e29d4"
PASSWORD = "Url-Passw0rd-93be"
QUERY_KEY = "Query-Key-5f02aa"
SECRETS = (KEY, PASSWORD, QUERY_KEY)


def with_password(url: str) -> str:
    return url.replace("http://", f"http://agent:{PASSWORD}@")


def dead_url() -> str:
    server = StubChatServer(lambda r: "").start()
    url = server.base_url
    server.stop()
    return url


def echoing_stub(status: int) -> StubChatServer:
    """A model server whose errors echo the request's headers, as some proxies do."""
    body = json.dumps(
        {"error": {"message": f"rejected; headers: Authorization: Bearer {KEY}, x-api-key={KEY}"}}
    )
    return StubChatServer(lambda r: "", faults=lambda i: StubFault(status=status, body=body))


async def cli(*args: str) -> tuple[int, str, str]:
    env = {**os.environ, "MOBILE_AGENT_RETRIES": "0", "NO_COLOR": "1", "COLUMNS": "200"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mobile_agent", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def run_texts(run: Path) -> list[str]:
    """The text files of a run directory (events, result, report)."""
    files = [p for p in run.rglob("*") if p.suffix in (".json", ".jsonl", ".html")]
    assert {p.name for p in files} >= {"events.jsonl", "result.json", "report.html"}
    return [p.read_text("utf-8") for p in files]


def assert_hidden(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, text


async def test_run_that_cannot_reach_the_model_hides_the_urls_password(tmp_path: Path) -> None:
    url = with_password(dead_url())
    code, out, err = await cli(
        "run", "Turn on Wi-Fi", "--device", "127.0.0.1:1", "--base-url", url, "--api-key", KEY,
        "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 2
    assert "agent:[redacted]@127.0.0.1" in " ".join(err.split())
    assert_hidden(out, err)


async def test_doctor_hides_the_urls_password_and_query_key() -> None:
    url = with_password(dead_url()) + f"?api_key={QUERY_KEY}"
    code, out, err = await cli(
        "doctor", "--device", "127.0.0.1:1", "--base-url", url, "--api-key", KEY, "--json"
    )
    model = next(row for row in json.loads(out) if row["name"] == "model endpoint")
    assert code == 1 and not model["ok"]
    assert "[redacted]" in model["detail"] and "[redacted]" in model["fix"]
    assert_hidden(out, err)


@pytest.mark.parametrize("status", [400, 503])  # refused at once; retried, then given up
async def test_a_model_error_that_echoes_the_key_stays_out_of_the_run(
    sim_phone: Any, tmp_path: Path, status: int
) -> None:
    with echoing_stub(status) as server:
        code, out, err = await cli(
            "run", "Turn on Wi-Fi", "--device", sim_phone.serial, "--base-url", with_password(server.base_url),
            "--model", "gui-owl-stub", "--api-key", KEY, "--out", str(tmp_path), "--json",
        )  # fmt: skip
    assert code == 1, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["error"] == "model_error" and "Authorization: [redacted]" in result["reason"]
    assert_hidden(out, err, *run_texts(Path(result["run_dir"])))


def test_a_bad_base_url_setting_is_echoed_without_its_password(capsys: Any) -> None:
    assert main(["run", "x", "--base-url", f"ftp://agent:{PASSWORD}@h/v1", "--device", "nope"]) == 2
    err = capsys.readouterr().err
    assert "--base-url" in err and "agent:[redacted]@h" in err
    assert_hidden(err)


def test_submit_to_an_unreachable_server_hides_its_password(capsys: Any) -> None:
    server = dead_url().removesuffix("/v1").replace("http://", f"http://agent:{PASSWORD}@")
    assert main(["submit", "--server", server, "--token", KEY, "x"]) == 2
    out = capsys.readouterr()
    assert "cannot reach the API at http://agent:[redacted]@" in " ".join(out.out.split())
    assert_hidden(out.out, out.err)


async def test_the_http_clients_request_log_hides_the_urls_password() -> None:
    """httpx logs every request's URL (password included) at INFO: a program that logs at INFO
    must not print it once the agent's model client holds that URL."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    loggers = [logging.getLogger(name) for name in ("httpx", "httpx2")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    try:
        async with echoing_stub(400) as server:
            model = OpenAICompatModel(with_password(server.base_url), "gui-owl-stub", api_key=KEY, retries=0)
            with pytest.raises(ModelResponseError) as failed:
                await model.chat([Message(role="user", content="hi")])
            await model.aclose()
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
    assert "HTTP Request: POST http://agent:[redacted]@127.0.0.1" in buf.getvalue()
    assert_hidden(buf.getvalue(), str(failed.value), repr(model))
