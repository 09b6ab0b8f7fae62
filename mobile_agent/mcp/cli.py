"""`mobile-agent mcp`: serve the phone's tools over MCP (stdio for a desktop client, or HTTP).

Over HTTP the server listens on 127.0.0.1 unless told otherwise; on any other address it needs
a bearer token (MOBILE_AGENT_MCP_TOKEN), since whoever reaches it controls the phone. `--port 0`
picks a free port; the URL is printed on stderr once the server accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any

from mobile_agent.hosts import is_loopback

__all__ = ["build_mcp_parser", "mcp_main"]

EXIT_OK, EXIT_USAGE = 0, 2
TOKEN_ENV = "MOBILE_AGENT_MCP_TOKEN"


def build_mcp_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mobile-agent mcp",
        description="Serve a phone over the Model Context Protocol: screenshot, ui_tree, tap, swipe, "
        "type_text, press_key, open_app, and run_task (our agent does a whole task). The model "
        "endpoint comes from MOBILE_AGENT_* settings, as for `mobile-agent run`. See docs/mcp.md.",
    )
    p.add_argument(
        "--transport", choices=["stdio", "http"], default="stdio", help="stdio (default) or streamable HTTP"
    )
    p.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765; 0 picks a free one)")
    p.add_argument("--device", "-d", help="device serial (default: the only connected device)")
    p.add_argument(
        "--allow-sensitive",
        action="store_true",
        help="let run_task take sensitive steps (send, pay, delete, passwords); refused by default",
    )
    p.add_argument("--out", help="directory for run directories (default ./runs, MOBILE_AGENT_RUNS_DIR)")
    return p


class _BearerGuard:
    """ASGI wrapper: every HTTP request must carry `Authorization: Bearer <token>`."""

    def __init__(self, app: Any, token: str) -> None:
        self.app, self.expected = app, f"Bearer {token}".encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            import hmac

            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                body = b'{"error": "missing or wrong bearer token"}'
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


async def _serve_stdio(server: Any) -> int | None:
    from mobile_agent.mcp.stdio import serve_stdio

    return await serve_stdio(server)


async def _serve_http(server: Any, host: str, port: int, token: str | None) -> None:
    import uvicorn

    app: Any = server.streamable_http_app(host=host, streamable_http_path="/mcp")
    if token:
        app = _BearerGuard(app, token)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host

    class Announcing(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:  # now it accepts connections: tell whoever waits for the URL
                print(f"mobile-agent MCP server on http://{shown}:{bound}/mcp", file=sys.stderr, flush=True)

    uv = Announcing(uvicorn.Config(app, log_level="warning", lifespan="on"))
    try:
        await uv.serve(sockets=[sock])
    finally:
        sock.close()


async def _main(args: argparse.Namespace, token: str | None) -> int:
    """Serve until the client leaves (0) or a signal stops the server (130 / 143)."""
    from mobile_agent.mcp.server import McpOptions, build_server

    server, state = build_server(
        McpOptions(device=args.device, allow_sensitive=args.allow_sensitive, runs_dir=args.out)
    )
    code: int | None = None
    try:
        if args.transport == "stdio":
            code = await _serve_stdio(server)
        else:
            await _serve_http(server, args.host, args.port, token)
    finally:
        await state.aclose()  # running tasks are cancelled and write their run directories
    return code or EXIT_OK


def mcp_main(argv: Sequence[str] | None = None) -> int:
    """The `mobile-agent mcp` command."""
    args = build_mcp_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if importlib.util.find_spec("mcp") is None:
        print(
            "error: the MCP server needs the `mcp` package: pip install 'mobile-agent[mcp]'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    token = os.environ.get(TOKEN_ENV, "").strip() or None
    if args.transport == "http":
        if not 0 <= args.port <= 65535:
            print(f"error: --port must be 0..65535, got {args.port}", file=sys.stderr)
            return EXIT_USAGE
        if not is_loopback(args.host) and (token is None or len(token) < 16):
            print(
                f"error: serving the phone on {args.host} lets anyone who reaches it control the phone; "
                f"set {TOKEN_ENV} to a secret of 16+ characters (clients send it as a Bearer token), "
                "or keep --host 127.0.0.1",
                file=sys.stderr,
            )
            return EXIT_USAGE
    try:
        return asyncio.run(_main(args, token))
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


main = mcp_main

if __name__ == "__main__":  # pragma: no cover
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(mcp_main())
