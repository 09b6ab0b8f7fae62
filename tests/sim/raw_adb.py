"""A minimal adb host over a raw socket, to see exactly what the virtual phone sends."""

from __future__ import annotations

import socket
import struct

A_CNXN, A_OPEN, A_OKAY, A_WRTE, A_CLSE = 0x4E584E43, 0x4E45504F, 0x59414B4F, 0x45545257, 0x45534C43
HOST_BANNER = b"host::features=shell_v2,cmd\0"


class RawAdb:
    """A minimal adb host over a socket, to see exactly what the device sends."""

    def __init__(self, port: int, max_payload: int = 1024 * 1024) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.send(A_CNXN, 0x01000001, max_payload, HOST_BANNER)
        cmd, _, self.device_max, banner = self.recv()
        assert cmd == A_CNXN
        self.banner = banner

    def send(self, cmd: int, a0: int, a1: int, data: bytes = b"") -> None:
        header = struct.pack("<6I", cmd, a0, a1, len(data), sum(data) & 0xFFFFFFFF, cmd ^ 0xFFFFFFFF)
        self.sock.sendall(header + data)

    def _exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    def recv(self) -> tuple[int, int, int, bytes]:
        cmd, a0, a1, length, _crc, magic = struct.unpack("<6I", self._exact(24))
        assert magic == cmd ^ 0xFFFFFFFF
        return cmd, a0, a1, self._exact(length) if length else b""

    def close(self) -> None:
        self.sock.close()
