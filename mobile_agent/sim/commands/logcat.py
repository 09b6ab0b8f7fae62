"""The phone's log: a bounded in-memory buffer that `log` appends to and `logcat` reads.

`logcat -d` dumps and exits, `-c`/`--clear` empties the buffer, `-s TAG` / `TAG:PRIO` filterspecs
filter, `-e REGEX` keeps the lines whose message it matches, `-t N` prints the last N lines and exits, `-v FORMAT` picks the line format (Android's
default is threadtime). Plain `logcat` streams: the adb stream stays open and new lines are
written as they are logged (the follower waits on an event, no polling) until the host closes it.

`-e` runs with the `regex` package and a time bound: Python's `re` holds the GIL while it
backtracks, so `-e '(a+)+$'` against a long line of a's stalled every phone of the server for hours.
Matching one dump (or one batch of a stream) gets MATCH_BUDGET_S; past it that logcat ends with an
error, as a real phone's would only have been slow for that one client.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import regex

from mobile_agent.sim.commands.registry import Ctx, register
from mobile_agent.sim.contract import PhoneModel
from mobile_agent.sim.jobs import Writer

__all__ = ["LogBuffer", "log_buffer"]

MAX_ENTRIES = 5000
MAX_PAYLOAD = 4068  # LOGGER_ENTRY_MAX_PAYLOAD: longer messages are cut, as liblog does
PRIORITIES = "VDIWEFS"
PRIORITY_NAMES = {"verbose": "V", "debug": "D", "info": "I", "warn": "W", "error": "E", "fatal": "F"}
FORMATS = ("threadtime", "brief", "tag", "time", "raw", "process")
BUFFERS = {"main", "system", "crash", "events", "radio", "all", "default", "kernel"}
LOG_PID = 4244  # the `log` tool's process (a child of the shell)
MATCH_BUDGET_S = 2.0  # `-e` matching of one dump or one streamed batch


class RegexTooSlow(Exception):
    """The `-e` regex used up MATCH_BUDGET_S; the message is logcat's error line."""


@dataclass(frozen=True)
class Entry:
    seq: int
    when: datetime
    pid: int
    prio: str
    tag: str
    msg: str

    def line(self, fmt: str) -> str:
        stamp = self.when.strftime("%m-%d %H:%M:%S.") + f"{self.when.microsecond // 1000:03d}"
        if fmt == "brief":
            return f"{self.prio}/{self.tag:<8}({self.pid:5d}): {self.msg}"
        if fmt == "tag":
            return f"{self.prio}/{self.tag:<8}: {self.msg}"
        if fmt == "time":
            return f"{stamp} {self.prio}/{self.tag:<8}({self.pid:5d}): {self.msg}"
        if fmt == "raw":
            return self.msg
        if fmt == "process":
            return f"{self.prio}({self.pid:5d}) {self.msg}  ({self.tag})"
        return f"{stamp} {self.pid:5d} {self.pid:5d} {self.prio} {self.tag:<8}: {self.msg}"  # threadtime


def _fit(tag: str, msg: str) -> str:
    """The message as liblog keeps it: priority, tag, message and NULs fit in one 4068-byte entry."""
    room = max(0, MAX_PAYLOAD - 3 - len(tag.encode("utf-8", "surrogatepass")))
    data = msg.encode("utf-8", "surrogatepass")
    return msg if len(data) <= room else data[:room].decode("utf-8", "ignore")


class LogBuffer:
    """Entries of one phone, oldest first, at most MAX_ENTRIES; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[Entry] = deque(maxlen=MAX_ENTRIES)
        self._seq = 0
        self._listeners: set[Callable[[], object]] = set()

    def append(self, when: datetime, pid: int, prio: str, tag: str, msg: str) -> None:
        msg = _fit(tag, msg)
        with self._lock:
            self._seq += 1
            for part in msg.split("\n") if msg else [""]:
                self._entries.append(Entry(self._seq, when, pid, prio, tag, part))
            listeners = list(self._listeners)
        for notify in listeners:
            notify()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def since(self, seq: int) -> list[Entry]:
        with self._lock:
            return [e for e in self._entries if e.seq > seq]

    def subscribe(self, notify: Callable[[], object]) -> Callable[[], None]:
        """Call `notify()` (from the appending thread) on each new entry; returns the unsubscriber."""
        with self._lock:
            self._listeners.add(notify)
        return lambda: self._listeners.discard(notify)


_BUFFERS: weakref.WeakKeyDictionary[PhoneModel, LogBuffer] = weakref.WeakKeyDictionary()
_BUFFERS_LOCK = threading.Lock()


def log_buffer(phone: PhoneModel) -> LogBuffer:
    """The phone's log buffer (made on first use)."""
    with _BUFFERS_LOCK:
        buf = _BUFFERS.get(phone)
        if buf is None:
            buf = _BUFFERS[phone] = LogBuffer()
        return buf


