"""The device side of the ADB wire protocol, over asyncio TCP.

One `AdbDeviceServer` per virtual phone. Each TCP connection (normally the host's adb server)
gets its own `AdbTransport`: CNXN handshake without AUTH, then OPEN/OKAY/WRTE/CLSE streams with
one WRTE in flight per stream. A service is an async function that receives an `AdbStream` to
read from and write to; which service runs is decided by `open_service(name)` given to the server.

A connection that sends anything malformed (bad magic, unknown command, oversized payload,
garbage before CNXN) is closed; the server keeps serving the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

A_CNXN = 0x4E584E43
A_AUTH = 0x48545541
A_OPEN = 0x4E45504F
A_OKAY = 0x59414B4F
A_WRTE = 0x45545257
A_CLSE = 0x45534C43
A_SYNC = 0x434E5953
A_STLS = 0x534C5453
KNOWN_COMMANDS = {A_CNXN, A_AUTH, A_OPEN, A_OKAY, A_WRTE, A_CLSE, A_SYNC, A_STLS}

A_VERSION = 0x01000001
MAX_PAYLOAD = 1024 * 1024
HEADER = struct.Struct("<6I")
# Data the host may queue on one stream before we consider it hostile and drop the connection.
MAX_UNREAD = 32 * 1024 * 1024
MAX_UNREAD_TOTAL = 96 * 1024 * 1024  # across all streams of one connection
MAX_STREAMS = 256  # open streams per connection; more OPENs are refused with CLSE
MAX_SERVICE_NAME = 64 * 1024

Service = Callable[["AdbStream"], Awaitable[None]]
ServiceFactory = Callable[[str], Service | None]


class StreamClosed(Exception):
    """The peer closed the stream (or the whole connection went away)."""


class ProtocolError(Exception):
    """The peer broke the protocol; the connection is dropped."""


def pack_message(command: int, arg0: int, arg1: int, data: bytes = b"", checksum: bool = True) -> bytes:
    """One ADB message: 24-byte header then the payload."""
    crc = sum(data) & 0xFFFFFFFF if checksum else 0
    return HEADER.pack(command, arg0, arg1, len(data), crc, command ^ 0xFFFFFFFF) + data


class AdbStream:
    """One logical stream inside a transport, as seen by a service."""

    def __init__(self, transport: AdbTransport, local_id: int, remote_id: int, service: str) -> None:
        self.transport = transport
        self.local_id = local_id
        self.remote_id = remote_id
        self.service = service
        self._incoming: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._unread = 0
        self._ready = asyncio.Event()  # set when the host has acknowledged our last WRTE
        self._ready.set()
        self.closed = False
        self._pending = b""

    # -- called by the transport --
    def _feed(self, data: bytes) -> None:
        self._unread += len(data)
        if self._unread > MAX_UNREAD:
            raise ProtocolError("too much unread data on a stream")
        self._incoming.put_nowait(data)

    def _acked(self) -> None:
        self._ready.set()

    def _close_from_peer(self) -> None:
        self.closed = True
        self._incoming.put_nowait(None)
        self._ready.set()

    # -- used by services --
    async def read(self) -> bytes:
        """Next chunk the host wrote; b'' once the stream is closed."""
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        if self.closed and self._incoming.empty():
            return b""
        item = await self._incoming.get()
        if item is None:
            self._incoming.put_nowait(None)  # keep later reads at EOF
            return b""
        self._unread -= len(item)
        return item

    async def read_exactly(self, n: int) -> bytes:
        """Exactly n bytes, or raise StreamClosed."""
        buf = bytearray()
        while len(buf) < n:
            chunk = await self.read()
            if not chunk:
                raise StreamClosed("stream closed while reading")
            buf += chunk
        if len(buf) > n:
            self._pending = bytes(buf[n:]) + self._pending
            del buf[n:]
        return bytes(buf)

    def unread(self, data: bytes) -> None:
        """Give bytes back so the next read returns them first."""
        if data:
            self._pending = data + self._pending

    async def write(self, data: bytes) -> None:
        """Send data as WRTEs no bigger than the host's max payload, one in flight at a time."""
        view = memoryview(data)
        step = self.transport.max_payload
        for start in range(0, len(view), step):
            await self._ready.wait()
            if self.closed:
                raise StreamClosed("stream closed while writing")
            self._ready.clear()
            await self.transport.send(
                A_WRTE, self.local_id, self.remote_id, bytes(view[start : start + step])
            )
        if not data and self.closed:
            raise StreamClosed("stream closed")

    async def drain(self) -> None:
        """Wait until the host acknowledged everything written so far."""
        await self._ready.wait()

    async def wait_closed(self) -> None:
        """Wait until the host closes the stream (input is discarded)."""
        while await self.read():
            pass

    async def close(self) -> None:
        """End the stream from our side (after the host acknowledged the last WRTE)."""
        if self.closed:
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=10)
        if self.closed:
            return
        self.closed = True
        self.transport.forget(self.local_id)
        await self.transport.send(A_CLSE, self.local_id, self.remote_id)


