"""`mobile-agent serve`: the task API on uvicorn, loopback-only unless a token is set."""

from __future__ import annotations

import ipaddress
import sys
from typing import Any

from .settings import ApiSettings
from .worker import TaskRunner


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost; a name or 0.0.0.0 is not loopback."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to expose the API beyond this machine without a token (exit code 2)."""
    if not is_loopback(host) and not token:
        print(
            f"refusing to listen on {host}: the API can drive phones, so a non-loopback address "
            "needs a token. Set MOBILE_AGENT_API_TOKEN (or --token), or use --host 127.0.0.1.",
            file=sys.stderr,
        )
        raise SystemExit(2)


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    token: str | None = None,
    *,
    settings: ApiSettings | None = None,
    runner: TaskRunner | None = None,
    log_level: str = "info",
    access_log: bool = True,
    **overrides: Any,
) -> None:
    """Run the API until interrupted. `overrides` are ApiSettings fields (runs_dir, db_url...)."""
    import uvicorn

    from .app import create_app

    settings = settings or ApiSettings(**{k: v for k, v in overrides.items() if v is not None})
    if token:
        settings = settings.model_copy(update={"api_token": token})
    check_bind(host, settings.api_token)
    app = create_app(settings, runner=runner)
    uvicorn.run(
        app, host=host, port=port, log_level=log_level, access_log=access_log, timeout_graceful_shutdown=3
    )