def _now(ctx: Ctx) -> datetime:
    return ctx.phone.now()


def _priority(text: str) -> str | None:
    text = text.lower()
    if text in PRIORITY_NAMES:
        return PRIORITY_NAMES[text]
    return text.upper() if len(text) == 1 and text.upper() in PRIORITIES[:-1] else None


def cmd_log(ctx: Ctx, args: list[str]) -> int:
    prio, tag, words = "I", "log", []
    it = iter(args)
    for a in it:
        if a in ("-p", "-t", "-b"):
            value = next(it, None)
            if value is None:
                ctx.error(f"log: option requires an argument -- '{a[1]}'")
                return 1
            if a == "-p":
                got = _priority(value)
                if got is None:
                    ctx.error(f"log: bad -p '{value}'")
                    return 1
                prio = got
            elif a == "-t":
                tag = value
        else:
            words.append(a)
    lines = [" ".join(words)] if words else ctx.stdin.decode("utf-8", "replace").splitlines()
    buf = log_buffer(ctx.phone)
    for line in lines:
        buf.append(_now(ctx), LOG_PID, prio, tag, line)
    return 0


@dataclass
class Query:
    dump: bool = False
    clear: bool = False
    fmt: str = "threadtime"
    tail: int | None = None
    max_count: int | None = None
    pid: int | None = None
    regex: regex.Pattern[str] | None = None
    default: str = "V"
    specs: dict[str, str] | None = None

    def wants(self, e: Entry, deadline: float) -> bool:
        """Whether the line is shown; `RegexTooSlow` once `-e` matching passes `deadline`."""
        floor = (self.specs or {}).get(e.tag, self.default)
        if PRIORITIES.index(e.prio) < PRIORITIES.index(floor) or floor == "S":
            return False
        if self.pid is not None and e.pid != self.pid:
            return False
        if self.regex is None:
            return True
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            return self.regex.search(e.msg, timeout=left, concurrent=True) is not None
        except TimeoutError:
            raise RegexTooSlow(
                f"logcat: regex '{self.regex.pattern[:200]}' took too long (over {MATCH_BUDGET_S:g} s "
                "of matching); stopped"
            ) from None

    def select(self, entries: list[Entry]) -> tuple[list[Entry], str]:
        """The entries shown, and logcat's error line if `-e` ran out of time ('' if not)."""
        deadline = time.monotonic() + MATCH_BUDGET_S
        shown: list[Entry] = []
        for e in entries:
            try:
                if self.wants(e, deadline):
                    shown.append(e)
            except RegexTooSlow as exc:
                return shown, str(exc)
        return shown, ""


class _Usage(Exception):
    pass


LONG_OPTIONS = {"max-count": "-m", "regex": "-e", "format": "-v", "buffer": "-b"}


def _normalize(args: list[str], q: Query) -> list[str]:
    """Long options as their short forms (`--pid` sets the query directly)."""
    out: list[str] = []
    for a in args:
        name, eq, val = a[2:].partition("=")
        if not a.startswith("--"):
            out.append(a)
        elif name in ("clear", "dump") and not eq:
            out.append("-c" if name == "clear" else "-d")
        elif name == "pid" and val.isdigit():
            q.pid = int(val)
        elif name in LONG_OPTIONS and eq:
            out += [LONG_OPTIONS[name], val]
        else:
            raise _Usage(f"unrecognized option '{a}'")
    return out


