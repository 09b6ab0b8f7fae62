"""The web viewer: the task list (/), one task live (/tasks/{id}) and its static files."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the route functions.

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from ..deps import AccessDep
from .common import TASK_ID

__all__ = ["VIEWER_DIR", "mount_static", "router"]

VIEWER_DIR = Path(__file__).parent.parent / "viewer"

router = APIRouter()


@router.get("/", include_in_schema=False)
async def index(request: Request, access: AccessDep) -> Response:
    return access.page(VIEWER_DIR / "index.html", request)


@router.get("/tasks/{task_id}", include_in_schema=False)
async def task_page(task_id: TASK_ID, request: Request, access: AccessDep) -> Response:
    return access.page(VIEWER_DIR / "task.html", request)


def mount_static(app: FastAPI) -> None:
    """Serve the viewer's scripts and styles under /viewer (a mount: routers cannot carry one)."""
    app.mount("/viewer", StaticFiles(directory=VIEWER_DIR), name="viewer")
