"""/v1/tasks: submit, list, read, follow (SSE), screenshots, cancel, reply.

Built per app (`build_router(settings)`): the request model and the page-size limit come from
the settings and appear in the OpenAPI document.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations of the route functions,
# and the request model is a class built inside `build_router`.

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from sse_starlette import EventSourceResponse

from ..deps import AUTH, PoolDep, SchedulerDep, StoreDep
from ..human import NoPendingRequest
from ..schemas import (
    ReplyBody,
    Status,
    TaskAction,
    TaskCreateBase,
    TaskCreated,
    TaskPage,
    TaskView,
    task_create_model,
)
from ..settings import ApiSettings
from ..sse import sse_messages
from ..store import TERMINAL, TaskRecord, TaskStore
from ..views import task_view
from .common import SQL_INT_MAX, TASK_ID, errors

__all__ = ["build_router", "get_record"]


async def get_record(store: TaskStore, task_id: str) -> TaskRecord:
    """The task, or 404."""
    rec = await store.run(store.get_task, task_id)
    if rec is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no task {task_id}")
    return rec


def get_runs_root(request: Request) -> Path:
    """The resolved runs directory (resolved once, when the app was built)."""
    return request.app.state.runs_root  # type: ignore[no-any-return]


def build_router(settings: ApiSettings) -> APIRouter:
    """The task routes for an app built with `settings`."""
    router = APIRouter(tags=["tasks"])
    TaskCreate = task_create_model(settings)

    @router.post(
        "/v1/tasks",
        status_code=status.HTTP_201_CREATED,
        response_model=TaskCreated,
        dependencies=AUTH,
        summary="Submit a task",
        responses={
            **errors(400, 401, 403, 413),
            422: {
                "description": (
                    "Invalid body, a `device` this server does not know, or an `output_schema` "
                    "that is not a valid JSON Schema"
                ),
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
                },
            },
        },
    )
    async def create_task(
        body: TaskCreate,  # type: ignore[valid-type]
        response: Response,
        store: StoreDep,
        scheduler: SchedulerDep,
        pool: PoolDep,
    ) -> TaskCreated:
        """Queue a task; 201 with its id. It starts as soon as a matching device is free."""
        req: TaskCreateBase = body
        if req.device is not None and pool.get(req.device) is None:
            await pool.refresh()
            if pool.get(req.device) is None:
                known = [d.serial for d in pool.devices()]
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    detail=[
                        {
                            "loc": ["body", "device"],
                            "msg": f"unknown device {req.device!r}; known devices: {known}",
                            "type": "value_error",
                        }
                    ],
                )
        rec = await store.run(
            store.create_task,
            req.instruction,
            max_steps=req.max_steps or settings.default_max_steps,
            max_seconds=req.max_seconds or settings.default_max_seconds,
            device=req.device,
            mode=req.mode,
            model=req.model,
            output_schema=req.output_schema,
            use_cache=req.cache,
        )
        scheduler.submit(rec)
        response.headers["Location"] = f"/v1/tasks/{rec.id}"
        return TaskCreated(id=rec.id, status="queued")

    @router.get(
        "/v1/tasks",
        response_model=TaskPage,
        dependencies=AUTH,
        summary="List tasks",
        responses=errors(401, 403),
    )
    async def list_tasks(
        store: StoreDep,
        scheduler: SchedulerDep,
        # not nullable in the OpenAPI document: absent is the default
        status_: Annotated[list[Status], Query(alias="status", description="Filter (repeatable)")] = None,  # type: ignore[assignment]  # noqa: RUF013
        limit: Annotated[int, Query(ge=1, le=settings.page_size_limit)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> TaskPage:
        items, total = await store.run(
            store.list_tasks, status=status_, limit=limit, offset=min(offset, SQL_INT_MAX)
        )
        return TaskPage(
            items=[task_view(r, scheduler) for r in items], total=total, limit=limit, offset=offset
        )

    @router.get("/v1/tasks/{task_id}", response_model=TaskView, dependencies=AUTH, responses=errors(401, 403, 404))
    async def get_task(task_id: TASK_ID, store: StoreDep, scheduler: SchedulerDep) -> TaskView:
        return task_view(await get_record(store, task_id), scheduler)

    @router.get(
        "/v1/tasks/{task_id}/events",
        dependencies=AUTH,
        summary="Task events as Server-Sent Events",
        response_class=Response,
        responses={
            200: {"content": {"text/event-stream": {}}},
            204: {"description": "Nothing more"},
            **errors(401, 403, 404),
        },
    )
    async def task_events(
        task_id: TASK_ID,
        store: StoreDep,
        scheduler: SchedulerDep,
        # declared as plain integers: absent is the default, `null` is not a value (it was
        # declared nullable and then refused with 422)
        last_event_id: Annotated[int, Header(alias="Last-Event-ID", ge=0)] = None,  # type: ignore[assignment]  # noqa: RUF013
        after: Annotated[int, Query(ge=0, description="Resume after this seq")] = None,  # type: ignore[assignment]  # noqa: RUF013
    ) -> Response:
        rec = await get_record(store, task_id)
        start = min(max(last_event_id or 0, after or 0), SQL_INT_MAX)
        if rec.status in TERMINAL and start > 0:
            last = await store.run(store.last_seq, task_id)
            if start >= last:  # 204 tells an EventSource to stop reconnecting
                return Response(status_code=status.HTTP_204_NO_CONTENT)
        return EventSourceResponse(
            sse_messages(task_id, store, scheduler, start),
            ping=15,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.get(
        "/v1/tasks/{task_id}/steps/{n}/screenshot",
        dependencies=AUTH,
        response_class=FileResponse,
        responses={200: {"content": {"image/png": {}}}, **errors(401, 403, 404)},
        summary="A step's screenshot (PNG)",
    )
    async def screenshot(
        task_id: TASK_ID,
        n: Annotated[int, PathParam(ge=0, le=100000)],
        store: StoreDep,
        runs_root: Annotated[Path, Depends(get_runs_root)],
        phase: Annotated[Literal["before", "after"], Query()] = "before",
    ) -> FileResponse:
        rec = await get_record(store, task_id)
        base = (runs_root / (rec.run_dir or rec.id)).resolve()
        path = (base / "steps" / f"{n:03d}-{phase}.png").resolve()
        if not path.is_relative_to(runs_root) or not path.is_relative_to(base):
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such screenshot")
        if not path.is_file():
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no {phase} screenshot for step {n}")
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "max-age=3600"})

    @router.post(
        "/v1/tasks/{task_id}/cancel",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=TaskAction,
        dependencies=AUTH,
        summary="Cancel a task (queued: at once; running: within one step)",
        responses=errors(401, 403, 404, 409),
    )
    async def cancel_task(task_id: TASK_ID, store: StoreDep, scheduler: SchedulerDep) -> TaskAction:
        rec = await get_record(store, task_id)
        result = await scheduler.cancel(task_id)
        if result is None:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=f"task {task_id} is already {rec.status}")
        rec = await get_record(store, task_id)
        return TaskAction(id=task_id, status=rec.status)

    @router.post(
        "/v1/tasks/{task_id}/reply",
        response_model=TaskAction,
        dependencies=AUTH,
        summary="Answer a pending question or confirmation",
        responses=errors(400, 401, 403, 404, 409, 413),
    )
    async def reply(
        task_id: TASK_ID, body: ReplyBody, store: StoreDep, scheduler: SchedulerDep
    ) -> TaskAction:
        await get_record(store, task_id)
        try:
            await scheduler.reply(task_id, body.text, body.approve)
        except NoPendingRequest as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
        return TaskAction(id=task_id, status="running")

    return router
