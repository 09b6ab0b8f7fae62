"""Serving MCP over stdio so that Ctrl-C and SIGTERM stop the server at once, cleanly.

The SDK's own stdio transport reads stdin in a worker thread that no cancellation can
interrupt: after Ctrl-C the server hung until the client sent another line or closed stdin,
and SIGTERM killed it outright, leaving a running task's run directory without result.json.
Here stdin is read through the event loop (a pipe or a terminal), so a signal cancels the
serve, the tasks are stopped and written (the caller's `finally`), and the process exits.
The wire's descriptor is duplicated and fd 0 points at the null device meanwhile, as the SDK
does, so child processes (adb) never read the protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from typing import Any, cast

__all__ = ["StdinLines", "serve_stdio"]

MAX_LINE = 256 * 1024 * 1024  # one JSON-RPC message per line; tool arguments can be large


class StdinLines:
    """An async iterator of text lines from a StreamReader (what the SDK's stdio reader iterates)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader

    def __aiter__(self) -> StdinLines:
        return self

    async def __anext__(self) -> str:
        line = await self.reader.readline()
        if not line:
            raise StopAsyncIteration
        return line.decode("utf-8", errors="replace")


async def _open_stdin() -> tuple[asyncio.StreamReader, Any, int, int] | None:
    """A reader on a duplicate of fd 0, with fd 0 diverted to the null device; None when stdin
    is not a pipe or a terminal (a regular file: the SDK's reader then serves it)."""
    loop = asyncio.get_running_loop()
    wire = os.dup(0)
    reader = asyncio.StreamReader(limit=MAX_LINE)
    try:
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(wire, "rb", buffering=0)
        )
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            os.close(wire)
        return None
    saved = os.dup(0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return reader, transport, saved, wire


async def serve_stdio(server: Any) -> int | None:
    """Serve until stdin closes (None) or a signal arrives (the exit code: 130 or 143)."""
    from mcp.server.stdio import stdio_server

    opened = await _open_stdin()
    if opened is None:
        await server.run_stdio_async()
        return None
    reader, transport, saved, _wire = opened
    loop = asyncio.get_running_loop()
    serving = asyncio.current_task()
    assert serving is not None
    got: list[int] = []

    def stop(code: int) -> None:
        got.append(code)
        serving.cancel()

    for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        loop.add_signal_handler(sig, stop, code)
    lowlevel = server._lowlevel_server
    try:
        async with stdio_server(stdin=cast(Any, StdinLines(reader))) as (read, write):
            await lowlevel.run(read, write, lowlevel.create_initialization_options())
    except asyncio.CancelledError:
        if not got:
            raise
        serving.uncancel()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        transport.close()
        os.dup2(saved, 0)
        os.close(saved)
    return got[0] if got else None
