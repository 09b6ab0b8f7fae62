"""The FastAPI application: `create_app(settings) -> FastAPI`, wiring only.

Endpoints (all under a bearer token when one is configured, except /healthz), one router each
in `api.routes`: POST /v1/tasks, GET /v1/tasks, GET /v1/tasks/{id}, GET /v1/tasks/{id}/events
(SSE), GET /v1/tasks/{id}/steps/{n}/screenshot, POST /v1/tasks/{id}/cancel,
POST /v1/tasks/{id}/reply (`tasks`); GET /v1/tasks/{id}/result and .../report (`artifacts`);
GET /v1/devices (`devices`); GET /healthz (`health`);
GET /openapi.json and /docs (`docs`); the viewer pages GET / and GET /tasks/{id} (`viewer`).
Routes reach the parts built here through `app.state` and the dependencies in `api.deps`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator

from fastapi import FastAPI

from mobile_agent import __version__

from . import logredact
from .access import Access
from .auth import check_token
from .devices import AdbBackend, DevicePool, Lister, Prober
from .errors import install_error_handlers
from .limits import BodySizeLimit
from .routes import artifacts, devices, docs, health, tasks, viewer
from .scheduler import Scheduler
from .settings import ApiSettings
from .store import TaskStore
from .worker import TaskRunner, agent_runner

__all__ = ["create_app"]


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
    store = TaskStore(settings.resolved_db_url())
    adb = AdbBackend(settings.adb_host, settings.adb_port, settings.adb_targets(), settings.allowed_devices())
    if device_lister is None:
        device_lister = adb.list
        device_prober = device_prober or adb.probe
    pool = DevicePool(device_lister, device_prober)
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
    app.state.adb = adb
    app.state.access = access
    app.state.runs_root = settings.runs_dir.resolve()
    install_error_handlers(app)
    app.state.routers = [
        tasks.build_router(settings),
        artifacts.router,
        devices.router,
        health.router,
        docs.router,
        viewer.router,
    ]
    for router in app.state.routers:
        app.include_router(router)
    viewer.mount_static(app)
    app.state.started_at = time.time()
    return app
