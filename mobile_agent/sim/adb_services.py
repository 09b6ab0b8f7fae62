"""Which service answers an ADB OPEN, and the shell services' framing.

- `shell:CMD` and `exec:CMD`: raw bytes, stderr merged into stdout in order, no exit code.
- `shell,v2,...:CMD`: shell protocol v2 packets (id 1 stdout, 2 stderr, 3 exit code).
- `framebuffer:`: the raw screen (framebuffer.py); `reverse:`: `adb reverse` (adb_reverse.py).
- `sync:`: file transfer (sync.py).  `tcp:9008`: uiautomator2's HTTP JSON-RPC (u2rpc.py), while
  its server process runs (procs.py).
- a command that leaves a foreground job (jobs.py: a server, `logcat`) keeps its stream open.
- anything else: refused (the transport answers CLSE).

Shell commands run in a worker thread (the emulator is synchronous and may render a screen),
so one phone's slow command never stalls the others that share the event loop.
"""

from __future__ import annotations

import asyncio
import struct
from concurrent.futures import Executor

from mobile_agent.sim.adb_reverse import ReverseTable, reverse_service
from mobile_agent.sim.adb_server import AdbStream, Service
from mobile_agent.sim.commands.registry import ShellResult
from mobile_agent.sim.contract import PhoneModel
from mobile_agent.sim.framebuffer import framebuffer_service
from mobile_agent.sim.procs import process_table
from mobile_agent.sim.shell import Shell
from mobile_agent.sim.sync import sync_service
from mobile_agent.sim.u2rpc import U2Rpc, u2_service

U2_PORT = 9008
V2_STDIN, V2_STDOUT, V2_STDERR, V2_EXIT, V2_CLOSE_STDIN, V2_WINDOW = range(6)
MAX_INTERACTIVE_LINE = 64 * 1024


def _v2_packet(kind: int, data: bytes) -> bytes:
    return struct.pack("<BI", kind, len(data)) + data


