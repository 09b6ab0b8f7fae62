"""POST /v1/tasks with an `output_schema` no JSON Schema check can take: too deep, NaN or
infinities, a lone surrogate. Each is a 422 that names the problem, nothing is queued, and the
task list keeps answering. Real uvicorn over real HTTP.

Before the fix: a schema ~150 levels deep raised RecursionError inside jsonschema (500 with a
traceback), and a lone surrogate in a property name was stored, after which GET /v1/tasks
answered 500 for every client (the task could not be serialized).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from api_harness import LiveServer
from api_scripted_runner import ScriptedRunner, fake_devices

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
