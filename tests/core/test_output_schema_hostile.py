"""Structured answers against hostile schemas and answers: a schema never makes us fetch anything
(a `$ref` to a URL is refused before the run, checked with a real HTTP server that counts its
requests), `$ref` loops and dangling `$ref`s are refused up front, and an answer nested too deeply
to read is an invalid answer the model gets to retry, not an internal error."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mobile_agent.agent import Agent
from mobile_agent.config import AgentConfig
from mobile_agent.output import OutputInvalid, OutputSchemaError, OutputSpec
from mobile_agent.testing import ScriptedResponder, StubChatServer


@contextlib.contextmanager
def schema_host() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server that would serve a schema; yields its URL and the paths requested."""
    requested: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.append(self.path)
            body = b'{"type": "string"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/schema.json", requested
    finally:
        server.shutdown()
        server.server_close()


def _remote(url: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"name": {"$ref": url}}, "required": ["name"]}


def test_a_ref_to_a_url_is_refused_and_never_fetched() -> None:
    with schema_host() as (url, requested):
        for schema in (
            _remote(url),
            {"$ref": url},
            {"$id": url, "properties": {"a": {"$ref": "other.json"}}},
        ):
            with pytest.raises(OutputSchemaError, match="self-contained"):
                spec = OutputSpec.of(schema)
                spec.validate('{"name": 1}')  # before the fix: validating fetched the URL
    assert requested == []


async def test_the_cli_refuses_a_remote_ref_before_anything_runs(tmp_path: Path) -> None:
    with schema_host() as (url, requested):
        path = tmp_path / "schema.json"
        path.write_text(json.dumps(_remote(url)))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mobile_agent", "run", "Who is first?", "--output-schema", str(path),
            "--out", str(tmp_path / "runs"), "--device", "x:1",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        )  # fmt: skip
        _out, err = await asyncio.wait_for(proc.communicate(), 120)
    said = " ".join(err.decode().split())
    assert proc.returncode == 2, said
    assert "self-contained" in said and "Traceback" not in said
    assert requested == [] and not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("schema", "said"),
    [
        ({"$ref": "#"}, "without end"),
        ({"anyOf": [{"type": "string"}, {"$ref": "#"}]}, "without end"),
        ({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}, "leads nowhere"),
    ],
)
def test_ref_loops_and_dangling_refs_are_refused_up_front(schema: dict[str, Any], said: str) -> None:
    with pytest.raises(OutputSchemaError, match=said):
        OutputSpec.of(schema)


def test_recursive_schemas_and_refs_in_data_still_work() -> None:
    tree = {
        "$defs": {"node": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
        "$ref": "#/$defs/node",
    }  # fmt: skip
    assert OutputSpec.of(tree).validate('{"kids": [{"kids": []}]}') == {"kids": [{"kids": []}]}
    link = {"const": {"$ref": "http://example.com/x"}}  # a value, not a reference: nothing to fetch
    assert OutputSpec.of(link).validate('{"$ref": "http://example.com/x"}') == {
        "$ref": "http://example.com/x"
    }


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, 'It is {"a": ' * 3000 + "1" + "}" * 3000])
def test_an_answer_nested_too_deeply_is_an_invalid_answer(text: str) -> None:
    with pytest.raises(OutputInvalid):
        OutputSpec.of({"type": ["array", "object"]}).validate(text)


def _single(action: dict[str, Any]) -> str:
    call = json.dumps({"name": "mobile_use", "arguments": action})
    return f"<thinking>x</thinking>\n<tool_call>\n{call}\n</tool_call>\n<conclusion>step</conclusion>"


async def test_a_too_deep_answer_gets_a_retry_not_an_internal_error(sim_phone: Any, tmp_path: Path) -> None:
    deep = _single({"action": "answer", "text": "[" * 5000 + "]" * 5000})
    good = _single({"action": "answer", "text": '["Ada", "Grace"]'})
    with StubChatServer(ScriptedResponder({"single": [deep, good]})) as server:
        config = AgentConfig(
            runs_dir=tmp_path / "runs",
            model="gui-owl-stub",
            retries=0,
            mode="single",
            base_url=server.base_url,
        )
        result = await Agent(sim_phone.serial, config=config).run(
            "Who are my first two contacts?", output={"type": "array", "items": {"type": "string"}}
        )
        told = server.requests[-1].user_text
    assert (result.status, result.error, result.output) == ("succeeded", None, ["Ada", "Grace"]), (
        result.reason
    )
    assert "nested too deeply" in told


# `^(a|aa)+$` against sixty a's and a "!": Python's `re` backtracks ~fib(60) ways (hours, holding
# the GIL); before the fix each of these stalled the process. `^(a+)+$` is as bad for `re`.
_STALL = "a" * 60 + "!"
_SLOW = "^(a|aa)+$"


