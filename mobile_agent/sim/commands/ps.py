"""toybox `ps`, `pidof`, `pgrep`, `pkill` and `kill`, all reading the phone's one process table.

`ps` takes the selections toybox takes (-A/-e all, -u/-U USER, -p PID, -P PPID, NAME...; several
are a union; none means this shell session) and -o FIELD[=HEADER],... / -f / -l output formats.
Only the shell user's own processes can be signalled, as on a production build.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mobile_agent.sim.commands.registry import Ctx, register
from mobile_agent.sim.procs import ADBD_PID, SIGNALS, Proc, process_table

__all__ = ["SH_PID"]

SH_PID = 4242  # what `$$` expands to in the virtual shell
PS_PID = 4243


def _rss(p: Proc) -> int:
    return 90_000 + p.pid % 1000


FIELDS: dict[str, tuple[int, Callable[[Proc], str | int]]] = {
    # name: (width, negative = left-aligned; value)
    "USER": (-12, lambda p: p.user),
    "UID": (5, lambda p: p.uid),
    "PID": (5, lambda p: p.pid),
    "PPID": (5, lambda p: p.ppid),
    "VSZ": (10, lambda p: 12_000_000 + p.pid),
    "VSIZE": (10, lambda p: 12_000_000 + p.pid),
    "RSS": (6, _rss),
    "WCHAN": (-16, lambda p: "0" if p.pid > 2 else "do_epoll_wait"),
    "ADDR": (1, lambda p: 0),
    "S": (1, lambda p: "R" if p.pid == PS_PID else "S"),
    "PRI": (3, lambda p: 19),
    "NI": (3, lambda p: 0),
    "TTY": (-8, lambda p: "pts/0" if p.pid in (SH_PID, PS_PID) else "?"),
    "TIME": (8, lambda p: "00:00:00"),
    "STIME": (5, lambda p: "09:00"),
    "C": (1, lambda p: 0),
    "NAME": (-27, lambda p: p.name),
    "CMD": (-27, lambda p: p.name),
    "COMM": (-27, lambda p: p.name),
    "ARGS": (-27, lambda p: p.cmdline),
    "CMDLINE": (-27, lambda p: p.cmdline),
    "COMMAND": (-27, lambda p: p.cmdline),
}
DEFAULT_FIELDS = ["USER", "PID", "PPID", "VSZ", "RSS", "WCHAN", "ADDR", "S", "NAME"]
FULL_FIELDS = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
LONG_FIELDS = ["S", "UID", "PID", "PPID", "C", "PRI", "NI", "ADDR", "VSZ", "WCHAN", "TTY", "TIME", "CMD"]


def _session() -> list[Proc]:
    """This `adb shell`'s own processes: the shell and `ps` itself."""
    return [
        Proc("shell", SH_PID, ADBD_PID, "sh", "/system/bin/sh -"),
        Proc("shell", PS_PID, SH_PID, "ps", "ps"),
    ]


def _all(ctx: Ctx) -> list[Proc]:
    return sorted(process_table(ctx.phone).rows(ctx.phone) + _session(), key=lambda p: p.pid)


class _Usage(Exception):
    pass


def _parse(args: list[str]) -> tuple[set[str], dict[str, list[str]], list[str]]:
    """(flags, option values by letter, operands) for toybox-style ps options."""
    flags: set[str] = set()
    values: dict[str, list[str]] = {}
    names: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if not a.startswith("-") or a == "-":
            names.append(a)
            continue
        j = 1
        while j < len(a):
            ch = a[j]
            if ch in "ouUpPtgGk":
                value = a[j + 1 :]
                if not value:
                    if i >= len(args):
                        raise _Usage(f"Missing argument to -{ch}")
                    value, i = args[i], i + 1
                values.setdefault(ch, []).extend(v for v in value.split(",") if v)
                break
            if ch not in "AaedflnwZTM":
                raise _Usage(f"Unknown option '{ch}'")
            flags.add(ch)
            j += 1
    return flags, values, names


def cmd_ps(ctx: Ctx, args: list[str]) -> int:
    try:
        flags, values, names = _parse(args)
    except _Usage as exc:
        ctx.error(f'ps: {exc} (see "ps --help")')
        return 1
    procs = _all(ctx)
    if not flags & {"A", "e"}:
        picks = []
        users = set(values.get("u", []) + values.get("U", []))
        pids = set(values.get("p", []))
        ppids = set(values.get("P", []))
        selected = users or pids or ppids or names
        for p in procs:
            if not selected:
                if p.pid in (SH_PID, PS_PID):
                    picks.append(p)
            elif (
                p.user in users
                or str(p.uid) in users
                or str(p.pid) in pids
                or str(p.ppid) in ppids
                or p.name in names
            ):
                picks.append(p)
        procs = picks
    columns: list[tuple[str, str]] = []  # (field, header)
    for spec in values.get("o", []):
        field, _, header = spec.partition("=")
        if field.upper() not in FIELDS:
            ctx.error(f"ps: bad -o {field}")
            return 1
        columns.append((field.upper(), header if "=" in spec else field.upper()))
    if not columns:
        base = FULL_FIELDS if "f" in flags else LONG_FIELDS if "l" in flags else DEFAULT_FIELDS
        columns = [(f, f) for f in base]
    if any(header for _, header in columns):
        ctx.print(_line([(f, h) for f, h in columns]).rstrip())
    for p in procs:
        ctx.print(_line([(f, str(FIELDS[f][1](p))) for f, _ in columns]).rstrip())
    return 0