class PhoneServices:
    """Turns service names into coroutines bound to one phone."""

    def __init__(self, phone: PhoneModel, executor: Executor | None = None) -> None:
        self.phone = phone
        self.executor = executor
        self.u2 = U2Rpc(phone)
        self.reverses = ReverseTable()
        self._prerendering = False

    def open(self, name: str) -> Service | None:
        if name.startswith("shell"):
            head, sep, cmd = name.partition(":")
            if not sep:
                return None
            opts = head.split(",")[1:]
            v2 = "v2" in opts
            pty = "pty" in opts or (not cmd and "raw" not in opts)
            return lambda s: self._shell(s, cmd, v2=v2, interactive=not cmd, pty=pty)
        if name.startswith("exec:"):
            cmd = name[5:]
            return lambda s: self._shell(s, cmd, v2=False, interactive=False, pty=False)
        if name in ("root:", "unroot:"):
            return lambda s: s.write(b"adbd cannot run as root in production builds\n")
        if name == "sync:":
            return lambda s: sync_service(s, self.phone)
        if name == "framebuffer:":
            return lambda s: framebuffer_service(s, self.phone, self.executor)
        if name.startswith("reverse:"):
            command = name[len("reverse:") :]
            return lambda s: reverse_service(s, self.reverses, command)
        if name in (f"tcp:{U2_PORT}", f"tcp:localhost:{U2_PORT}", f"tcp:127.0.0.1:{U2_PORT}"):
            if process_table(self.phone).find("u2") is None:
                return None  # nothing listens on the port: the connection is refused
            return lambda s: u2_service(s, self.u2, self.executor)
        return None

    async def run_line(self, shell: Shell, line: str) -> ShellResult:
        loop = asyncio.get_running_loop()
        before = self.phone.version
        result = await loop.run_in_executor(self.executor, shell.run, line)
        if self.phone.version != before:
            self._prerender(loop)
        return result

    def _prerender(self, loop: asyncio.AbstractEventLoop) -> None:
        """After input changed the screen, encode the new frame at once: a driver asks for it next."""
        if self._prerendering:
            return
        self._prerendering = True

        def render() -> None:
            try:
                with self.phone.lock:
                    self.phone.screenshot_png()
            except Exception:
                pass  # the screencap that follows reports the phone's error
            finally:
                self._prerendering = False

        loop.run_in_executor(self.executor, render)

    async def _shell(self, stream: AdbStream, cmd: str, v2: bool, interactive: bool, pty: bool) -> None:
        shell = Shell(self.phone)
        if interactive:
            await self._interactive(stream, shell, v2, pty)
            return
        result = await self.run_line(shell, cmd)
        if result.job is not None:
            await self._foreground(stream, result, v2)
            return
        if v2:
            packets = b"".join(_v2_packet(fd, data) for fd, data in result.chunks if data)
            if packets:
                await stream.write(packets)
            if result.hang:
                await stream.wait_closed()
                return
            await stream.write(_v2_packet(V2_EXIT, bytes([result.code & 0xFF])))
        else:
            data = result.merged
            if data:
                await stream.write(data)
            if result.hang:
                await stream.wait_closed()
                return
        await stream.drain()

    async def _foreground(self, stream: AdbStream, result: ShellResult, v2: bool) -> None:
        """Output so far, then the job's, until it ends (exit code sent) or the host hangs up."""

        async def write(data: bytes) -> None:
            await stream.write(_v2_packet(V2_STDOUT, data) if v2 else data)

        for fd, data in result.chunks:
            if data:
                await stream.write(_v2_packet(fd, data) if v2 else data)
        job = result.job
        serving = asyncio.create_task(job.serve(write))
        hung_up = asyncio.create_task(stream.wait_closed())
        try:
            await asyncio.wait({serving, hung_up}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (serving, hung_up):
                task.cancel()
            await asyncio.gather(serving, hung_up, return_exceptions=True)
        if serving.cancelled() or serving.exception() is not None:
            job.hangup()
            return
        if v2:
            await stream.write(_v2_packet(V2_EXIT, bytes([serving.result() & 0xFF])))
        await stream.drain()

    async def _interactive(self, stream: AdbStream, shell: Shell, v2: bool, pty: bool) -> None:
        """A minimal line-mode shell: one command per line, `exit` ends it."""
        device = self.phone.props.get("ro.product.device", "virtual")
        prompt = f"{device}:/ $ ".encode() if pty else b""  # mksh prompts only on a terminal

        async def emit(kind: int, data: bytes) -> None:
            if pty:
                data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            if data:
                await stream.write(_v2_packet(kind, data) if v2 else data)

        await emit(V2_STDOUT, prompt)
        pending = bytearray()
        raw = bytearray()
        while True:
            chunk = await stream.read()
            if not chunk:
                return
            if v2:
                raw += chunk
                data = bytearray()
                while len(raw) >= 5:
                    kind, length = struct.unpack("<BI", raw[:5])
                    if len(raw) < 5 + length:
                        break
                    if kind == V2_STDIN:
                        data += raw[5 : 5 + length]
                    elif kind == V2_CLOSE_STDIN:
                        data += b"\nexit\n"
                    del raw[: 5 + length]
                if len(raw) > MAX_INTERACTIVE_LINE + 5:
                    return
            else:
                data = bytearray(chunk)
            if pty:
                await emit(V2_STDOUT, bytes(data).replace(b"\r", b"\n"))  # terminal echo
            pending += bytes(data).replace(b"\r", b"\n")
            if len(pending) > MAX_INTERACTIVE_LINE:
                return
            while b"\n" in pending:
                line, _, rest = bytes(pending).partition(b"\n")
                pending = bytearray(rest)
                text = line.decode("utf-8", errors="replace").strip()
                if text in ("exit", "logout") or text.startswith("exit "):
                    code = (
                        int(text.split()[1])
                        if text.startswith("exit ") and text.split()[1].isdecimal()
                        else shell.status
                    )
                    if v2:
                        await stream.write(_v2_packet(V2_EXIT, bytes([code & 0xFF])))
                    return
                if text:
                    result = await self.run_line(shell, text)
                    for fd, out in result.chunks:
                        await emit(fd if v2 else V2_STDOUT, out)
                await emit(V2_STDOUT, prompt)
