"""The fleet's own answers: every phone of every host, screenshots and run artifacts from the
store, health.

Registered before the task API's routers, so these paths answer from here on a replica.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations of the route functions.

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from mobile_agent.api.deps import AUTH, StoreDep
from mobile_agent.api.routes.artifacts import REPORT_DOC, RESULT_DOC, artifact_response
from mobile_agent.api.routes.common import TASK_ID, errors
from mobile_agent.api.routes.tasks import get_record

from .leases import FleetStore

__all__ = ["FleetDeviceView", "router"]

router = APIRouter(tags=["fleet"])


class FleetDeviceView(BaseModel):
    serial: str
    host: str
    state: Literal["available", "leased", "offline"]
    leased_by: str | None = None
    error: str | None = None


def _fleet(request: Request) -> FleetStore:
    return request.app.state.fleet  # type: ignore[no-any-return]


@router.get(
    "/v1/devices", response_model=list[FleetDeviceView], dependencies=AUTH, responses=errors(401, 503)
)
async def devices(request: Request, store: StoreDep) -> list[FleetDeviceView]:
    """Every phone of every host, read from the store (the same list on every replica)."""
    fleet = _fleet(request)
    return [FleetDeviceView(**p.public()) for p in await store.run(fleet.phones)]


@router.get(
    "/v1/tasks/{task_id}/steps/{n}/screenshot",
    dependencies=AUTH,
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **errors(401, 404, 503)},
    summary="A step's screenshot (PNG), from the store",
)
async def screenshot(
    task_id: TASK_ID,
    n: Annotated[int, PathParam(ge=0, le=100000)],
    request: Request,
    store: StoreDep,
    phase: Annotated[Literal["before", "after"], Query()] = "before",
) -> Response:
    await get_record(store, task_id)
    data = await store.run(_fleet(request).blob, task_id, f"steps/{n:03d}-{phase}.png")
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no {phase} screenshot for step {n}")
    return Response(data, media_type="image/png", headers={"Cache-Control": "max-age=3600"})


@router.get("/v1/tasks/{task_id}/result", dependencies=AUTH, response_class=Response, **RESULT_DOC)
async def result(task_id: TASK_ID, request: Request, store: StoreDep) -> Response:
    """The same answer as a single `serve`, from the store (any replica serves any task)."""
    rec = await get_record(store, task_id)
    return artifact_response(
        rec, "result.json", await store.run(_fleet(request).blob, task_id, "result.json")
    )


@router.get("/v1/tasks/{task_id}/report", dependencies=AUTH, response_class=Response, **REPORT_DOC)
async def report(task_id: TASK_ID, request: Request, store: StoreDep) -> Response:
    rec = await get_record(store, task_id)
    return artifact_response(
        rec, "report.html", await store.run(_fleet(request).blob, task_id, "report.html")
    )


@router.get("/healthz", summary="The store and the cluster's phones")
async def healthz(request: Request, store: StoreDep) -> JSONResponse:
    body: dict[str, Any] = {"status": "ok", "store": {"ok": True}, "fleet": True}
    try:
        await store.run(store.ping)
        phones = await store.run(_fleet(request).phones)
        body["devices"] = len(phones)
        body["online"] = sum(p.state != "offline" for p in phones)
    except Exception as exc:
        body.update(status="error", store={"ok": False, "error": str(exc).splitlines()[0]})
    scheduler = request.app.state.scheduler
    body.update(queued=len(scheduler.queued_ids()), leases=scheduler.leases, at=time.time())
    return JSONResponse(body, status_code=503 if body["status"] == "error" else 200)
