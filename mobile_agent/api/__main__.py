"""`mobile-agent serve` / `python -m mobile_agent.api`: run the HTTP task API."""

from __future__ import annotations

import argparse
import os

from .server import serve


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mobile-agent serve",
        description="The HTTP task API (queue, device leases, live events, human replies, viewer). "
        "Every option can also be set as MOBILE_AGENT_<NAME> (the option wins).",
    )
    p.add_argument(
        "--host",
        default=os.environ.get("MOBILE_AGENT_HOST", "127.0.0.1"),
        help="bind address (MOBILE_AGENT_HOST, default 127.0.0.1; a non-loopback address needs a "
        "token of at least 16 characters)",
    )
    p.add_argument(
        "--port",
        type=int,
        default=os.environ.get("MOBILE_AGENT_PORT", "8080"),
        help="port (MOBILE_AGENT_PORT, default 8080; 0 picks a free one)",
    )
    p.add_argument("--token", default=None, help="API token (MOBILE_AGENT_API_TOKEN)")
    p.add_argument("--runs-dir", default=None, help="run directories (MOBILE_AGENT_RUNS_DIR, default ./runs)")
    p.add_argument(
        "--db-url", default=None, help="SQLAlchemy URL (MOBILE_AGENT_DB_URL, default SQLite in runs)"
    )
    p.add_argument("--adb-connect", default=None, help="comma-separated host:port to `adb connect`")
    p.add_argument(
        "--log-level", default=os.environ.get("MOBILE_AGENT_LOG_LEVEL", "info"), help="MOBILE_AGENT_LOG_LEVEL"
    )
    p.add_argument("--no-access-log", action="store_true", help="do not log every request")
    p.add_argument(
        "--cluster",
        default=os.environ.get("MOBILE_AGENT_CLUSTER") or None,
        metavar="ADDRESS",
        help="serve as a replica of a phone fleet on this Ray cluster (MOBILE_AGENT_CLUSTER; needs "
        "--db-url postgresql+psycopg://... and the fleet extra; see docs/fleet.md)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.cluster:  # imported only here: a plain `serve` needs neither Ray nor psycopg
        from mobile_agent.fleet.serve import serve_cluster

        return serve_cluster(
            args.host,
            args.port,
            args.token,
            cluster=args.cluster,
            log_level=args.log_level,
            access_log=not args.no_access_log,
            runs_dir=args.runs_dir,
            db_url=args.db_url,
        )
    serve(
        host=args.host,
        port=args.port,
        token=args.token,
        log_level=args.log_level,
        access_log=not args.no_access_log,
        runs_dir=args.runs_dir,
        db_url=args.db_url,
        adb_connect=args.adb_connect,
    )
    return 0


serve_main = main

if __name__ == "__main__":
    raise SystemExit(main())