class AdbTransport:
    """One TCP connection from an adb host: handshake, then streams multiplexed on it."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        banner: bytes,
        open_service: ServiceFactory,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.banner = banner
        self.open_service = open_service
        self.max_payload = 4096
        self.checksum = True
        self.connected = False
        self.streams: dict[int, AdbStream] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self._next_id = 1
        self._write_lock = asyncio.Lock()
        self._dead = False

    async def send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        if self._dead:
            raise StreamClosed("connection closed")
        async with self._write_lock:
            try:
                self.writer.write(pack_message(command, arg0, arg1, data, self.checksum))
                await self.writer.drain()
            except (ConnectionError, RuntimeError) as exc:
                self._dead = True
                raise StreamClosed(str(exc)) from exc

    def forget(self, local_id: int) -> None:
        self.streams.pop(local_id, None)

    async def run(self) -> None:
        """Serve this connection until EOF or a protocol error."""
        try:
            while True:
                header = await self.reader.readexactly(HEADER.size)
                command, arg0, arg1, length, _crc, magic = HEADER.unpack(header)
                if command not in KNOWN_COMMANDS or magic != command ^ 0xFFFFFFFF:
                    raise ProtocolError(f"bad header {header.hex()}")
                if length > MAX_PAYLOAD:
                    raise ProtocolError(f"payload too large: {length}")
                data = await self.reader.readexactly(length) if length else b""
                await self._dispatch(command, arg0, arg1, data)
        except (asyncio.IncompleteReadError, ConnectionError, StreamClosed):
            pass
        except ProtocolError as exc:
            log.debug("dropping adb connection: %s", exc)
        finally:
            await self._shutdown()

    async def _dispatch(self, command: int, arg0: int, arg1: int, data: bytes) -> None:
        if command == A_CNXN:
            self.max_payload = max(256, min(arg1 or 4096, MAX_PAYLOAD))
            # Hosts at A_VERSION or later skip checksums; older ones need them.
            self.checksum = arg0 < A_VERSION
            for stream in list(self.streams.values()):
                stream._close_from_peer()
            self.streams.clear()
            self.connected = True
            await self.send(A_CNXN, A_VERSION, MAX_PAYLOAD, self.banner)
            return
        if not self.connected:
            raise ProtocolError("message before CNXN")
        if command == A_OPEN:
            await self._open(arg0, data)
        elif command == A_WRTE:
            target = self.streams.get(arg1)
            if target is None or target.remote_id != arg0:
                await self.send(A_CLSE, 0, arg0)
                return
            target._feed(data)
            if len(data) > 4096 and sum(s._unread for s in self.streams.values()) > MAX_UNREAD_TOTAL:
                raise ProtocolError("too much unread data on a connection")
            await self.send(A_OKAY, target.local_id, target.remote_id)
        elif command == A_OKAY:
            acked = self.streams.get(arg1)
            if acked is not None:
                acked._acked()
        elif command == A_CLSE:
            closed = self.streams.pop(arg1, None)
            if closed is not None:
                closed._close_from_peer()
        # AUTH, SYNC, STLS from a host: ignored.

    async def _open(self, remote_id: int, data: bytes) -> None:
        if remote_id == 0 or len(data) > MAX_SERVICE_NAME:
            raise ProtocolError("bad OPEN")
        name = data.split(b"\0", 1)[0].decode("utf-8", errors="replace")
        service = self.open_service(name) if len(self.streams) < MAX_STREAMS else None
        if service is None:
            await self.send(A_CLSE, 0, remote_id)
            return
        local_id = self._next_id
        self._next_id = self._next_id % 0x7FFFFFFF + 1
        stream = AdbStream(self, local_id, remote_id, name)
        self.streams[local_id] = stream
        await self.send(A_OKAY, local_id, remote_id)
        task = asyncio.create_task(self._run_service(service, stream))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run_service(self, service: Service, stream: AdbStream) -> None:
        try:
            await service(stream)
        except (StreamClosed, asyncio.CancelledError):
            pass
        except Exception:
            log.exception("service %r failed", stream.service)
        finally:
            with contextlib.suppress(StreamClosed, ConnectionError):
                await stream.close()

    async def _shutdown(self) -> None:
        self._dead = True
        for stream in list(self.streams.values()):
            stream._close_from_peer()
        self.streams.clear()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


def make_banner(props: dict[str, str], features: str = "shell_v2,cmd") -> bytes:
    """The CNXN banner `adb devices -l` reads product/model/device from."""
    name = props.get("ro.product.name", "virtual")
    model = props.get("ro.product.model", "Virtual_Phone").replace(" ", "_")
    device = props.get("ro.product.device", "virtual")
    return (
        f"device::ro.product.name={name};ro.product.model={model};ro.product.device={device};features={features}"
    ).encode()


class AdbDeviceServer:
    """A listening socket that serves the ADB device protocol for one phone."""

    def __init__(
        self, banner: bytes, open_service: ServiceFactory, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.banner = banner
        self.open_service = open_service
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._transports: set[AdbTransport] = set()
        self._conn_tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        """Listen; returns the bound port."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port, limit=MAX_PAYLOAD * 2)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        transport = AdbTransport(reader, writer, self.banner, self.open_service)
        self._transports.add(transport)
        task = asyncio.current_task()
        if task is not None:
            self._conn_tasks.add(task)
        try:
            await transport.run()
        except asyncio.CancelledError:
            pass  # stop(): the connection is being dropped on purpose
        finally:
            self._transports.discard(transport)
            if task is not None:
                self._conn_tasks.discard(task)

    async def stop(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
        for transport in list(self._transports):
            transport.writer.close()
        for task in list(self._conn_tasks):
            task.cancel()
        if self._conn_tasks:
            await asyncio.gather(*self._conn_tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=2)
            self._server = None
