"""The agent's questions and approvals reach the person behind the MCP client by elicitation.

The real `mobile-agent mcp` process drives a virtual phone; the client is the SDK's own
`ClientSession`, with an `elicitation_callback` (which declares the capability) or without one.
Questions come from a scripted model on the stub chat server (it asks until a reply shows in its
prompt, then answers with that reply); approvals come from the benchmark's oracle sending a text
message, which the sensitive-action policy stops before the Send tap.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.client.session import ClientRequestContext
from mcp_support import SESSIONS, Progress, json_of, stdio_session, task_on
from mcp_types import ElicitRequestFormParams, ElicitRequestParams, ElicitResult

from mobile_agent.bench.oracle import OracleServer
from mobile_agent.testing import ChatRequest, StubChatServer

QUESTION = "What is the PIN?"
_REPLIES = re.compile(r"### Replies from the user\n((?:- .*\n?)+)")


def respond(req: ChatRequest) -> str:
    """Multi mode: the Worker asks QUESTION until the user's reply shows, then answers with it."""
    text = req.user_text
    if req.role == "manager":
        return (
            "### Thought\nthe user knows\n### Completed\nnothing\n### Plan\n1. Ask the user for the PIN\n"
            "### Current Subgoal\nAsk the user for the PIN\n### Status\nin_progress"
        )
    if req.role == "worker":
        if m := _REPLIES.search(text):
            reply = m.group(1).strip().splitlines()[-1].removeprefix("- ")
            action = {"action": "answer", "text": f"the user said: {reply}"}
        else:
            action = {"action": "ask", "text": QUESTION}
        return f"### Thought\nneed the PIN\n### Action\n{json.dumps(action)}\n### Description\nask the user"
    if req.role == "reflector":
        return "### Thought\nfine\n### Outcome\nA\n### Error\nNone"
    return "### Notes\n- nothing to note"


@pytest.fixture
def stub() -> Iterator[StubChatServer]:
    with StubChatServer(respond) as server:
        yield server


Answer = Callable[[ElicitRequestFormParams], Awaitable[ElicitResult]]


