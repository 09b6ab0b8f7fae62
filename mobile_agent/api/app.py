"""The FastAPI application: `create_app(settings) -> FastAPI`.

Endpoints (all under a bearer token when one is configured, except /healthz):
POST /v1/tasks, GET /v1/tasks, GET /v1/tasks/{id}, GET /v1/tasks/{id}/events (SSE),
GET /v1/tasks/{id}/steps/{n}/screenshot, POST /v1/tasks/{id}/cancel, POST /v1/tasks/{id}/reply,
GET /v1/devices, GET /healthz, GET /openapi.json, and the viewer pages GET / and GET /tasks/{id}.
"""

# No `from __future__ import annotations` here: FastAPI reads the annotations of the route
# functions, and the request model is a class built inside `create_app`.

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response, status
from fastapi import Path as PathParam
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sse_starlette import EventSourceResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from mobile_agent import __version__

from . import logredact
from .access import Access
from .auth import check_token
from .devices import AdbBackend, DevicePool, Lister, Prober
from .echo import capped_errors, json_safe
from .human import NoPendingRequest
from .limits import BodySizeLimit
from .scheduler import Scheduler
from .schemas import (
    DeviceView,
    Health,
    ReplyBody,
    Status,
    TaskAction,
    TaskCreateBase,
    TaskCreated,
    TaskPage,
    TaskView,
    task_create_model,
)
from .settings import ApiSettings
from .sse import sse_messages
from .store import TERMINAL, TaskRecord, TaskStore
from .worker import TaskRunner, agent_runner

VIEWER_DIR = Path(__file__).parent / "viewer"
TASK_ID = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Task id")]
SQL_INT_MAX = 2**63 - 1  # offsets and sequence numbers beyond it mean "past the end"


