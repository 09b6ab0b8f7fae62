"""The HTTP task API: queue, device leases, live events (SSE), human in the loop, web viewer.

`create_app(settings)` builds the FastAPI app; `serve(host, port, token)` runs it;
`submit(instruction, server=..., follow=...)` is the client behind `mobile-agent submit`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ApiSettings", "create_app", "serve", "submit"]


def __getattr__(name: str) -> Any:
    # Lazy: `mobile_agent.api.client` must not import FastAPI and the agent stack.
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "serve":
        from .server import serve

        return serve
    if name == "submit":
        from .client import submit

        return submit
    if name == "ApiSettings":
        from .settings import ApiSettings

        return ApiSettings
    raise AttributeError(name)
