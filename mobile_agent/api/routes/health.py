"""/healthz (no token): the store, the adb server and the model endpoint, each checked for real.

The model endpoint is asked the first question of the one readiness probe (`llm.probe`) that
doctor, the check before a run and the vLLM launcher also use.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations of the route functions.

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from mobile_agent.llm.probe import alist_models
from mobile_agent.redact import redact

from ..deps import AdbDep, PoolDep, SchedulerDep, SettingsDep, StoreDep
from ..schemas import Health
from ..settings import ApiSettings
from .common import ERROR_RESPONSES

__all__ = ["MODEL_PROBE_TIMEOUT_S", "router"]

MODEL_PROBE_TIMEOUT_S = 3.0
ADB_TIMEOUT_S = 5.0

router = APIRouter(tags=["health"])


def _model_base_url(settings: ApiSettings) -> str | None:
    if settings.base_url:
        return settings.base_url
    try:
        from mobile_agent.config import AgentConfig

        return str(AgentConfig().base_url)
    except Exception:
        return None


async def model_health(url: str | None) -> dict[str, Any]:
    """ok when the model server answers GET /v1/models with anything but a server error."""
    # /healthz answers without a token: the URL is shown without its password
    model_ok: dict[str, Any] = {"ok": False, "url": redact(url) if url else url}
    if not url:
        model_ok["error"] = "no model endpoint configured"
        return model_ok
    listing = await alist_models(url, timeout=MODEL_PROBE_TIMEOUT_S)
    if listing.http_status is not None:
        model_ok.update(ok=listing.http_status < 500, http_status=listing.http_status)
    else:
        model_ok["error"] = listing.error
    return model_ok


@router.get(
    "/healthz",
    response_model=Health,
    summary="Store, adb and model reachability",
    responses={503: {"model": Health, "description": ERROR_RESPONSES[503]}},
)
async def healthz(
    settings: SettingsDep, store: StoreDep, scheduler: SchedulerDep, pool: PoolDep, adb: AdbDep
) -> JSONResponse:
    store_ok: dict[str, Any] = {"ok": True}
    try:
        await store.run(store.ping)
    except Exception as exc:
        store_ok = {"ok": False, "error": redact(str(exc))}
    adb_ok: dict[str, Any]
    try:
        adb_ok = {"ok": True, "version": await asyncio.wait_for(adb.server_version(), ADB_TIMEOUT_S)}
    except Exception as exc:
        adb_ok = {"ok": False, "error": f"adb server at {settings.adb_host}:{settings.adb_port}: {exc!r}"}
    model_ok = await model_health(_model_base_url(settings))
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
