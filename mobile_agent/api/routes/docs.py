"""/openapi.json and /docs (Swagger UI), behind the token like the API they describe."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the route functions.

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from ..deps import AUTH

__all__ = ["router"]

router = APIRouter()


@router.get("/openapi.json", include_in_schema=False, dependencies=AUTH)
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False, dependencies=AUTH)
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="mobile-agent API")
