"""A finished task's run artifacts: GET /v1/tasks/{id}/result (result.json), .../report (report.html).

The same paths and answers on a single `serve` (read from the task's run directory) and on a
fleet replica (read from the store, `mobile_agent.fleet.routes`): `artifact_response` is shared.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations of the route functions.

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Response, status

from ..deps import AUTH, StoreDep
from ..store import TERMINAL, TaskRecord
from .common import TASK_ID, errors
from .tasks import get_record, get_runs_root

__all__ = ["REPORT_CSP", "REPORT_DOC", "RESULT_DOC", "artifact_response", "router"]

# The report is self-contained (inline styles, images as data: URLs): it may load nothing else.
REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

RESULT_DOC: dict[str, Any] = dict(
    summary="A finished task's result.json",
    description="The run's result in the schema of `result.json` (status, reason, error, steps, "
    "answer, output, timings, usage...). 409 until the task has ended, or when it ended "
    "without running (cancelled while queued).",
    responses={
        200: {"content": {"application/json": {"schema": {"type": "object"}}}},
        **errors(401, 403, 404, 409),
    },
)
REPORT_DOC: dict[str, Any] = dict(
    summary="A finished task's report.html",
    description="The run's self-contained HTML report (every step with its screenshots). "
    "409 until the task has ended, or when it ended without running.",
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        **errors(401, 403, 404, 409),
    },
)

MEDIA = {"result.json": "application/json", "report.html": "text/html; charset=utf-8"}

router = APIRouter(tags=["tasks"])


def artifact_response(rec: TaskRecord, name: str, data: bytes | None) -> Response:
    """The artifact, or a 409 that says why it is not there."""
    if data is None:  # the task exists (404 is for a task that does not): 409, saying why
        why = "it has not ended yet" if rec.status not in TERMINAL else "it ended without writing one"
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"task {rec.id} has no {name}: {why}")
    headers = {"Cache-Control": "no-cache"}
    if name == "report.html":
        headers["Content-Security-Policy"] = REPORT_CSP
    return Response(data, media_type=MEDIA[name], headers=headers)


def _read(runs_root: Path, rec: TaskRecord, name: str) -> bytes | None:
    base = (runs_root / (rec.run_dir or rec.id)).resolve()
    path = (base / name).resolve()
    if base == runs_root or not base.is_relative_to(runs_root) or not path.is_file():
        return None
    return path.read_bytes()


@router.get("/v1/tasks/{task_id}/result", dependencies=AUTH, response_class=Response, **RESULT_DOC)
async def result(
    task_id: TASK_ID, store: StoreDep, runs_root: Annotated[Path, Depends(get_runs_root)]
) -> Response:
    rec = await get_record(store, task_id)
    return artifact_response(rec, "result.json", _read(runs_root, rec, "result.json"))


@router.get("/v1/tasks/{task_id}/report", dependencies=AUTH, response_class=Response, **REPORT_DOC)
async def report(
    task_id: TASK_ID, store: StoreDep, runs_root: Annotated[Path, Depends(get_runs_root)]
) -> Response:
    rec = await get_record(store, task_id)
    return artifact_response(rec, "report.html", _read(runs_root, rec, "report.html"))
