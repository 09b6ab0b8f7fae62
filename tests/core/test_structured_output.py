"""Structured answers: schemas checked before anything runs (ValueError / exit 2), answers read
tolerantly and validated, bounded retries, and the output through the CLI on the virtual phone."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from mobile_agent.agent import Agent
from mobile_agent.config import AgentConfig
from mobile_agent.output import OutputInvalid, OutputSchemaError, OutputSpec, read_json_value
from mobile_agent.testing import ScriptedResponder, StubChatServer

ALARM = {
    "type": "object",
    "properties": {
        "alarm": {
            "type": "object",
            "properties": {
                "time": {"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$"},
                "days": {"type": "array"},
            },
            "required": ["time"],
        }
    },
    "required": ["alarm"],
}
BAD_SCHEMAS = [
    ({"type": "objekt"}, "not a valid JSON Schema"),
    ({"properties": {"a": {"minLength": -1}}}, "properties/a/minLength"),
    ([{"type": "object"}], "must be a JSON object"),
    ({}, "empty"),
]


def single(action: dict[str, Any]) -> str:
    call = json.dumps({"name": "mobile_use", "arguments": action})
    return f"<thinking>x</thinking>\n<tool_call>\n{call}\n</tool_call>\n<conclusion>step</conclusion>"


@pytest.mark.parametrize(("schema", "said"), BAD_SCHEMAS)
def test_a_bad_schema_is_refused_with_what_is_wrong(schema: Any, said: str) -> None:
    with pytest.raises(OutputSchemaError, match=said):
        OutputSpec.of(schema)


@pytest.mark.parametrize(
    "text",
    [
        '{"alarm": {"time": "07:30"}}',
        '```json\n{"alarm": {"time": "07:30"}}\n```',
        'Here it is: {"alarm": {"time": "07:30"}} (from the Clock app)',
        "{'alarm': {'time': '07:30',},}",
    ],
)
def test_answers_are_read_tolerantly(text: str) -> None:
    assert OutputSpec.of(ALARM).validate(text) == {"alarm": {"time": "07:30"}}


def test_arrays_and_scalars_are_json_values_too() -> None:
    assert read_json_value("```\n[1, [2, 3]]\n```") == [1, [2, 3]]
    assert OutputSpec.of({"type": "integer"}).validate("42") == 42


def test_validation_errors_name_the_path() -> None:
    spec = OutputSpec.of(ALARM)
    with pytest.raises(OutputInvalid, match=r"at alarm\.time: '7:30' does not match"):
        spec.validate('{"alarm": {"time": "7:30"}}')
    with pytest.raises(OutputInvalid, match="no JSON value"):
        spec.validate("The alarm is at 07:30.")

    class Alarm(BaseModel):
        time: str

    class Card(BaseModel):
        alarm: Alarm

    with pytest.raises(OutputInvalid, match=r"at alarm\.time: Field required"):
        OutputSpec.of(Card).validate('{"alarm": {}}')
    assert OutputSpec.of(Card).validate('{"alarm": {"time": "07:30"}}') == Card(alarm=Alarm(time="07:30"))


async def test_agent_run_refuses_a_bad_schema_before_anything_runs(tmp_path: Path) -> None:
    agent = Agent("127.0.0.1:1", config=AgentConfig(runs_dir=tmp_path / "runs", retries=0))
    with pytest.raises(OutputSchemaError, match="not a valid JSON Schema"):
        await agent.run("What time is my alarm?", output={"type": "objekt"})
    assert not (tmp_path / "runs").exists()


async def _cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mobile_agent", "run", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})},
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), " ".join(err.decode().split())


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ('{"type": "objekt"}', "not a valid JSON Schema"),
        ("{not json", "is not JSON"),
        (None, "cannot read the output schema"),
    ],
)
async def test_cli_exits_2_on_a_bad_schema_file(tmp_path: Path, content: str | None, said: str) -> None:
    path = tmp_path / "schema.json"
    if content is not None:
        path.write_text(content)
    out_dir = tmp_path / "runs"
    # no phone and no model server: the schema is refused before either is looked for
    rc, _out, err = await _cli(
        "What time?", "--output-schema", str(path), "--out", str(out_dir), "--device", "x:1"
    )
    assert rc == 2, err
    assert "--output-schema" in err and said in err and "Traceback" not in err
    assert not out_dir.exists()


async def test_cli_prints_and_saves_the_validated_output(sim_phone: Any, tmp_path: Path) -> None:
    """Single mode, a nested object given inline in the answer's text; `output` in --json and
    result.json."""
    schema = tmp_path / "alarm.json"
    schema.write_text(json.dumps(ALARM))
    answers = [single({"action": "answer", "text": {"alarm": {"time": "07:30", "days": ["Mon"]}}})]
    with StubChatServer(ScriptedResponder({"single": answers})) as server:
        rc, out, err = await _cli(
            "What time is my alarm?", "--device", sim_phone.serial, "--base-url", server.base_url,
            "--model", "gui-owl-stub", "--mode", "single", "--out", str(tmp_path / "runs"),
            "--output-schema", str(schema), "--json",
            env={"MOBILE_AGENT_RETRIES": "0"},
        )  # fmt: skip
        told = server.requests[0].user_text
    assert rc == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["output"] == {"alarm": {"time": "07:30", "days": ["Mon"]}}
    assert json.loads((Path(result["run_dir"]) / "result.json").read_text())["output"] == result["output"]
    assert 'Output: {"alarm": {"time": "07:30", "days": ["Mon"]}}' in err
    assert "### Required answer format" in told and '"pattern"' in told


async def test_answers_that_never_match_fail_after_the_bounded_retries(
    sim_phone: Any, tmp_path: Path
) -> None:
    bad = single({"action": "answer", "text": "It is at half past seven."})
    config = AgentConfig(
        runs_dir=tmp_path / "runs", model="gui-owl-stub", retries=0, mode="single", output_retries=2
    )
    with StubChatServer(ScriptedResponder({"single": [bad] * 10})) as server:
        config = config.model_copy(update={"base_url": server.base_url})
        result = await Agent(sim_phone.serial, config=config).run("What time is my alarm?", output=ALARM)
        calls = len(server.requests)
    assert (result.status, result.error, result.output) == ("failed", "invalid_output", None)
    assert calls == 3 and "after 3 tries" in result.reason and "no JSON value" in result.reason
    assert json.loads((result.run_dir / "result.json").read_text())["output"] is None


async def test_finishing_without_the_structured_answer_is_a_failure(sim_phone: Any, tmp_path: Path) -> None:
    done = single({"action": "terminate", "status": "success"})
    with StubChatServer(ScriptedResponder({"single": [done]})) as server:
        config = AgentConfig(runs_dir=tmp_path / "runs", model="gui-owl-stub", retries=0, mode="single")
        config = config.model_copy(update={"base_url": server.base_url})
        result = await Agent(sim_phone.serial, config=config).run("What time is my alarm?", output=ALARM)
    assert (result.status, result.error) == ("failed", "no_output")
    assert "without the structured answer" in result.reason
