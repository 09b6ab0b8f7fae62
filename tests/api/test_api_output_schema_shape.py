"""POST /v1/tasks with an `output_schema` no JSON Schema check can take: too deep, NaN or
infinities, a lone surrogate. Each is a 422 that names the problem, nothing is queued, and the
task list keeps answering. Real uvicorn over real HTTP.

Before the fix: a schema ~150 levels deep raised RecursionError inside jsonschema (500 with a
traceback), and a lone surrogate in a property name was stored, after which GET /v1/tasks
answered 500 for every client (the task could not be serialized); a ~2 KB `$defs` chain whose
levels each refer to the next twice took hours to check, the server's event loop stalled meanwhile.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import LiveServer
from api_scripted_runner import ScriptedRunner, fake_devices
from api_serve_proc import ServeProcess, serve_env

from mobile_agent.api import create_app
from mobile_agent.api.settings import ApiSettings

JSON = {"Content-Type": "application/json"}


def _nested(levels: int) -> str:
    return '{"items":' * levels + '{"type": "string"}' + "}" * levels


@pytest.mark.parametrize(
    ("schema", "said"),
    [
        (_nested(150), "nested more than 64 levels"),
        (_nested(400), "nested more than 64 levels"),
        ('{"type": "number", "maximum": NaN}', "not a JSON number"),
        ('{"enum": [1, Infinity]}', "not a JSON number"),
        ('{"type": "object", "properties": {"\\ud800": {"type": "string"}}}', "lone surrogate"),
        ('{"type": "string", "description": "a \\udfff b"}', "lone surrogate"),
    ],
    ids=["deep-150", "deep-400", "nan", "infinity", "surrogate-key", "surrogate-value"],
)
def test_unusable_schema_is_a_422_and_the_list_still_answers(tmp_path: Path, schema: str, said: str) -> None:
    settings = ApiSettings(runs_dir=tmp_path / "runs", device_refresh_s=60)
    app = create_app(settings, runner=ScriptedRunner(steps=1, step_s=0.01), device_lister=fake_devices(["d"]))
    with LiveServer(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        body = b'{"instruction": "read it", "output_schema": ' + schema.encode() + b"}"
        r = c.post("/v1/tasks", content=body, headers=JSON)
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert detail[0]["loc"] == ["body", "output_schema"] and said in detail[0]["msg"], detail
        listing = c.get("/v1/tasks")
        assert listing.status_code == 200 and listing.json()["total"] == 0, listing.text
        # a deep-enough but usable schema is still taken
        usable = b'{"instruction": "x", "output_schema": ' + _nested(60).encode() + b"}"
        ok = c.post("/v1/tasks", content=usable, headers=JSON)
        assert ok.status_code == 201, ok.text


def _chain(levels: int) -> dict[str, Any]:
    """`$defs` l0..lN, each `allOf` of two `$ref`s to the next: 2**N paths to the leaf."""
    defs: dict[str, Any] = {
        f"l{i}": {"allOf": [{"$ref": f"#/$defs/l{i + 1}"}, {"$ref": f"#/$defs/l{i + 1}"}]}
        for i in range(levels)
    }
    return {"$defs": {**defs, f"l{levels}": {"type": "string"}}, "$ref": "#/$defs/l0"}


def test_a_costly_ref_chain_is_a_quick_422_and_serve_stays_responsive(tmp_path: Path) -> None:
    """Real `mobile-agent serve`: three ~2 KB schemas that would each take hours to check (before
    the fix: the event loop stalled, every request waited) are refused at once while the task list
    keeps answering; a schema with reused and recursive $refs is still taken."""
    answers: list[httpx.Response] = []
    with ServeProcess(["--port", "0", "--no-access-log"], serve_env(tmp_path)) as proc:
        url = proc.wait_url()
        with httpx.Client(base_url=url, timeout=60) as c:

            def post(levels: int) -> None:
                answers.append(
                    c.post("/v1/tasks", json={"instruction": "x", "output_schema": _chain(levels)})
                )

            started = time.monotonic()
            posts = [threading.Thread(target=post, args=(n,)) for n in (30, 31, 32)]
            for thread in posts:
                thread.start()
            slowest = 0.0
            while any(thread.is_alive() for thread in posts) and time.monotonic() - started < 60:
                asked = time.monotonic()
                assert c.get("/v1/tasks").status_code == 200
                slowest = max(slowest, time.monotonic() - asked)
            for thread in posts:
                thread.join(60)
            took = time.monotonic() - started
            assert len(answers) == 3 and took < 10, f"{len(answers)} answers in {took:.1f} s"
            assert slowest < 5, f"GET /v1/tasks waited {slowest:.1f} s"
            for r in answers:
                assert r.status_code == 422, r.text
                detail = r.json()["detail"][0]
                assert (
                    detail["loc"] == ["body", "output_schema"] and "too costly to evaluate" in detail["msg"]
                )
            assert c.get("/v1/tasks").json()["total"] == 0
            usable = {
                "$defs": {
                    "money": {"type": "object", "properties": {"amount": {"type": "number"}}},
                    "node": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}},
                    **_chain(6)["$defs"],
                },
                "type": "object",
                "properties": {
                    "a": {"$ref": "#/$defs/money"}, "b": {"$ref": "#/$defs/money"},
                    "tree": {"$ref": "#/$defs/node"}, "code": {"$ref": "#/$defs/l0"},
                },
            }  # fmt: skip
            ok = c.post("/v1/tasks", json={"instruction": "x", "output_schema": usable})
            assert ok.status_code == 201, ok.text
            assert c.get(f"/v1/tasks/{ok.json()['id']}").json()["output_schema"] == usable