class Person:
    """An elicitation callback: records each (form) request and answers with `answer(params)`."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.asked: list[ElicitRequestFormParams] = []

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        assert isinstance(params, ElicitRequestFormParams), params
        self.asked.append(params)
        return await self.answer(params)


def says(**content: Any) -> Answer:
    async def answer(params: ElicitRequestFormParams) -> ElicitResult:
        return ElicitResult(action="accept", content=content)

    return answer


def _settings(stub: StubChatServer, tmp_path: Path, **more: str) -> dict[str, str]:
    return {"base_url": stub.base_url, "runs_dir": str(tmp_path), "mode": "multi", **more}


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_the_clients_answer_reaches_the_agent(
    phone: Any, stub: StubChatServer, tmp_path: Path, transport: str
) -> None:
    person = Person(says(reply="4321"))
    settings = _settings(stub, tmp_path)
    async with SESSIONS[transport](
        "--device", phone.serial, elicitation_callback=person, **settings
    ) as session:
        progress = Progress()
        body = json_of(
            await session.call_tool(
                "run_task", {"instruction": "Unlock the vault", "max_steps": 4}, progress_callback=progress
            )
        )
    assert body["status"] == "succeeded" and body["answer"] == "the user said: 4321", body
    assert len(person.asked) == 1
    asked = person.asked[0]
    assert QUESTION in asked.message and body["task_id"] in asked.message
    assert set(asked.requested_schema["properties"]) == {"reply"}
    messages = [m for _, _, m in progress.seen]
    assert any(f"asking the user a question: {QUESTION}" in m for m in messages), messages
    assert any(m.endswith("the user answered") for m in messages), messages
    assert messages[-2] == f"[task {body['task_id']}] answer: the user said: 4321", messages


async def test_a_declined_question_and_a_client_that_cannot_be_asked(
    phone: Any, stub: StubChatServer, tmp_path: Path
) -> None:
    async def decline(params: ElicitRequestFormParams) -> ElicitResult:
        return ElicitResult(action="decline")

    person = Person(decline)
    run = {"instruction": "Unlock the vault", "max_steps": 4}
    async with stdio_session(
        "--device", phone.serial, elicitation_callback=person, **_settings(stub, tmp_path)
    ) as s:
        declined = json_of(await s.call_tool("run_task", run))
        # wait=false: no call is in flight when the agent asks, so the client is never asked
        started = json_of(await s.call_tool("run_task", {**run, "wait": False}))
        background = await _until_done(s, started["task_id"])
    assert len(person.asked) == 1, "only the waiting call asked"
    assert declined["answer"] == "the user said: (the user declined the question; carry on without it)"
    assert background["answer"].startswith(
        "the user said: (nobody can answer: run_task was called with wait=false"
    )

    async with stdio_session(
        "--device", phone.serial, **_settings(stub, tmp_path)
    ) as session:  # no capability
        progress = Progress()
        body = json_of(await session.call_tool("run_task", run, progress_callback=progress))
    assert body["status"] == "succeeded", body
    assert "nobody can answer: the MCP client does not support elicitation" in body["answer"], body
    assert any("no answer: (nobody can answer" in m for _, _, m in progress.seen)

    # the stateless 2026-07-28 protocol has no server-to-client request inside a call
    settings = _settings(stub, tmp_path)
    async with stdio_session(
        "--device", phone.serial, elicitation_callback=person, discover=True, **settings
    ) as session:
        body = json_of(await session.call_tool("run_task", run))
    assert "cannot carry a request from the server in the middle of a tool call" in body["answer"], body
    assert len(person.asked) == 1


async def _until_done(session: Any, task_id: str) -> dict[str, Any]:
    for _ in range(300):
        status = json_of(await session.call_tool("task_status", {"task_id": task_id}))
        if status["status"] not in ("running", "cancelling"):
            return dict(status)
        await asyncio.sleep(0.1)
    raise AssertionError(f"task {task_id} did not end: {status}")


async def test_a_client_that_never_answers_is_bounded_by_the_human_timeout_or_a_cancel(
    phone: Any, stub: StubChatServer, tmp_path: Path
) -> None:
    asked, gone = asyncio.Event(), asyncio.Event()

    async def never(params: ElicitRequestFormParams) -> ElicitResult:
        asked.set()
        try:
            await asyncio.sleep(3600)
        finally:
            gone.set()
        raise AssertionError("unreachable")

    person = Person(never)
    run = {"instruction": "Unlock the vault", "max_steps": 4}
    settings = _settings(stub, tmp_path, human_timeout_s="3")
    async with stdio_session("--device", phone.serial, elicitation_callback=person, **settings) as session:
        body = json_of(await session.call_tool("run_task", run))
        await asyncio.wait_for(gone.wait(), 10)  # the server withdrew its request
        assert body["status"] == "failed" and body["error"] == "human_timeout", body
        assert "nobody answered within 3 s" in body["reason"]

        asked.clear()
        gone.clear()
        progress = Progress()
        running = asyncio.create_task(session.call_tool("run_task", run, progress_callback=progress))
        await asyncio.wait_for(asked.wait(), 30)
        task_id = progress.seen[0][2].split("]", 1)[0].removeprefix("[task ")
        await session.call_tool("cancel_task", {"task_id": task_id})
        cancelled = json_of(await asyncio.wait_for(running, 30))
        await asyncio.wait_for(gone.wait(), 10)
    assert cancelled["status"] == "cancelled", cancelled  # not failed: ended before the human timeout
    assert len(person.asked) == 2


@pytest.fixture
def oracle() -> Iterator[OracleServer]:
    with OracleServer() as server:
        yield server


async def test_a_refused_approval_is_not_executed_and_an_allowed_one_is(
    phone: Any, oracle: OracleServer, tmp_path: Path
) -> None:
    task, adb = await task_on(phone, "messages_send_text")
    model = oracle.oracle.register(task, phone.serial, adb)
    verdicts = [
        ElicitResult(action="decline"),
        ElicitResult(action="cancel"),
        ElicitResult(action="accept", content={"approve": False, "note": "not yet"}),
        # not the JSON boolean the form asks for: lax pydantic read these as true and sent
        ElicitResult(action="accept", content={"approve": "yes"}),
        ElicitResult(action="accept", content={"approve": 1, "extra": "field"}),
        ElicitResult(action="accept", content={"approve": True}),
    ]
    sent_before: list[float] = []

    async def judge(params: ElicitRequestFormParams) -> ElicitResult:
        sent_before.append(await task.is_successful(adb))
        return verdicts[len(sent_before) - 1]

    person = Person(judge)
    settings = {"base_url": oracle.base_url, "model": model, "runs_dir": str(tmp_path), "policy": "allow"}
    async with stdio_session("--device", phone.serial, elicitation_callback=person, **settings) as session:
        progress = Progress()
        body = json_of(
            await session.call_tool(
                "run_task", {"instruction": task.goal, "max_steps": 20}, progress_callback=progress
            )
        )
    assert sent_before == [0.0] * 6, "a refused send left the phone as it was"
    assert body["status"] == "succeeded", body
    assert await task.is_successful(adb) == 1.0, "the allowed send happened"
    for params in person.asked:
        assert set(params.requested_schema["properties"]) == {"approve", "note"}
        assert params.requested_schema["required"] == ["approve"]
        assert "sensitive step" in params.message and "send" in params.message.lower(), params.message
    messages = [m for _, _, m in progress.seen]
    assert sum("the step was not allowed" in m for m in messages) == 5, messages
    assert sum("does not match the requested schema" in m for m in messages) == 2, messages
    assert any("the step was not allowed not yet" in m for m in messages)
    assert any("the user allowed the step" in m for m in messages)
