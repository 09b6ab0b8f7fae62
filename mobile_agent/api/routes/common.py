"""What several routers share: the error statuses of the OpenAPI document and the task id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path as PathParam

__all__ = ["ERROR_RESPONSES", "SQL_INT_MAX", "TASK_ID", "errors"]

TASK_ID = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Task id")]
SQL_INT_MAX = 2**63 - 1  # offsets and sequence numbers beyond it mean "past the end"

ERROR_RESPONSES: dict[int, str] = {
    400: "The body is not valid JSON",
    401: "Missing or wrong bearer token",
    403: "A state-changing request authenticated by the viewer's cookie came from another origin, or "
    "(on a server without a token) the request's Host is not a loopback name",
    404: "No such task (or screenshot)",
    409: "The task is in a state that does not allow this",
    413: "The request body is larger than MOBILE_AGENT_MAX_BODY_BYTES",
    503: "The task store is down",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route answers besides 422."""
    return {code: {"description": ERROR_RESPONSES[code]} for code in codes}
