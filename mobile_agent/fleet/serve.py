"""`mobile-agent serve --cluster ADDRESS --db-url postgresql+psycopg://...`: one API replica.

Any number of replicas may serve one store: there is no ownership lock in this mode (each
phone's lease is a row lock in the store), and the replica connects to the Ray cluster as a
driver to reach the hosts' phone actors.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn

from mobile_agent.api.server import check_bind
from mobile_agent.api.settings import ApiSettings
from mobile_agent.api.store_probe import probe_store

__all__ = ["CONNECT_TIMEOUT", "serve_cluster"]

CONNECT_TIMEOUT = 30.0  # seconds a replica waits for the Ray head before it gives up (exit 2)


def serve_cluster(
    host: str,
    port: int,
    token: str | None,
    *,
    cluster: str,
    log_level: str = "info",
    access_log: bool = True,
    **overrides: Any,
) -> int:
    """Run one replica until interrupted (exit 2 on a bad setup, said plainly)."""
    settings = ApiSettings(**{k: v for k, v in overrides.items() if v is not None})
    if token is not None:
        settings = settings.model_copy(update={"api_token": token})
    settings = settings.model_copy(update={"api_token": check_bind(host, settings.api_token)})
    db_url = settings.db_url
    if not db_url or not db_url.startswith("postgresql"):
        print(
            "refusing to start: --cluster needs the shared store: --db-url postgresql+psycopg://USER@HOST:PORT/DB",
            file=sys.stderr,
        )
        return 2
    try:
        from .app import create_fleet_app
        from .raynode import connect
    except ImportError as exc:
        print(
            f"serve --cluster needs the fleet extra (pip install 'mobile-agent[fleet]'): {exc}",
            file=sys.stderr,
        )
        return 2
    problem = probe_store(db_url)
    if problem is not None:
        print(f"refusing to start: {problem}", file=sys.stderr)
        return 2
    try:
        connect(cluster, timeout=CONNECT_TIMEOUT)
    except ConnectionError as exc:
        print(
            f"refusing to start: {exc} (start the head with `ray start --head`, or fix --cluster)",
            file=sys.stderr,
        )
        return 2
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    app = create_fleet_app(settings, db_url)
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, access_log=access_log, timeout_graceful_shutdown=3
    )
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 3
