"""Structured answers over the HTTP API (issue 13): `output_schema` in POST /v1/tasks.

End to end over real HTTP: the real Agent on a virtual phone (real ADB), the benchmark oracle as
the model behind a real OpenAI-compatible server, rewriting its Worker's plain answer as nested
JSON (the first one invalid). Also: a bad schema is a 422 and queues nothing; `mobile-agent
submit --output-schema FILE` as a real subprocess; a database made before the new columns
existed is migrated at startup and its tasks still read back.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import adbutils
import httpx
import pytest
from api_harness import LiveServer, settings_for, wait_status
from api_scripted_runner import ScriptedRunner, fake_devices

from mobile_agent.api import create_app
from mobile_agent.api.settings import ApiSettings
from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.oracle import Oracle
from mobile_agent.bench.tasks import get_task
from mobile_agent.roles.parsing import parse_worker
from mobile_agent.sim import SimServer, connect_adb
from mobile_agent.testing import StubChatServer

CARD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "contact": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "phone": {
                    "type": "object",
                    "properties": {
                        "digits": {"type": "string", "pattern": "^[0-9]{10}$"},
                        "label": {"enum": ["mobile", "home", "work"]},
                    },
                    "required": ["digits", "label"],
                },
            },
            "required": ["name", "phone"],
        },
        "source": {"type": "string"},
    },
    "required": ["contact", "source"],
}


class CardOracle:
    """The oracle for every role; each Worker answer becomes a contact card in a code fence, the
    first one of each run without the phone's label (invalid, so it must be sent back)."""

    def __init__(self, oracle: Oracle) -> None:
        self.oracle = oracle
        self.names: dict[str, str] = {}  # model token -> the contact's name
        self.answers: dict[str, list[str]] = {}  # model token -> the prompts that got an answer

    async def __call__(self, request: Any) -> str:
        text = await self.oracle.respond(request)
        if request.role != "worker":
            return text
        parsed = parse_worker(text)
        if not parsed.ok or parsed.action.to_json()["action"] != "answer":  # type: ignore[union-attr]
            return text
        digits = "".join(ch for ch in parsed.action.text if ch.isdigit())  # type: ignore[union-attr]
        seen = self.answers.setdefault(request.model, [])
        seen.append(request.user_text)
        phone = {"digits": digits} if len(seen) == 1 else {"digits": digits, "label": "mobile"}
        card = {"contact": {"name": self.names[request.model], "phone": phone}, "source": "Contacts app"}
        action = {"action": "answer", "text": f"```json\n{json.dumps(card)}\n```"}
        return f"### Thought\nThe number is on screen.\n### Action\n{json.dumps(action)}\n### Description\nanswer"


@pytest.fixture
def phone_and_oracle(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Oracle, CardOracle]]:
    """One virtual phone (adb-connected) and the card oracle behind a real model server."""
    sim = SimServer(count=1, port=0, seed=0).start()
    serial = sim.serials[0]
    oracle = Oracle()
    responder = CardOracle(oracle)
    stub = StubChatServer(responder).start()
    monkeypatch.setenv("MOBILE_AGENT_BASE_URL", stub.base_url)
    monkeypatch.setenv("MOBILE_AGENT_SETTLE_TIMEOUT_S", "0.3")
    try:
        connect_adb(serial)
        yield serial, oracle, responder
    finally:
        adbutils.adb.disconnect(serial, raise_error=False)
        stub.stop()
        sim.stop()


def _contact_task(serial: str, oracle: Oracle, responder: CardOracle, seed: int) -> tuple[Any, str]:
    """The benchmark's "read a contact's number" task set up on the phone; its model token."""
    adb = AdbShell(serial)
    task = get_task("info_contact_phone").from_seed(seed)
    asyncio.run(task.initialize(adb))
    token = oracle.register(task, serial, adb)
    responder.names[token] = task.params["name"]
    return task, token


