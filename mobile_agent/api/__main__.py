"""`mobile-agent serve` / `python -m mobile_agent.api`: run the HTTP task API."""

from __future__ import annotations

import argparse

from .server import serve


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mobile-agent serve",
        description="The HTTP task API (queue, device leases, live events, human replies, viewer). "
        "Every option can also be set as MOBILE_AGENT_<NAME>.",
    )
    p.add_argument("--host", default="127.0.0.1", help="bind address (non-loopback needs a token)")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--token", default=None, help="API token (MOBILE_AGENT_API_TOKEN)")
    p.add_argument("--runs-dir", default=None, help="run directories (MOBILE_AGENT_RUNS_DIR, default ./runs)")
    p.add_argument(
        "--db-url", default=None, help="SQLAlchemy URL (MOBILE_AGENT_DB_URL, default SQLite in runs)"
    )
    p.add_argument("--adb-connect", default=None, help="comma-separated host:port to `adb connect`")
    p.add_argument("--log-level", default="info")
    p.add_argument("--no-access-log", action="store_true", help="do not log every request")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
