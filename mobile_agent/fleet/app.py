"""A replica's app: the task API's routers, on the fleet's scheduler, pool and store.

The same routes answer as on a single `serve` (they reach their parts through `app.state`);
the fleet adds its own answers first for what differs: GET /v1/devices (every phone of every
host, with its host), a step's screenshot and a task's result.json and report.html (from the
store, so any replica serves them), /healthz (the store and the cluster), and a 503 that says so
when the store is unreachable (a 422 when it refuses a value, such as a NUL character).
There is no store-ownership lock: replicas share the store by design, and leases come from
its row locks.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, SQLAlchemyError

from mobile_agent import __version__
from mobile_agent.api import logredact
from mobile_agent.api.access import Access
from mobile_agent.api.auth import check_token
from mobile_agent.api.errors import install_error_handlers
from mobile_agent.api.limits import BodySizeLimit
from mobile_agent.api.routes import docs, tasks, viewer
from mobile_agent.api.settings import ApiSettings
from mobile_agent.api.store import TaskStore, make_engine

from .leases import FleetStore
from .replica import FleetPool, FleetScheduler
from .routes import router as fleet_router

__all__ = ["create_fleet_app", "open_stores"]


async def store_unavailable(request: Request, exc: Exception) -> Response:
    """503 naming the cause: the store is down, nothing was queued; the client may retry."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={
            "detail": f"the task store (PostgreSQL) is unreachable, nothing was changed; retry later ({first})"
        },
        headers={"Retry-After": "5"},
    )


async def value_refused(request: Request, exc: Exception) -> Response:
    """422: PostgreSQL refuses a value of the request (a NUL character in a text). The store is
    up: a 503 saying it is unreachable would have the client retry the same request for ever."""
    first = " ".join(str(getattr(exc, "orig", None) or exc).split()) or type(exc).__name__
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"detail": f"the task store (PostgreSQL) cannot keep a value of this request: {first}"},
    )


SCHEMA_LOCK = 0x6D6F62696C65  # pg_advisory_lock key: one replica at a time creates the tables


def open_stores(db_url: str) -> tuple[TaskStore, FleetStore]:
    """The task store and the fleet's tables, created under an advisory lock: replicas starting
    together on an empty database would otherwise race in CREATE TABLE (a unique violation in
    PostgreSQL's catalog) and one of them would fail to start."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({SCHEMA_LOCK})")
            try:
                store = TaskStore(db_url)
                return store, FleetStore(store.engine)
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({SCHEMA_LOCK})")
    finally:
        engine.dispose()


def create_fleet_app(settings: ApiSettings, db_url: str, **scheduler_options: Any) -> FastAPI:
    """The API of one replica; Ray must be connected (`raynode.connect`) before it starts."""
    store, fleet = open_stores(db_url)
    pool = FleetPool(fleet, store)
    access = Access(check_token(settings.api_token), settings.session_max_age_s)
    logredact.install(access.token)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        options = {"human_timeout_s": settings.human_timeout_s, **scheduler_options}
        scheduler = FleetScheduler(store, fleet, pool, db_url=db_url, **options)
        app.state.scheduler = scheduler
        await scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()
            store.close()

    app = FastAPI(
        title="mobile-agent task API (fleet replica)",
        version=__version__,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.state.settings = settings
    app.state.store = store
    app.state.fleet = fleet
    app.state.pool = pool
    app.state.access = access
    app.state.runs_root = settings.runs_dir.resolve()
    install_error_handlers(app)
    app.add_exception_handler(SQLAlchemyError, store_unavailable)
    app.add_exception_handler(DataError, value_refused)
    app.state.routers = [fleet_router, tasks.build_router(settings), docs.router, viewer.router]
    for router in app.state.routers:
        app.include_router(router)
    viewer.mount_static(app)
    app.state.started_at = time.time()
    return app
