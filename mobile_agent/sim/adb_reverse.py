"""`reverse:` (what `adb reverse` opens on the device): the device's list of reverse forwards.

adbd answers `reverse:forward:[norebind:]REMOTE;LOCAL`, `reverse:killforward:REMOTE`,
`reverse:killforward-all` with `OKAY` (or `FAIL` + a length-prefixed message), and
`reverse:list-forward` with one length-prefixed block of `(reverse) REMOTE LOCAL` lines
(the host adb server adds its own first OKAY). Only the bookkeeping is modelled: nothing on the
virtual phone connects to these sockets, so no connection is carried back to the host.
"""

from __future__ import annotations

import re
import threading

from mobile_agent.sim.adb_server import AdbStream

__all__ = ["ReverseTable", "reverse_service"]

SPEC = re.compile(r"tcp:\d{1,5}|local(abstract|reserved|filesystem):[^;\s]+|jdwp:\d+|vsock:\d+:\d+")
FIRST_FREE_PORT = 38_000
MAX_REVERSES = 256


def _valid(spec: str) -> bool:
    """A socket spec adbd parses (a tcp port is 0-65535)."""
    return SPEC.fullmatch(spec) is not None and (not spec.startswith("tcp:") or int(spec[4:]) <= 65535)


def _block(text: str) -> bytes:
    data = text.encode()
    return f"{len(data):04x}".encode() + data


def _fail(message: str) -> bytes:
    return b"FAIL" + _block(message)


class ReverseTable:
    """Reverse forwards of one phone, in the order they were made."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, str] = {}
        self._next_port = FIRST_FREE_PORT

    def handle(self, command: str) -> bytes:
        """The device's reply to one `reverse:` command."""
        with self._lock:
            if command == "list-forward":
                return _block("".join(f"(reverse) {r} {loc}\n" for r, loc in self._items.items()))
            if command == "killforward-all":
                self._items.clear()
                return b"OKAY"
            if command.startswith("killforward:"):
                remote = command[len("killforward:") :]
                if self._items.pop(remote, None) is None:
                    return _fail(f"listener '{remote}' not found")
                return b"OKAY"
            if command.startswith("forward:"):
                return self._forward(command[len("forward:") :])
        return _fail(f"unknown reverse command '{command}'")

    def _forward(self, spec: str) -> bytes:
        norebind = spec.startswith("norebind:")
        spec = spec.removeprefix("norebind:")
        remote, sep, local = spec.partition(";")
        if not sep or not _valid(remote) or not _valid(local):
            return _fail(f"cannot bind listener: bad socket specification '{spec}'")
        if norebind and remote in self._items:
            return _fail("cannot rebind existing socket")
        if remote not in self._items and len(self._items) >= MAX_REVERSES:
            return _fail("cannot bind listener: too many listeners")
        reply = b"OKAY"
        if remote == "tcp:0":  # the device picks a free port (one no reverse holds) and says which
            while f"tcp:{self._next_port}" in self._items:
                self._next_port += 1
            remote = f"tcp:{self._next_port}"
            self._next_port = FIRST_FREE_PORT if self._next_port >= 65535 else self._next_port + 1
            reply += _block(remote[4:])
        self._items[remote] = local
        return reply


async def reverse_service(stream: AdbStream, table: ReverseTable, command: str) -> None:
    await stream.write(table.handle(command))
    await stream.drain()
