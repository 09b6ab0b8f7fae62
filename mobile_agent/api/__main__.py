"""`python -m mobile_agent.api [--host H] [--port P] [--token T]`: the API without the CLI."""

from __future__ import annotations

import argparse

from .server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mobile_agent.api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--token", default=None, help="API token (or MOBILE_AGENT_API_TOKEN)")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    serve(host=args.host, port=args.port, token=args.token, log_level=args.log_level)


if __name__ == "__main__":
    main()
