"""The command registry the shell reads, and what a command sees (`Ctx`).

Each module of `mobile_agent.sim.commands` registers its commands here when it is imported (the
package imports them all); the shell looks names up in `all_commands()` and never imports a
command module, so commands and shell depend on this module and not on each other. A command is
`f(ctx, args) -> exit code`, run while the shell holds `phone.lock`.
"""

from __future__ import annotations

import posixpath
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from mobile_agent.sim.contract import PhoneModel
from mobile_agent.sim.fs import VirtualFS, normalize

__all__ = [
    "MAX_SLEEP_S",
    "SHELL",
    "Command",
    "Ctx",
    "ExitShell",
    "ShellLike",
    "ShellResult",
    "all_commands",
    "register",
    "sleep_bounded",
    "split_flags",
]

MAX_SLEEP_S = 5.0
SHELL = "/system/bin/sh"


class ExitShell(Exception):
    """`exit N` ends the whole command line."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class ShellResult:
    chunks: list[tuple[int, bytes]]  # (1 stdout | 2 stderr, data) in order
    code: int
    hang: bool = False  # a foreground server was started: keep the stream open until the host closes it
    job: Any = None  # what serves the stream then (jobs.Job), if anything

    @property
    def stdout(self) -> bytes:
        return b"".join(d for fd, d in self.chunks if fd == 1)

    @property
    def stderr(self) -> bytes:
        return b"".join(d for fd, d in self.chunks if fd == 2)

    @property
    def merged(self) -> bytes:
        return b"".join(d for _, d in self.chunks)


class ShellLike(Protocol):
    """What a command may use of the shell that runs it (`mobile_agent.sim.shell.Shell`)."""

    phone: PhoneModel
    commands: dict[str, Command]
    vars: dict[str, str]
    cwd: str
    status: int
    depth: int
    hang: bool
    job: Any
    touch: dict[str, tuple[int, int]]  # `input motionevent` DOWN point, until its UP

    def invoke(self, ctx: Ctx, argv: list[str]) -> int:
        """Run one command in this shell (`exec`, `nohup`)."""
        ...

    def child(self) -> ShellLike:
        """A new `sh` for a script (`sh -c`, `.`): same commands and cwd, one level deeper."""
        ...

    def run(self, line: str, stdin: bytes = b"") -> ShellResult: ...


@dataclass
class Ctx:
    """One command's view: its arguments' environment, stdin, and where it writes."""

    shell: ShellLike
    stdin: bytes
    env: dict[str, str]
    out: bytearray = field(default_factory=bytearray)
    err: bytearray = field(default_factory=bytearray)
    to_stream: bool = True  # stdout goes to the adb stream (not a pipe or a file)

    def print(self, text: str = "", end: str = "\n") -> None:
        self.out += (text + end).encode()

    def error(self, text: str, end: str = "\n") -> None:
        self.err += (text + end).encode()

    @property
    def phone(self) -> PhoneModel:
        return self.shell.phone

    @property
    def fs(self) -> VirtualFS:
        return self.shell.phone.fs

    def path(self, p: str) -> str:
        return normalize(p if p.startswith("/") else posixpath.join(self.shell.cwd, p))


Command = Callable[[Ctx, list[str]], int]

_COMMANDS: dict[str, Command] = {}


def register(commands: Mapping[str, Command]) -> None:
    """Add commands by name; a name registered twice is a bug (two modules claim it)."""
    for name, func in commands.items():
        if name in _COMMANDS and _COMMANDS[name] is not func:
            raise ValueError(f"command {name!r} registered twice")
        _COMMANDS[name] = func


def commands_of(namespace: Mapping[str, Any]) -> dict[str, Command]:
    """The `cmd_NAME` functions a module defines (not those it imports), by NAME."""
    module = namespace["__name__"]
    return {
        name[4:]: func
        for name, func in namespace.items()
        if name.startswith("cmd_") and callable(func) and func.__module__ == module
    }


def all_commands() -> dict[str, Command]:
    """Every registered command (the `mobile_agent.sim.commands` package registers them all)."""
    return dict(_COMMANDS)


def split_flags(args: list[str], known: str) -> tuple[set[str], list[str]]:
    """Split `-rf` style flags (only letters in `known`) from operands."""
    flags: set[str] = set()
    rest: list[str] = []
    it = iter(args)
    for a in it:
        if a == "--":
            rest.extend(it)
            break
        if a.startswith("-") and len(a) > 1 and all(ch in known for ch in a[1:]):
            flags.update(a[1:])
        else:
            rest.append(a)
    return flags, rest


def sleep_bounded(seconds: float) -> None:
    """`sleep` never blocks a worker for long."""
    time.sleep(max(0.0, min(seconds, MAX_SLEEP_S)))
