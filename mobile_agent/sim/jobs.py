"""Foreground jobs: a command whose stream stays open after it has printed its first output.

A job is served by the ADB layer once the command line has run: `serve(write)` runs until the
job ends by itself (returning its exit status) or until the host closes the stream, which
calls `hangup()` (the SIGHUP a real shell's children get when `adb shell` goes away).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from mobile_agent.sim.procs import ProcessTable

__all__ = ["Job", "ProcessJob", "Writer"]

Writer = Callable[[bytes], Awaitable[None]]
SIGHUP = 1


class Job(Protocol):
    async def serve(self, write: Writer) -> int: ...

    def hangup(self) -> None: ...


class ProcessJob:
    """A spawned process run in the foreground: the stream lives as long as the process."""

    def __init__(self, table: ProcessTable, pid: int) -> None:
        self.table = table
        self.pid = pid

    async def serve(self, write: Writer) -> int:
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[int] = loop.create_future()

        def settle(status: int) -> None:
            if not ended.done():
                ended.set_result(status)

        def exited(status: int) -> None:
            loop.call_soon_threadsafe(settle, status)

        self.table.on_exit(self.pid, exited)
        return await ended

    def hangup(self) -> None:
        self.table.exit(self.pid, 128 + SIGHUP)
