"""Structured answers end to end: the benchmark oracle finds a contact's number on the virtual
phone (real ADB) and answers it as nested JSON; the agent was told the schema, validates the
answer, sends an invalid one back with the validation errors, and returns the typed object in
`RunResult.output` and result.json. The model is a real OpenAI-compatible HTTP server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from mobile_agent.agent import Agent
from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.oracle import Oracle
from mobile_agent.bench.tasks import get_task
from mobile_agent.config import AgentConfig
from mobile_agent.roles.parsing import parse_worker
from mobile_agent.testing import StubChatServer


class Phone(BaseModel):
    digits: str = Field(pattern=r"^[0-9]{10}$")
    label: Literal["mobile", "home", "work"]


class Contact(BaseModel):
    name: str
    phone: Phone


class ContactCard(BaseModel):
    contact: Contact
    source: str


class StructuredOracle:
    """The oracle for every role; its Worker's plain answer is rewritten as a `ContactCard` in a
    code fence. With `bad_first`, the first card lacks the phone's label (invalid)."""

    def __init__(self, oracle: Oracle, name: str, *, bad_first: bool) -> None:
        self.oracle = oracle
        self.name = name
        self.bad_first = bad_first
        self.answers: list[Any] = []  # the worker requests that got an answer

    async def __call__(self, request: Any) -> str:
        text = await self.oracle.respond(request)
        if request.role != "worker":
            return text
        parsed = parse_worker(text)
        if not parsed.ok or parsed.action.to_json()["action"] != "answer":  # type: ignore[union-attr]
            return text
        digits = "".join(ch for ch in parsed.action.text if ch.isdigit())  # type: ignore[union-attr]
        self.answers.append(request)
        phone: dict[str, str] = {"digits": digits}
        if not (self.bad_first and len(self.answers) == 1):
            phone["label"] = "mobile"
        card = {"contact": {"name": self.name, "phone": phone}, "source": "Contacts app"}
        action = {"action": "answer", "text": f"```json\n{json.dumps(card)}\n```"}
        return f"### Thought\nThe number is on screen.\n### Action\n{json.dumps(action)}\n### Description\nanswer"


async def _run_contact_task(sim_phone: Any, tmp_path: Path, *, bad_first: bool) -> tuple[Any, Any, Any]:
    serial = sim_phone.serial
    adb = AdbShell(serial)
    task = get_task("info_contact_phone").from_seed(3)
    await task.initialize(adb)
    oracle = Oracle()
    responder = StructuredOracle(oracle, task.params["name"], bad_first=bad_first)
    with StubChatServer(responder) as server:
        token = oracle.register(task, serial, adb)
        config = AgentConfig(runs_dir=tmp_path / "runs", base_url=server.base_url, model=token, retries=0)
        result = await Agent(serial, config=config).run(task.goal, max_steps=15, output=ContactCard)
    verified = await task.is_successful(adb, answer=result.answer)
    return result, responder, (task, verified)


async def test_a_nested_structured_answer_through_the_oracle(sim_phone: Any, tmp_path: Path) -> None:
    result, responder, (task, verified) = await _run_contact_task(sim_phone, tmp_path, bad_first=False)
    assert result.status == "succeeded", result.reason
    assert isinstance(result.output, ContactCard)  # the model class given comes back
    assert result.output.contact.phone.digits == task.params["number"]
    assert result.output.contact.name == task.params["name"]
    assert verified == 1.0  # the benchmark's own check of the answer, read from the phone
    told = responder.answers[0].user_text
    assert "### Required answer format" in told and '"ContactCard"' in told and '"$defs"' in told
    saved = json.loads((result.run_dir / "result.json").read_text())
    assert saved["output"] == result.output.model_dump(mode="json")
    assert saved["output"]["contact"]["phone"] == {"digits": task.params["number"], "label": "mobile"}


async def test_an_invalid_answer_is_sent_back_with_the_errors(sim_phone: Any, tmp_path: Path) -> None:
    result, responder, (task, verified) = await _run_contact_task(sim_phone, tmp_path, bad_first=True)
    assert result.status == "succeeded", result.reason
    assert verified == 1.0 and result.output.contact.phone.digits == task.params["number"]
    assert isinstance(result.output, ContactCard) and result.output.contact.phone.label == "mobile"
    assert len(responder.answers) == 2  # one refused, one accepted
    retry = responder.answers[1].user_text
    assert "does not match the required JSON Schema" in retry and "contact.phone.label" in retry
    events = [json.loads(line) for line in (result.run_dir / "events.jsonl").read_text().splitlines()]
    refused = [
        e["data"] for e in events if e["type"] == "role.parse_error" and e["data"].get("kind") == "output"
    ]
    assert len(refused) == 1 and "contact.phone.label" in refused[0]["reason"]
    finished = events[-1]
    assert (
        finished["type"] == "task.finished"
        and finished["data"]["output"]["contact"]["phone"]["label"] == "mobile"
    )
