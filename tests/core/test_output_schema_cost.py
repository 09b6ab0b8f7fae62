"""Output schemas whose evaluation work explodes: refused quickly at submission, or (when the blow-up
depends on the answer) the answer is refused naming the limit and the model gets its retry.

Before the fix: a `$defs` chain whose every level is `allOf` of two `$ref`s to the next doubled
the work per level; 14 levels (~1 KB) took 0.8 s to submit and 1.9 s per answer, 30 levels (~2 KB)
would take hours, holding the GIL (the API's event loop, the CLI) at submission and at every answer.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from mobile_agent.agent import Agent
from mobile_agent.config import AgentConfig
from mobile_agent.output import OutputInvalid, OutputSchemaError, OutputSpec
from mobile_agent.testing import ScriptedResponder, StubChatServer

FAST_S = 5  # generous: the stalls these guard against take hours


def chain(levels: int, combine: str = "allOf", top: str = "ref") -> dict[str, Any]:
    """`$defs` l0..lN, each level `combine` of two `$ref`s to the next: 2**N paths to the leaf."""
    defs: dict[str, Any] = {
        f"l{i}": {combine: [{"$ref": f"#/$defs/l{i + 1}"}, {"$ref": f"#/$defs/l{i + 1}"}]}
        for i in range(levels)
    }
    defs[f"l{levels}"] = {"type": "string"}
    if top == "ref":
        return {"$defs": defs, "$ref": "#/$defs/l0"}
    # behind a property: no submission probe reaches it, only an answer with "x" does
    return {"$defs": defs, "type": "object", "properties": {"x": {"$ref": "#/$defs/l0"}}}


def branching_tree() -> dict[str, Any]:
    """A recursive schema that reads each level of the answer twice: cheap to submit, 2**depth to
    check an answer nested `depth` deep."""
    twice = [{"properties": {"a": {"$ref": "#/$defs/n"}}}, {"properties": {"a": {"$ref": "#/$defs/n"}}}]
    return {"$defs": {"n": {"type": "object", "allOf": twice}}, "$ref": "#/$defs/n"}


def nested(depth: int) -> str:
    return '{"a": ' * depth + "{}" + "}" * depth


@pytest.mark.parametrize(
    "schema",
    [
        chain(30),
        chain(60),
        chain(30, "anyOf"),
        chain(30, "oneOf"),
        chain(30, top="property"),
        {"$defs": chain(40)["$defs"], "unevaluatedProperties": False, "$ref": "#/$defs/l0"},
        {  # $ref and $dynamicRef side by side: jsonschema's unevaluatedItems walk follows both
            "$defs": {
                **{f"l{i}": {"$ref": f"#/$defs/l{i + 1}", "$dynamicRef": f"#/$defs/l{i + 1}"} for i in range(40)},
                "l40": {},
            },
            "unevaluatedItems": False,
            "$ref": "#/$defs/l0",
        },
    ],
    ids=["allOf-30", "allOf-60", "anyOf-30", "oneOf-30", "behind-a-property", "unevaluatedProperties", "dynamicRef"],
)  # fmt: skip
def test_an_exponential_ref_chain_is_refused_quickly(schema: dict[str, Any]) -> None:
    assert len(json.dumps(schema)) < 5000  # small: far under the 20,000-character limit
    started = time.monotonic()
    with pytest.raises(OutputSchemaError, match="too costly to evaluate"):
        OutputSpec.of(schema)
    assert time.monotonic() - started < FAST_S


def test_an_answer_that_makes_the_check_explode_is_refused_naming_the_limit() -> None:
    spec = OutputSpec.of(branching_tree())  # cheap on its own: taken
    assert spec.validate(nested(5)) == json.loads(nested(5))
    started = time.monotonic()
    with pytest.raises(
        OutputInvalid, match=r"could not be checked.*more than 200,000 steps.*limit for one answer"
    ):
        spec.validate(nested(40))  # 2**40 before the fix
    assert time.monotonic() - started < FAST_S


def test_schemas_with_refs_still_work() -> None:
    tree = {
        "$defs": {"node": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
        "$ref": "#/$defs/node",
    }  # fmt: skip
    deep = {"kids": [{"kids": [{"kids": []}] * 20}] * 20}
    assert OutputSpec.of(tree).validate(json.dumps(deep)) == deep
    grammar = {  # mutually recursive definitions, each used many times: one cycle, counted once
        "$defs": {
            "expr": {"anyOf": [{"type": "number"}, {"$ref": "#/$defs/call"}, {"$ref": "#/$defs/block"}]},
            "call": {"type": "object", "properties": {"fn": {"type": "string"}, "args": {"type": "array", "items": {"$ref": "#/$defs/expr"}}}, "required": ["fn"]},
            "block": {"type": "array", "items": {"anyOf": [{"$ref": "#/$defs/expr"}, {"$ref": "#/$defs/call"}, {"$ref": "#/$defs/block"}]}},
        },
        "$ref": "#/$defs/expr",
    }  # fmt: skip
    program = {"fn": "f", "args": [1, [2, {"fn": "g", "args": [[3, 4], 5]}], {"fn": "h"}]}
    assert OutputSpec.of(grammar).validate(json.dumps(program)) == program
    with pytest.raises(OutputInvalid):
        OutputSpec.of(grammar).validate('{"args": []}')
    money = {
        "type": "object",
        "properties": {"amount": {"type": "number"}, "currency": {"enum": ["EUR", "USD"]}},
    }
    reused = {  # one definition referred to from 40 places, and a chain that branches a few times
        "$defs": {"money": money, **chain(6)["$defs"]},
        "type": "object",
        "properties": {
            **{f"p{i}": {"$ref": "#/$defs/money"} for i in range(40)},
            "code": {"$ref": "#/$defs/l0"},
        },
    }
    answer = {**{f"p{i}": {"amount": i, "currency": "EUR"} for i in range(40)}, "code": "x"}
    assert OutputSpec.of(reused).validate(json.dumps(answer)) == answer


class Phone(BaseModel):
    digits: str
    label: str


class Contact(BaseModel):
    name: str
    phones: list[Phone]
    friends: list[Contact] = []


def test_a_big_answer_to_a_plain_schema_is_within_the_limit() -> None:
    """1,000 rows of a nested model, as a JSON Schema with $refs (a Pydantic model's own): well
    within the step budget."""
    rows = [
        {"name": f"n{i}", "phones": [{"digits": "555", "label": "home"}] * 3, "friends": [{"name": "f", "phones": []}]}
        for i in range(1000)
    ]  # fmt: skip
    schema = Contact.model_json_schema()
    spec = OutputSpec.of({"$defs": schema.pop("$defs"), "type": "array", "items": schema})
    assert spec.validate(json.dumps(rows)) == rows
    assert OutputSpec.of(Contact).validate(json.dumps(rows[0])) == Contact.model_validate(rows[0])


async def test_the_cli_refuses_a_costly_schema_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(chain(30)))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mobile_agent", "run", "Read it", "--output-schema", str(path),
        "--out", str(tmp_path / "runs"), "--device", "x:1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )  # fmt: skip
    _out, err = await asyncio.wait_for(proc.communicate(), 120)
    said = " ".join(err.decode().split())
    assert proc.returncode == 2, said
    assert "too costly to evaluate" in said and "Traceback" not in said
    assert not (tmp_path / "runs").exists()


def _single(action: dict[str, Any]) -> str:
    call = json.dumps({"name": "mobile_use", "arguments": action})
    return f"<thinking>x</thinking>\n<tool_call>\n{call}\n</tool_call>\n<conclusion>step</conclusion>"


async def test_a_costly_answer_gets_a_retry_and_the_loop_keeps_running(
    sim_phone: Any, tmp_path: Path
) -> None:
    costly = _single({"action": "answer", "text": nested(40)})
    good = _single({"action": "answer", "text": nested(2)})
    gaps: list[float] = []

    async def tick() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    with StubChatServer(ScriptedResponder({"single": [costly, good]})) as server:
        config = AgentConfig(
            runs_dir=tmp_path / "runs",
            model="gui-owl-stub",
            retries=0,
            mode="single",
            base_url=server.base_url,
        )
        result = await asyncio.wait_for(
            Agent(sim_phone.serial, config=config).run("What is the tree?", output=branching_tree()), 120
        )
        told = server.requests[-1].user_text
    ticker.cancel()
    assert (result.status, result.error, result.output) == ("succeeded", None, json.loads(nested(2))), (
        result.reason
    )
    assert "could not be checked" in told and "limit for one answer" in told
    assert max(gaps) < FAST_S, f"the event loop stalled for {max(gaps):.1f} s"