def _line(cells: list[tuple[str, str]]) -> str:
    out = []
    for idx, (field, text) in enumerate(cells):
        width = FIELDS[field][0]
        last = idx == len(cells) - 1
        out.append(text if last else text.ljust(-width) if width < 0 else text.rjust(width))
    return " ".join(out)


def cmd_pidof(ctx: Ctx, args: list[str]) -> int:
    names = [a for a in args if not a.startswith("-")]
    pids = [str(p.pid) for p in reversed(_all(ctx)) if p.name in names or p.cmdline.split(" ")[0] in names]
    if not pids:
        return 1
    ctx.print(" ".join(pids))
    return 0


def _pmatch(ctx: Ctx, args: list[str], tool: str) -> tuple[list[Proc], set[str]] | None:
    flags: set[str] = set()
    users: set[str] = set()
    pattern: str | None = None
    it = iter(args)
    for a in it:
        if a in ("-u", "-U"):
            users.update(next(it, "").split(","))
        elif a.startswith("-") and len(a) > 1 and pattern is None and not a[1:].isdigit():
            flags.update(a[1:])
        elif pattern is None:
            pattern = a
    if pattern is None:
        ctx.error(f"{tool}: Needs 1 argument")
        return None
    try:
        rx = re.compile(pattern)
    except re.error:
        ctx.error(f"{tool}: bad regex '{pattern}'")
        return None
    found = []
    for p in _all(ctx):
        if p.pid == PS_PID or (users and p.user not in users and str(p.uid) not in users):
            continue
        text = p.cmdline if "f" in flags else p.name
        hit = rx.fullmatch(text) if "x" in flags else rx.search(text)
        if bool(hit) != ("v" in flags):
            found.append(p)
    if found and "n" in flags:
        found = found[-1:]
    if found and "o" in flags:
        found = found[:1]
    return found, flags


def cmd_pgrep(ctx: Ctx, args: list[str]) -> int:
    res = _pmatch(ctx, args, "pgrep")
    if res is None:
        return 2
    found, flags = res
    for p in found:
        ctx.print(f"{p.pid} {p.cmdline if 'a' in flags else p.name}" if flags & {"l", "a"} else str(p.pid))
    return 0 if found else 1


def _signal(ctx: Ctx, p: Proc | None, pid: str, sig: int, tool: str) -> bool:
    if p is None:
        ctx.error(f"{tool}: {pid}: No such process")
        return False
    if p.user != "shell" or p.pid in (ADBD_PID,):
        ctx.error(f"{tool}: {pid}: Operation not permitted")
        return False
    if sig != 0 and p.pid not in (SH_PID, PS_PID):
        process_table(ctx.phone).exit(p.pid, 128 + sig)
    return True


def _sig_number(name: str) -> int | None:
    name = name.upper().removeprefix("SIG")
    if name.isdigit():
        return int(name)
    return SIGNALS.get(name)


def cmd_kill(ctx: Ctx, args: list[str]) -> int:
    sig = SIGNALS["TERM"]
    rest = list(args)
    if rest[:1] == ["-l"]:
        ctx.print(" ".join(SIGNALS))
        return 0
    if rest[:1] == ["-s"] and len(rest) > 1:
        number = _sig_number(rest[1])
        rest = rest[2:]
    elif rest and rest[0].startswith("-") and len(rest[0]) > 1:
        number = _sig_number(rest[0][1:])
        rest = rest[1:]
    else:
        number = sig
    if number is None:
        ctx.error(f"kill: unknown signal '{args[0]}'")
        return 1
    if not rest:
        ctx.error("kill: Needs 1 argument")
        return 1
    by_pid = {str(p.pid): p for p in _all(ctx)}
    ok = True
    for a in rest:
        ok = _signal(ctx, by_pid.get(a), a, number, "kill") and ok
    return 0 if ok else 1


def cmd_pkill(ctx: Ctx, args: list[str]) -> int:
    sig = SIGNALS["TERM"]
    rest = []
    for a in args:
        number = (
            _sig_number(a[1:]) if a.startswith("-") and a[1:].upper().removeprefix("SIG") in SIGNALS else None
        )
        if number is not None:
            sig = number
        else:
            rest.append(a)
    res = _pmatch(ctx, rest, "pkill")
    if res is None:
        return 2
    found, _ = res
    found = [p for p in found if p.pid not in (SH_PID, PS_PID)]
    ok = all([_signal(ctx, p, str(p.pid), sig, "pkill") for p in found])
    return 0 if found and ok else 1


register({"ps": cmd_ps, "pidof": cmd_pidof, "pgrep": cmd_pgrep, "pkill": cmd_pkill, "kill": cmd_kill})
