"""The `sync:` service (adb push / pull / stat / ls), protocol v1, on the phone's VirtualFS.

Requests are `id(4) + length(4 LE)` then `length` bytes; several may arrive in one WRTE, so the
stream is read as a byte stream. Replies are packed into WRTEs up to the host's max payload.
"""

from __future__ import annotations

import posixpath
import struct
import time

from mobile_agent.sim.adb_server import AdbStream, StreamClosed
from mobile_agent.sim.contract import PhoneModel
from mobile_agent.sim.fs import FSError

SYNC_DATA_MAX = 64 * 1024
MAX_PATH = 1024
# A pushed file is held in memory until DONE: cap it so a hostile client cannot exhaust RAM.
MAX_PUSH_BYTES = 512 * 1024 * 1024

REQ = struct.Struct("<4sI")
STAT_REPLY = struct.Struct("<4sIII")
DENT = struct.Struct("<4sIIII")


class SyncFail(Exception):
    """Reply FAIL with this message, then keep the sync session going."""


class SyncAbort(Exception):
    """The host broke the protocol: end the session."""


class _Out:
    """Reply buffer flushed in WRTEs no bigger than the host's max payload."""

    def __init__(self, stream: AdbStream) -> None:
        self.stream = stream
        self.buf = bytearray()

    async def put(self, data: bytes) -> None:
        self.buf += data
        limit = self.stream.transport.max_payload
        if len(self.buf) >= limit:
            chunk = bytes(self.buf[:limit])
            del self.buf[:limit]
            await self.stream.write(chunk)

    async def flush(self) -> None:
        if self.buf:
            data = bytes(self.buf)
            self.buf.clear()
            await self.stream.write(data)


async def sync_service(stream: AdbStream, phone: PhoneModel) -> None:
    """Serve sync requests until QUIT or the host closes the stream."""
    out = _Out(stream)
    try:
        while True:
            try:
                header = await stream.read_exactly(8)
            except StreamClosed:
                return
            cmd, length = REQ.unpack(header)
            if cmd == b"QUIT":
                await out.flush()
                return
            if cmd not in (b"STAT", b"LIST", b"RECV", b"SEND") or length > MAX_PATH:
                await _fail(out, f"unknown or malformed sync request {cmd!r}")
                await out.flush()
                return
            path = (await stream.read_exactly(length)).decode("utf-8", errors="replace")
            try:
                if cmd == b"STAT":
                    await _stat(out, phone, path)
                elif cmd == b"LIST":
                    await _list(out, phone, path)
                elif cmd == b"RECV":
                    await _recv(out, phone, path)
                else:
                    await _send(stream, out, phone, path)
            except SyncFail as exc:
                await _fail(out, str(exc))
            # Each request's reply is complete: the host waits for it before the next one.
            await out.flush()
    except SyncAbort as exc:
        await _fail(out, str(exc))
        await out.flush()


async def _fail(out: _Out, message: str) -> None:
    data = message.encode()
    await out.put(REQ.pack(b"FAIL", len(data)) + data)


async def _stat(out: _Out, phone: PhoneModel, path: str) -> None:
    with phone.lock:
        st = phone.fs.stat(path)
    if st is None:
        await out.put(STAT_REPLY.pack(b"STAT", 0, 0, 0))
    else:
        size = 4096 if st.mode & 0o040000 else len(st.data)
        await out.put(STAT_REPLY.pack(b"STAT", st.mode, size & 0xFFFFFFFF, st.mtime or int(time.time())))


async def _list(out: _Out, phone: PhoneModel, path: str) -> None:
    with phone.lock:
        fs = phone.fs
        entries = []
        if fs.is_dir(path):
            for name in [".", "..", *fs.listdir(path)]:
                st = fs.stat(posixpath.join(path, name)) if name not in (".", "..") else fs.stat(path)
                if st is None:
                    continue
                size = 4096 if st.mode & 0o040000 else len(st.data)
                entries.append((name.encode(), st.mode, size, st.mtime or int(time.time())))
    for raw, mode, size, mtime in entries:
        await out.put(DENT.pack(b"DENT", mode, size & 0xFFFFFFFF, mtime, len(raw)) + raw)
    await out.put(DENT.pack(b"DONE", 0, 0, 0, 0))


async def _recv(out: _Out, phone: PhoneModel, path: str) -> None:
    with phone.lock:
        try:
            data = bytes(phone.fs.read(path))
        except FSError as exc:
            raise SyncFail(f"open failed: {str(exc).split(': ', 1)[-1]}") from exc
    view = memoryview(data)
    for start in range(0, len(view), SYNC_DATA_MAX):
        chunk = view[start : start + SYNC_DATA_MAX]
        await out.put(REQ.pack(b"DATA", len(chunk)) + bytes(chunk))
    await out.put(REQ.pack(b"DONE", 0))


async def _send(stream: AdbStream, out: _Out, phone: PhoneModel, spec: str) -> None:
    path, _, mode_text = spec.rpartition(",")
    if not path:
        path, mode_text = spec, "33188"
    try:
        mode = int(mode_text)
    except ValueError:
        mode = 0o100644
    if not 0 <= mode <= 0o177777:  # not a mode_t: a STAT or LIST of the file could not be packed
        mode = 0o100644
    parts: list[bytes] = []
    total = 0
    mtime = int(time.time())
    while True:
        cmd, length = REQ.unpack(await stream.read_exactly(8))
        if cmd == b"DATA":
            if length > SYNC_DATA_MAX:
                raise SyncAbort("data chunk too large")
            total += length
            if total > MAX_PUSH_BYTES:
                raise SyncAbort("file too large for the virtual phone")
            parts.append(await stream.read_exactly(length))
        elif cmd == b"DONE":
            mtime = length
            break
        else:
            raise SyncAbort(f"unexpected {cmd!r} during SEND")
    if mode & 0o170000 == 0o120000:  # symlink: store the target as the file's content
        mode = 0o100644
    mode = 0o100000 | (mode & 0o7777)  # adbd creates a regular file, whatever type the host sent
    with phone.lock:
        fs = phone.fs
        try:
            parent = posixpath.dirname(posixpath.normpath("/" + path.lstrip("/")))
            if not fs.is_dir(parent):
                fs.mkdir(parent, parents=True)
            fs.write(path, b"".join(parts), mode=mode, mtime=mtime)
        except FSError as exc:
            raise SyncFail(f"couldn't create file: {str(exc).split(': ', 1)[-1]}") from exc
    await out.put(REQ.pack(b"OKAY", 0))
