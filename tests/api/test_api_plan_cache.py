"""The plan cache over the HTTP API (issue 13): `MOBILE_AGENT_CACHE_DIR` and `"cache": false`.

End to end over real HTTP: the real Agent on a virtual phone (real ADB), the benchmark oracle as
the model behind a real OpenAI-compatible server that counts the requests it receives. The same
instruction from the same starting state is planned once, then replayed with no model call; a
task that asks `"cache": false` goes to the model again, as does one with an `output_schema`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import adbutils
import httpx
import pytest
from api_harness import LiveServer, settings_for, wait_status

from mobile_agent.api import create_app
from mobile_agent.api.settings import ApiSettings
from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.oracle import Oracle
from mobile_agent.bench.tasks import get_task
from mobile_agent.sim import SimServer, connect_adb
from mobile_agent.testing import ChatRequest, StubChatServer


class Counting:
    """The oracle as the model; `calls` counts the chat requests the model server received."""

    def __init__(self) -> None:
        self.oracle = Oracle()
        self.calls = 0

    async def __call__(self, request: ChatRequest) -> str:
        self.calls += 1
        return await self.oracle.respond(request)


@pytest.fixture
def phone_and_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Counting]]:
    sim = SimServer(count=1, port=0, seed=0).start()
    serial = sim.serials[0]
    model = Counting()
    stub = StubChatServer(model, keep_requests=False).start()
    monkeypatch.setenv("MOBILE_AGENT_BASE_URL", stub.base_url)
    monkeypatch.setenv("MOBILE_AGENT_SETTLE_TIMEOUT_S", "0.3")
    monkeypatch.setenv("MOBILE_AGENT_POLICY", "allow")  # "Buy milk" would ask for a confirmation
    try:
        connect_adb(serial)
        yield serial, model
    finally:
        adbutils.adb.disconnect(serial, raise_error=False)
        stub.stop()
        sim.stop()


def _run(c: httpx.Client, serial: str, model: Counting, **body: Any) -> tuple[dict[str, Any], int, float]:
    """Set the benchmark task up on the phone (same seed: same state), run it through the API;
    the task's body, the model calls the server received for it, and the oracle's verdict."""
    task = get_task("notes_create").from_seed(1)  # taps and typing
    adb = AdbShell(serial)
    asyncio.run(task.initialize(adb))
    token = model.oracle.register(task, serial, adb)
    before = model.calls
    r = c.post("/v1/tasks", json={"instruction": task.goal, "device": serial, "model": token, **body})
    assert r.status_code == 201, r.text
    done = wait_status(c, r.json()["id"], {"succeeded", "failed", "cancelled"}, timeout=120)
    model.oracle.unregister(token)
    return done, model.calls - before, asyncio.run(task.is_successful(adb))


def test_the_server_cache_replays_a_repeated_task_with_no_model_call(
    tmp_path: Path, phone_and_model: tuple[str, Counting]
) -> None:
    serial, model = phone_and_model
    cache = tmp_path / "plans"
    app = create_app(settings_for(tmp_path, [serial], cache_dir=cache))
    with LiveServer(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        first, calls, verified = _run(c, serial, model, max_steps=20)
        assert first["status"] == "succeeded" and verified == 1.0, first
        assert calls > 0 and first["usage"]["calls"] == calls
        assert len([d for d in cache.iterdir() if not d.name.startswith(".")]) == 1

        second, calls, verified = _run(c, serial, model, max_steps=20)
        assert second["status"] == "succeeded" and verified == 1.0, second
        assert calls == 0 and second["usage"]["calls"] == 0  # no request reached the model server
        events = (tmp_path / "runs" / second["run_dir"] / "events.jsonl").read_text()
        assert "cache hit" in events

        third, calls, verified = _run(c, serial, model, max_steps=20, cache=False)
        assert third["status"] == "succeeded" and verified == 1.0, third
        assert (
            calls > 0
            and "cache hit" not in (tmp_path / "runs" / third["run_dir"] / "events.jsonl").read_text()
        )

        # a structured answer cannot come from a replay: such a task runs without the cache
        fourth, calls, _ = _run(c, serial, model, max_steps=20, output_schema={"type": "string"})
        assert calls > 0 and fourth["error"] == "no_output", fourth  # the oracle gives no structured answer

        spec = c.get("/openapi.json").json()["components"]["schemas"]["TaskCreate"]["properties"]
        assert spec["cache"]["type"] == "boolean" and spec["cache"]["default"] is True
        assert "MOBILE_AGENT_CACHE_DIR" in spec["cache"]["description"]


def test_a_blank_cache_dir_setting_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOBILE_AGENT_CACHE_DIR", " ")
    assert ApiSettings().cache_dir is None
    monkeypatch.setenv("MOBILE_AGENT_CACHE_DIR", "/srv/plans")
    assert ApiSettings().cache_dir == Path("/srv/plans")