def test_a_nested_schema_ends_with_the_validated_output(
    tmp_path: Path, phone_and_oracle: tuple[str, Oracle, CardOracle]
) -> None:
    serial, oracle, responder = phone_and_oracle
    task, token = _contact_task(serial, oracle, responder, seed=3)
    app = create_app(settings_for(tmp_path, [serial]))
    with LiveServer(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        r = c.post(
            "/v1/tasks",
            json={
                "instruction": task.goal,
                "device": serial,
                "model": token,
                "max_steps": 15,
                "output_schema": CARD_SCHEMA,
            },
        )
        assert r.status_code == 201, r.text
        tid = r.json()["id"]
        body = wait_status(c, tid, {"succeeded", "failed", "cancelled"}, timeout=120)
        assert body["status"] == "succeeded", body
        expected = {
            "contact": {
                "name": task.params["name"],
                "phone": {"digits": task.params["number"], "label": "mobile"},
            },
            "source": "Contacts app",
        }
        assert body["output"] == expected
        assert body["output_schema"] == CARD_SCHEMA
        # the first answer (no label) was sent back with the errors; the second one was kept
        prompts = responder.answers[token]
        assert len(prompts) == 2 and "### Required answer format" in prompts[0]
        assert "contact.phone" in prompts[1] and "label" in prompts[1]
        saved = json.loads((tmp_path / "runs" / body["run_dir"] / "result.json").read_text())
        assert saved["output"] == expected
        listed = c.get("/v1/tasks").json()["items"]
        assert [t["output"] for t in listed if t["id"] == tid] == [expected]

        # the terminal client: `mobile-agent submit --output-schema FILE`, a real subprocess
        task2, token2 = _contact_task(serial, oracle, responder, seed=5)
        schema_file = tmp_path / "card.json"
        schema_file.write_text(json.dumps(CARD_SCHEMA))
        done = subprocess.run(
            [sys.executable, "-m", "mobile_agent", "submit", task2.goal, "--server", srv.url,
             "--device", serial, "--model", token2, "--max-steps", "15",
             "--output-schema", str(schema_file), "--follow", "--no-input"],
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        printed = [line for line in done.stdout.splitlines() if line.startswith("output: ")]
        assert len(printed) == 1, done.stdout
        card = json.loads(printed[0].removeprefix("output: "))
        assert card["contact"]["phone"] == {"digits": task2.params["number"], "label": "mobile"}


def _plumbing_app(tmp_path: Path, **kw: Any) -> Any:
    settings = ApiSettings(runs_dir=tmp_path / "runs", device_refresh_s=60, **kw)
    return create_app(
        settings, runner=ScriptedRunner(steps=1, step_s=0.01), device_lister=fake_devices(["dev-a"])
    )


def test_a_bad_schema_is_a_422_and_nothing_is_queued(tmp_path: Path) -> None:
    with LiveServer(_plumbing_app(tmp_path)) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        bad = {
            "not a valid JSON Schema at type": {"type": "objekt"},
            "not a valid JSON Schema at properties/a/minLength": {
                "type": "object",
                "properties": {"a": {"type": "string", "minLength": -1}},
            },
            "at least 1 item": {},
            "valid dictionary": "a string",
        }
        for message, schema in bad.items():
            r = c.post("/v1/tasks", json={"instruction": "read it", "output_schema": schema})
            assert r.status_code == 422, r.text
            detail = r.json()["detail"]
            assert detail[0]["loc"] == ["body", "output_schema"] and message in detail[0]["msg"], detail
        assert c.get("/v1/tasks").json()["total"] == 0
        assert not list((tmp_path / "runs").glob("*/steps"))

        # the same submit with a usable schema is queued and keeps it; a runner with no
        # structured answer leaves `output` null, as does a task that asked for none
        tid = c.post(
            "/v1/tasks", json={"instruction": "read it", "output_schema": {"type": "object"}}
        ).json()["id"]
        plain = c.post("/v1/tasks", json={"instruction": "read it"}).json()["id"]
        asked = wait_status(c, tid, {"succeeded"})
        assert asked["output_schema"] == {"type": "object"} and asked["output"] is None
        body = wait_status(c, plain, {"succeeded"})
        assert body["output_schema"] is None and body["output"] is None

        # the OpenAPI document describes the field
        spec = c.get("/openapi.json").json()["components"]["schemas"]
        field = spec["TaskCreate"]["properties"]["output_schema"]
        assert "JSON Schema" in field["description"] and {"type": "null"} in field["anyOf"]
        assert "output" in spec["TaskView"]["properties"]


def test_the_client_refuses_a_bad_schema_file_before_submitting(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": 12}')
    with LiveServer(_plumbing_app(tmp_path)) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        done = subprocess.run(
            [sys.executable, "-m", "mobile_agent", "submit", "read it", "--server", srv.url,
             "--output-schema", str(bad)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 2 and "not a valid JSON Schema" in done.stderr, done.stdout + done.stderr
        assert c.get("/v1/tasks").json()["total"] == 0


OLD_TASKS_TABLE = """
CREATE TABLE tasks (
    id VARCHAR(32) NOT NULL, instruction TEXT NOT NULL, status VARCHAR(32) NOT NULL,
    device VARCHAR(200), assigned_device VARCHAR(200), mode VARCHAR(16), model VARCHAR(200),
    max_steps INTEGER NOT NULL, max_seconds FLOAT NOT NULL, reason TEXT, answer TEXT,
    steps INTEGER NOT NULL, created_at FLOAT NOT NULL, started_at FLOAT, finished_at FLOAT,
    run_dir VARCHAR(500), timings JSON, usage JSON, pending_request JSON, claimed_success BOOLEAN,
    error VARCHAR(64), PRIMARY KEY (id)
)"""
OLD_EVENTS_TABLE = """
CREATE TABLE events (
    id INTEGER NOT NULL, task_id VARCHAR(32) NOT NULL, seq INTEGER NOT NULL, ts FLOAT NOT NULL,
    type VARCHAR(64) NOT NULL, step INTEGER, role VARCHAR(32), data JSON NOT NULL, PRIMARY KEY (id),
    CONSTRAINT uq_events_task_seq UNIQUE (task_id, seq),
    FOREIGN KEY(task_id) REFERENCES tasks (id) ON DELETE CASCADE
)"""


def test_an_old_database_is_migrated_at_startup(tmp_path: Path) -> None:
    """The task table as the API made it before structured answers: no output columns."""
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.execute(OLD_TASKS_TABLE)
    con.execute(OLD_EVENTS_TABLE)
    con.execute(
        "INSERT INTO tasks (id, instruction, status, max_steps, max_seconds, answer, steps, created_at, "
        "finished_at, usage, claimed_success) VALUES "
        "('0ld0ld0ld0ld0ld0', 'Open the clock', 'succeeded', 20, 300, 'done', 3, 1700000000, 1700000060, "
        "'{\"calls\": 7}', 1)"
    )
    con.execute(
        "INSERT INTO events (task_id, seq, ts, type, data) VALUES "
        "('0ld0ld0ld0ld0ld0', 1, 1700000060, 'task.finished', '{\"status\": \"succeeded\"}')"
    )
    con.commit()
    con.close()
    app = _plumbing_app(tmp_path, db_url=f"sqlite:///{db}")
    with LiveServer(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        old = c.get("/v1/tasks/0ld0ld0ld0ld0ld0")
        assert old.status_code == 200, old.text
        body = old.json()
        assert body["status"] == "succeeded" and body["answer"] == "done" and body["steps"] == 3
        assert body["usage"] == {"calls": 7} and body["output"] is None and body["output_schema"] is None
        assert c.get("/v1/tasks").json()["total"] == 1
        tid = c.post(
            "/v1/tasks", json={"instruction": "read it", "output_schema": {"type": "string"}}
        ).json()["id"]
        assert wait_status(c, tid, {"succeeded"})["output_schema"] == {"type": "string"}
    con = sqlite3.connect(db)
    columns = {row[1] for row in con.execute("PRAGMA table_info(tasks)")}
    con.close()
    assert {"output_schema", "output"} <= columns
    # a second start: nothing left to add
    with LiveServer(_plumbing_app(tmp_path, db_url=f"sqlite:///{db}")) as srv:
        assert httpx.get(f"{srv.url}/v1/tasks/{tid}").json()["output_schema"] == {"type": "string"}
