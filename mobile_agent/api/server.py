"""`mobile-agent serve`: the task API on uvicorn, loopback-only unless a token is set."""

from __future__ import annotations

import socket
import sys
from typing import Any

import uvicorn

from ..hosts import is_loopback
from .auth import MAKE_ONE, MIN_REMOTE_TOKEN_CHARS, TokenError, check_token
from .owner import StoreBusy, StoreOwner
from .settings import ApiSettings
from .store_probe import probe_store
from .worker import TaskRunner

__all__ = ["check_bind", "is_loopback", "serve"]


def check_bind(host: str, token: str | None) -> str | None:
    """The token to use (stripped), or exit with code 2: no token or a short one on a non-loopback
    address (the API can drive phones), or a blank one anywhere."""
    remote = not is_loopback(host)
    try:
        token = check_token(token, remote=remote)
    except TokenError as exc:
        print(f"refusing to start: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    if remote and not token:
        print(
            f"refusing to listen on {host}: the API can drive phones, so a non-loopback address "
            f"needs a token of at least {MIN_REMOTE_TOKEN_CHARS} characters. Set MOBILE_AGENT_API_TOKEN "
            f"(or --token), e.g. to the output of {MAKE_ONE}, or use --host 127.0.0.1.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return token


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
    """Run the API until interrupted. `overrides` are ApiSettings fields (runs_dir, db_url...).

    Exits 2 when the task store does not answer or another server holds it (see `owner`)."""
    from .app import create_app

    settings = settings or ApiSettings(**{k: v for k, v in overrides.items() if v is not None})
    if token is not None:
        settings = settings.model_copy(update={"api_token": token})
    settings = settings.model_copy(update={"api_token": check_bind(host, settings.api_token)})
    owner = take_store(settings, host, port)
    try:
        app = create_app(settings, runner=runner)
        app.state.store_owner = owner
        config = uvicorn.Config(
            app, host=host, port=port, log_level=log_level, access_log=access_log, timeout_graceful_shutdown=3
        )
        server = _Server(config, owner)
        server.run()
        if not server.started:
            raise SystemExit(3)  # uvicorn's own code for a failed start (it has logged why)
    finally:
        owner.release()


def take_store(settings: ApiSettings, host: str, port: int) -> StoreOwner:
    """Take the task store for this server, or exit 2 naming the server that holds it."""
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    problem = probe_store(settings.resolved_db_url())
    if problem is not None:
        print(f"refusing to start: {problem}", file=sys.stderr)
        raise SystemExit(2)
    try:
        return StoreOwner(settings.resolved_db_url(), host=host, port=port).acquire()
    except StoreBusy as exc:
        print(f"refusing to start: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


class _Server(uvicorn.Server):
    """uvicorn's server, recording the port it got in the store's owner note (--port 0)."""

    def __init__(self, config: uvicorn.Config, owner: StoreOwner) -> None:
        super().__init__(config)
        self.owner = owner

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        for server in getattr(self, "servers", []):
            for sock in server.sockets or ():
                self.owner.set_address(self.config.host, sock.getsockname()[1])
                return
