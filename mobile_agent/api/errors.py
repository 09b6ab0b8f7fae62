"""The API's error answers: FastAPI's, with a complete `Allow` on 405 and a capped, JSON-safe 422."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Route

from .echo import capped_errors, json_safe

__all__ = ["http_error", "install_error_handlers", "validation_error"]


def _routes(app: FastAPI) -> Iterator[BaseRoute]:
    """The app's own routes and those of its routers (`app.state.routers`): recent FastAPI
    (0.165) keeps an included router as one entry of `app.routes`, not as its routes."""
    yield from app.routes
    for router in getattr(app.state, "routers", ()):
        yield from router.routes


async def http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's answer, but a 405's `Allow` lists every method of the path: Starlette names
    only the methods of the first route it matched (`OPTIONS /v1/tasks` said `Allow: POST`)."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        path = request.scope["path"]
        allowed = {
            method
            for route in _routes(request.app)
            if isinstance(route, Route) and route.methods and route.path_regex.match(path)
            for method in route.methods
        }
        exc.headers = {**(exc.headers or {}), "Allow": ", ".join(sorted(allowed))}
    return await http_exception_handler(request, exc)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, also when the input it echoes is not valid JSON (NaN, lone surrogates);
    whatever it echoes (from the body, path, query or headers) is cut short (see `echo`)."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"detail": json_safe(jsonable_encoder(capped_errors(list(exc.errors()))))},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
