"""FastAPI dependencies: the parts `create_app` wires onto `app.state`, and the token check.

Routes declare what they need (`store: StoreDep`, `dependencies=AUTH`) instead of closing over
`create_app`'s locals, so each router lives in its own module (`api.routes`).
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at import time.

from typing import Annotated

from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .access import Access
from .devices import AdbBackend, DevicePool
from .scheduler import Scheduler
from .settings import ApiSettings
from .store import TaskStore

__all__ = [
    "AUTH",
    "BEARER",
    "AccessDep",
    "AdbDep",
    "PoolDep",
    "SchedulerDep",
    "SettingsDep",
    "StoreDep",
    "require_token",
]

# Declares the bearer scheme in the OpenAPI document (the check itself is `Access.check`).
BEARER = HTTPBearer(auto_error=False, description="The server's API token (MOBILE_AGENT_API_TOKEN).")


def get_settings(request: Request) -> ApiSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_store(request: Request) -> TaskStore:
    return request.app.state.store  # type: ignore[no-any-return]


def get_scheduler(request: Request) -> Scheduler:
    """The scheduler the app's lifespan started (it exists only while the app runs)."""
    return request.app.state.scheduler  # type: ignore[no-any-return]


def get_pool(request: Request) -> DevicePool:
    return request.app.state.pool  # type: ignore[no-any-return]


def get_adb(request: Request) -> AdbBackend:
    return request.app.state.adb  # type: ignore[no-any-return]


def get_access(request: Request) -> Access:
    return request.app.state.access  # type: ignore[no-any-return]


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
StoreDep = Annotated[TaskStore, Depends(get_store)]
SchedulerDep = Annotated[Scheduler, Depends(get_scheduler)]
PoolDep = Annotated[DevicePool, Depends(get_pool)]
AdbDep = Annotated[AdbBackend, Depends(get_adb)]
AccessDep = Annotated[Access, Depends(get_access)]


def require_token(
    request: Request,
    access: AccessDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> None:
    """401 without the server's token (bearer or the viewer's cookie); 403 for a cross-origin
    cookie write. A server without a token lets everything in."""
    access.check(request, creds is not None)


AUTH: list[DependsParam] = [Depends(require_token)]