ERROR_RESPONSES: dict[int, str] = {
    400: "The body is not valid JSON",
    401: "Missing or wrong bearer token",
    403: "A state-changing request authenticated by the viewer's cookie came from another origin",
    404: "No such task (or screenshot)",
    409: "The task is in a state that does not allow this",
    413: "The request body is larger than MOBILE_AGENT_MAX_BODY_BYTES",
    503: "The task store is down",
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route answers besides 422."""
    return {code: {"description": ERROR_RESPONSES[code]} for code in codes}


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts is not None else None


def _model_base_url(settings: ApiSettings) -> str | None:
    if settings.base_url:
        return settings.base_url
    try:
        from mobile_agent.config import AgentConfig

        return str(AgentConfig().base_url)
    except Exception:
        return None


def create_app(
    settings: ApiSettings | None = None,
    *,
    runner: TaskRunner | None = None,
    device_lister: Lister | None = None,
    device_prober: Prober | None = None,
) -> FastAPI:
    """Build the API. `runner` runs one task (default: the real Agent); `device_lister` and
    `device_prober` replace the adb server as the source of devices (default: adb)."""
    settings = settings or ApiSettings()
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    runs_root = settings.runs_dir.resolve()
    store = TaskStore(settings.resolved_db_url())
    adb = AdbBackend(settings.adb_host, settings.adb_port, settings.adb_targets(), settings.allowed_devices())
    if device_lister is None:
        device_lister = adb.list
        device_prober = device_prober or adb.probe
    pool = DevicePool(device_lister, device_prober)
    TaskCreate = task_create_model(settings)
    access = Access(check_token(settings.api_token), settings.session_max_age_s)
    logredact.install(access.token)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owner = getattr(app.state, "store_owner", None)  # taken by `serve`, else at scheduler start
        scheduler = Scheduler(store, pool, settings, runner or agent_runner, owner=owner)
        app.state.scheduler = scheduler
        await scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()
            store.close()

    app = FastAPI(
        title="mobile-agent task API",
        version=__version__,
        description="Submit phone tasks, watch them live, answer them, collect their trajectory.",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.state.settings = settings
    app.state.store = store
    app.state.pool = pool

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """FastAPI's answer, but a 405's `Allow` lists every method of the path: Starlette names
        only the methods of the first route it matched (`OPTIONS /v1/tasks` said `Allow: POST`)."""
        if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
            path = request.scope["path"]
            allowed = {
                method
                for route in app.routes
                if isinstance(route, Route) and route.methods and route.path_regex.match(path)
                for method in route.methods
            }
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(sorted(allowed))}
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        """FastAPI's 422, also when the input it echoes is not valid JSON (NaN, lone surrogates);
        whatever it echoes (from the body, path, query or headers) is cut short (see `echo`)."""
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={"detail": json_safe(jsonable_encoder(capped_errors(list(exc.errors()))))},
        )

    def scheduler_of(request: Request) -> Scheduler:
        return request.app.state.scheduler  # type: ignore[no-any-return]

    auth = [Depends(access.dependency())]

    # views -------------------------------------------------------------------------------

    def view(rec: TaskRecord, scheduler: Scheduler) -> TaskView:
        running = scheduler.running.get(rec.id)
        steps = rec.steps
        if running is not None:
            steps = max(steps, running.bus.state.step)
        queued = scheduler.queued_ids()
        return TaskView(
            id=rec.id,
            instruction=rec.instruction,
            status=rec.status,  # type: ignore[arg-type]
            reason=rec.reason,
            answer=rec.answer,
            steps=steps,
            max_steps=rec.max_steps,
            max_seconds=rec.max_seconds,
            mode=rec.mode,
            model=rec.model,
            device=rec.assigned_device or rec.device,
            requested_device=rec.device,
            created_at=_iso(rec.created_at) or "",
            started_at=_iso(rec.started_at),
            finished_at=_iso(rec.finished_at),
            run_dir=rec.run_dir,
            timings=rec.timings,
            usage=rec.usage,
            claimed_success=rec.claimed_success,
            error=rec.error,
            pending_request=rec.pending_request,  # type: ignore[arg-type]
            queue_position=queued.index(rec.id) if rec.id in queued else None,
            # the running job's flag is gone once it ends, and a queued task never had one
            cancel_requested=rec.status == "cancelled" or bool(running and running.cancel_requested),
        )

    async def get_record(task_id: str) -> TaskRecord:
        rec = await store.run(store.get_task, task_id)
        if rec is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no task {task_id}")
        return rec

    # tasks -------------------------------------------------------------------------------

    @app.post(
        "/v1/tasks",
        status_code=status.HTTP_201_CREATED,
        response_model=TaskCreated,
        dependencies=auth,
        tags=["tasks"],
        summary="Submit a task",
        responses={
            **_errors(400, 401, 403, 413),
            422: {
                "description": "Invalid body, or a `device` this server does not know",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}},
            },
        },
    )
    async def create_task(body: TaskCreate, request: Request, response: Response) -> TaskCreated:  # type: ignore[valid-type]
        """Queue a task; 201 with its id. It starts as soon as a matching device is free."""
        scheduler = scheduler_of(request)
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
        )
        scheduler.submit(rec)
        response.headers["Location"] = f"/v1/tasks/{rec.id}"
        return TaskCreated(id=rec.id, status="queued")

    @app.get(
        "/v1/tasks",
        response_model=TaskPage,
        dependencies=auth,
        tags=["tasks"],
        summary="List tasks",
        responses=_errors(401),
    )
    async def list_tasks(
        request: Request,
        # not nullable in the OpenAPI document: absent is the default
        status_: Annotated[list[Status], Query(alias="status", description="Filter (repeatable)")] = None,  # type: ignore[assignment]  # noqa: RUF013
        limit: Annotated[int, Query(ge=1, le=settings.page_size_limit)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> TaskPage:
        items, total = await store.run(
            store.list_tasks, status=status_, limit=limit, offset=min(offset, SQL_INT_MAX)
        )
        scheduler = scheduler_of(request)
        return TaskPage(items=[view(r, scheduler) for r in items], total=total, limit=limit, offset=offset)

    @app.get(
        "/v1/tasks/{task_id}",
        response_model=TaskView,
        dependencies=auth,
        tags=["tasks"],
        responses=_errors(401, 404),
    )
    async def get_task(task_id: TASK_ID, request: Request) -> TaskView:
        return view(await get_record(task_id), scheduler_of(request))

    @app.get(
        "/v1/tasks/{task_id}/events",
        dependencies=auth,
        tags=["tasks"],
        summary="Task events as Server-Sent Events",
        response_class=Response,
        responses={
            200: {"content": {"text/event-stream": {}}},
            204: {"description": "Nothing more"},
            **_errors(401, 404),
        },
    )
    async def task_events(
        task_id: TASK_ID,
        request: Request,
        # declared as plain integers: absent is the default, `null` is not a value (it was
        # declared nullable and then refused with 422)
        last_event_id: Annotated[int, Header(alias="Last-Event-ID", ge=0)] = None,  # type: ignore[assignment]  # noqa: RUF013
        after: Annotated[int, Query(ge=0, description="Resume after this seq")] = None,  # type: ignore[assignment]  # noqa: RUF013
    ) -> Response:
        rec = await get_record(task_id)
        start = min(max(last_event_id or 0, after or 0), SQL_INT_MAX)
        if rec.status in TERMINAL and start > 0:
            last = await store.run(store.last_seq, task_id)
            if start >= last:  # 204 tells an EventSource to stop reconnecting
                return Response(status_code=status.HTTP_204_NO_CONTENT)
        return EventSourceResponse(
            sse_messages(task_id, store, scheduler_of(request), start),
            ping=15,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get(
        "/v1/tasks/{task_id}/steps/{n}/screenshot",
        dependencies=auth,
        tags=["tasks"],
        response_class=FileResponse,
        responses={200: {"content": {"image/png": {}}}, **_errors(401, 404)},
        summary="A step's screenshot (PNG)",
    )
    async def screenshot(
        task_id: TASK_ID,
        n: Annotated[int, PathParam(ge=0, le=100000)],
        phase: Annotated[Literal["before", "after"], Query()] = "before",
    ) -> FileResponse:
        rec = await get_record(task_id)
        base = (runs_root / (rec.run_dir or rec.id)).resolve()
        path = (base / "steps" / f"{n:03d}-{phase}.png").resolve()
        if not path.is_relative_to(runs_root) or not path.is_relative_to(base):
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such screenshot")
        if not path.is_file():
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no {phase} screenshot for step {n}")
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "max-age=3600"})

    @app.post(
        "/v1/tasks/{task_id}/cancel",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=TaskAction,
        dependencies=auth,
        tags=["tasks"],
        summary="Cancel a task (queued: at once; running: within one step)",
        responses=_errors(401, 403, 404, 409),
    )
    async def cancel_task(task_id: TASK_ID, request: Request) -> TaskAction:
        rec = await get_record(task_id)
        result = await scheduler_of(request).cancel(task_id)
        if result is None:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=f"task {task_id} is already {rec.status}")
        rec = await get_record(task_id)
        return TaskAction(id=task_id, status=rec.status)

    @app.post(
        "/v1/tasks/{task_id}/reply",
        response_model=TaskAction,
        dependencies=auth,
        tags=["tasks"],
        summary="Answer a pending question or confirmation",
        responses=_errors(400, 401, 403, 404, 409, 413),
    )
    async def reply(task_id: TASK_ID, body: ReplyBody, request: Request) -> TaskAction:
        await get_record(task_id)
        try:
            scheduler_of(request).reply(task_id, body.text, body.approve)
        except NoPendingRequest as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
        return TaskAction(id=task_id, status="running")

    # devices and health ------------------------------------------------------------------

    @app.get(
        "/v1/devices",
        response_model=list[DeviceView],
        dependencies=auth,
        tags=["devices"],
        responses=_errors(401),
    )
    async def devices() -> list[DeviceView]:
        return [DeviceView(**d.public()) for d in pool.devices()]  # type: ignore[arg-type]

    @app.get(
        "/healthz",
        response_model=Health,
        tags=["health"],
        summary="Store, adb and model reachability",
        responses={503: {"model": Health, "description": ERROR_RESPONSES[503]}},
    )
    async def healthz(request: Request) -> JSONResponse:
        scheduler = scheduler_of(request)
        store_ok: dict[str, Any] = {"ok": True}
        try:
            await store.run(store.ping)
        except Exception as exc:
            store_ok = {"ok": False, "error": str(exc)}
        adb_ok: dict[str, Any]
        try:
            adb_ok = {"ok": True, "version": await asyncio.wait_for(adb.server_version(), 5)}
        except Exception as exc:
            adb_ok = {"ok": False, "error": f"adb server at {settings.adb_host}:{settings.adb_port}: {exc!r}"}
        model_ok: dict[str, Any] = {"ok": False, "url": _model_base_url(settings)}
        if model_ok["url"]:
            try:
                async with httpx.AsyncClient(timeout=3) as client:
                    r = await client.get(model_ok["url"].rstrip("/") + "/models")
                model_ok.update(ok=r.status_code < 500, http_status=r.status_code)
            except Exception as exc:
                model_ok["error"] = repr(exc)
        else:
            model_ok["error"] = "no model endpoint configured"
        overall = "ok" if store_ok["ok"] and adb_ok["ok"] and model_ok["ok"] else "degraded"
        if not store_ok["ok"]:
            overall = "error"
        body = Health(
            status=overall,  # type: ignore[arg-type]
            store=store_ok,
            adb=adb_ok,
            model=model_ok,
            devices=len(pool.devices()),
            running=len(scheduler.running),
            queued=len(scheduler.queued_ids()),
        )
        return JSONResponse(body.model_dump(), status_code=503 if overall == "error" else 200)

    @app.get("/openapi.json", include_in_schema=False, dependencies=auth)
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=auth)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="mobile-agent API")

    # viewer ------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> Response:
        return access.page(VIEWER_DIR / "index.html", request)

    @app.get("/tasks/{task_id}", include_in_schema=False)
    async def task_page(task_id: TASK_ID, request: Request) -> Response:
        return access.page(VIEWER_DIR / "task.html", request)

    app.mount("/viewer", StaticFiles(directory=VIEWER_DIR), name="viewer")
    app.state.started_at = time.time()
    return app