@pytest.mark.parametrize(
    ("schema", "answer"),
    [
        ({"type": "string", "pattern": _SLOW}, json.dumps(_STALL)),
        ({"type": "array", "items": {"type": "string", "pattern": _SLOW}}, json.dumps([_STALL] * 50)),
        ({"type": "object", "patternProperties": {_SLOW: {"type": "integer"}}}, json.dumps({_STALL: 1})),
        (
            {"type": "object", "properties": {"b": {}}, "patternProperties": {_SLOW: {}}, "additionalProperties": False},
            json.dumps({_STALL: 1}),
        ),
        (
            {"allOf": [{"properties": {"b": {}}}], "patternProperties": {_SLOW: {}}, "unevaluatedProperties": False},
            json.dumps({_STALL: 1}),
        ),
    ],
)  # fmt: skip
def test_a_catastrophic_pattern_is_cut_off_and_named(schema: dict[str, Any], answer: str) -> None:
    spec = OutputSpec.of(schema)
    started = time.monotonic()
    with pytest.raises(OutputInvalid, match=r"pattern '\^\(a\|aa\)\+\$' took too long") as caught:
        spec.validate(answer)
    assert time.monotonic() - started < 5, "validation must be bounded (PATTERN_BUDGET_S for all of it)"
    assert "limited to 1 s" in str(caught.value)


def test_a_nested_quantifier_pattern_still_answers_right_and_fast() -> None:
    spec = OutputSpec.of({"type": "string", "pattern": "^(a+)+$"})
    started = time.monotonic()
    with pytest.raises(OutputInvalid, match="does not match"):
        spec.validate(json.dumps("a" * 40 + "!"))  # `re`: 2**40 ways
    assert spec.validate(json.dumps("a" * 40)) == "a" * 40
    assert time.monotonic() - started < 5


def test_pattern_keywords_keep_their_meaning() -> None:
    """The bounded keywords decide as jsonschema's own do."""
    keys = {
        "type": "object",
        "properties": {"id": {"type": "integer"}},
        "patternProperties": {"^x-": {"type": "string"}},
        "additionalProperties": False,
    }
    spec = OutputSpec.of(keys)
    assert spec.validate('{"id": 1, "x-a": "b"}') == {"id": 1, "x-a": "b"}
    with pytest.raises(OutputInvalid, match="'y' does not match any of the regexes: '\\^x-'"):
        spec.validate('{"id": 1, "y": "b"}')
    with pytest.raises(OutputInvalid, match="at x-a: 2 is not of type 'string'"):
        spec.validate('{"x-a": 2}')
    unevaluated = {
        "type": "object",
        "allOf": [{"properties": {"id": {}}}, {"patternProperties": {"^x-": {}}}],
        "anyOf": [{"properties": {"b": {"type": "string"}}}, {"required": ["never"]}],
        "unevaluatedProperties": False,
    }
    spec = OutputSpec.of(unevaluated)
    assert spec.validate('{"id": 1, "x-q": 2, "b": "s"}') == {"id": 1, "x-q": 2, "b": "s"}
    with pytest.raises(OutputInvalid, match=r"Unevaluated properties are not allowed \('z' was unexpected\)"):
        spec.validate('{"id": 1, "z": 2}')
    with pytest.raises(OutputInvalid, match="'ab' does not match '\\^a\\$'"):
        OutputSpec.of({"pattern": "^a$"}).validate('"ab"')


def test_patterns_that_cannot_run_bounded_are_refused_up_front() -> None:
    with pytest.raises(OutputSchemaError, match="not a valid JSON Schema at pattern"):
        OutputSpec.of({"type": "string", "pattern": "(a"})
    with pytest.raises(OutputSchemaError, match="not a valid JSON Schema"):
        OutputSpec.of({"type": "object", "patternProperties": {"(a": {}}})
    draft_2019 = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "patternProperties": {"^x": {}},
        "unevaluatedProperties": False,
    }
    with pytest.raises(OutputSchemaError, match="needs draft 2020-12"):
        OutputSpec.of(draft_2019)


async def test_a_stalling_answer_gets_a_retry_and_the_loop_keeps_running(
    sim_phone: Any, tmp_path: Path
) -> None:
    stall = _single({"action": "answer", "text": json.dumps({"code": _STALL})})
    good = _single({"action": "answer", "text": '{"code": "aaaa"}'})
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "pattern": _SLOW}},
        "required": ["code"],
    }
    gaps: list[float] = []

    async def tick() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    with StubChatServer(ScriptedResponder({"single": [stall, good]})) as server:
        config = AgentConfig(
            runs_dir=tmp_path / "runs",
            model="gui-owl-stub",
            retries=0,
            mode="single",
            base_url=server.base_url,
        )
        result = await asyncio.wait_for(
            Agent(sim_phone.serial, config=config).run("What is the code?", output=schema), 120
        )
        told = server.requests[-1].user_text
    ticker.cancel()
    assert (result.status, result.error, result.output) == ("succeeded", None, {"code": "aaaa"}), (
        result.reason
    )
    assert "took too long" in told and _SLOW in told
    assert max(gaps) < 5, f"the event loop stalled for {max(gaps):.1f} s"