def _parse(args: list[str]) -> Query:
    q = Query()
    specs: dict[str, str] = {}
    args = _normalize(args, q)
    i = 0

    def value(opt: str, rest: str) -> str:
        nonlocal i
        if rest:
            return rest
        if i >= len(args):
            raise _Usage(f"option requires an argument -- '{opt}'")
        i += 1
        return args[i - 1]

    while i < len(args):
        a = args[i]
        i += 1
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                ch = a[j]
                if ch in "dDcsg":
                    q.dump |= ch == "d"
                    q.clear |= ch == "c"
                    if ch == "s":
                        q.default = "S"
                    j += 1
                    continue
                if ch in "vtTmbe":
                    val = value(ch, a[j + 1 :])
                    if ch == "v":
                        if val not in FORMATS:
                            raise _Usage(f'Invalid parameter "{val}" to -v')
                        q.fmt = val
                    elif ch in "tT":
                        if not val.isdigit():
                            raise _Usage(f'-{ch} "{val}" not a number')
                        q.tail = int(val)
                        q.dump |= ch == "t"
                    elif ch == "m":
                        if not val.isdigit() or int(val) < 1:
                            raise _Usage(f'-m "{val}" isn\'t an integer greater than zero')
                        q.max_count = int(val)
                    elif ch == "b":
                        if any(b not in BUFFERS for b in val.split(",")):
                            raise _Usage(f"unknown buffer '{val}'")
                    else:
                        try:
                            q.regex = regex.compile(val)
                        except regex.error as exc:
                            raise _Usage(f'bad regex "{val}"') from exc
                    break
                raise _Usage(f"invalid option -- '{ch}'")
        elif not a.startswith("-"):
            tag, _, prio = a.partition(":")
            level = _priority(prio) if prio else "V"
            if prio.upper() == "S":
                level = "S"
            if not tag or level is None:
                raise _Usage(f"Invalid filter expression '{a}'")
            if tag == "*":
                q.default = level
            else:
                specs[tag] = level
    q.specs = specs
    return q


class LogFollow:
    """Plain `logcat`: print each new matching line until the host hangs up (or -m is reached)."""

    def __init__(self, buf: LogBuffer, query: Query, after: int, printed: int) -> None:
        self.buf = buf
        self.query = query
        self.after = after
        self.printed = printed

    async def serve(self, write: Writer) -> int:
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        unsubscribe = self.buf.subscribe(lambda: loop.call_soon_threadsafe(wake.set))
        try:
            while True:
                wake.clear()
                new = self.buf.since(self.after)
                if new:
                    self.after = new[-1].seq
                # off the event loop: `-e` matching may take up to MATCH_BUDGET_S
                shown, error = await loop.run_in_executor(None, self.query.select, new)
                if self.query.max_count is not None:
                    shown = shown[: self.query.max_count - self.printed]
                self.printed += len(shown)
                if shown:
                    await write("".join(e.line(self.query.fmt) + "\n" for e in shown).encode())
                if error:
                    await write(f"{error}\n".encode())
                    return 1
                if self.query.max_count is not None and self.printed >= self.query.max_count:
                    return 0
                await wake.wait()
        finally:
            unsubscribe()

    def hangup(self) -> None:
        pass


def cmd_logcat(ctx: Ctx, args: list[str]) -> int:
    try:
        q = _parse(args)
    except (_Usage, ValueError) as exc:
        ctx.error(f"logcat: {exc}")
        return 1
    buf = log_buffer(ctx.phone)
    if q.clear:
        buf.clear()
        return 0
    entries = buf.since(0)
    last = entries[-1].seq if entries else 0
    shown, error = q.select(entries)
    if q.tail is not None:
        shown = shown[-q.tail :] if q.tail else []
    if q.max_count is not None:
        shown = shown[: q.max_count]
    for e in shown:
        ctx.print(e.line(q.fmt))
    if error:
        ctx.error(error)
        return 1
    done = q.max_count is not None and len(shown) >= q.max_count
    if not (q.dump or done) and ctx.to_stream:
        ctx.shell.hang = True
        ctx.shell.job = LogFollow(buf, q, last, len(shown))
    return 0


register({"log": cmd_log, "logcat": cmd_logcat})
