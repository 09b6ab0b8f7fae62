"""toybox's text tools: grep, head, tail, wc, sort (reading files or stdin)."""

from __future__ import annotations

import re

from mobile_agent.sim.commands.registry import (
    Ctx,
    commands_of,
    register,
    split_flags,
)
from mobile_agent.sim.fs import FSError

__all__ = ["cmd_grep", "cmd_head", "cmd_sort", "cmd_tail", "cmd_wc"]

# ---------------------------------------------------------------- text filters


def _input_lines(ctx: Ctx, paths: list[str]) -> list[str] | None:
    if not paths:
        return ctx.stdin.decode("utf-8", errors="replace").splitlines()
    lines: list[str] = []
    for p in paths:
        try:
            lines.extend(ctx.fs.read(ctx.path(p)).decode("utf-8", errors="replace").splitlines())
        except FSError:
            ctx.error(f"{p}: No such file or directory")
            return None
    return lines


def cmd_grep(ctx: Ctx, args: list[str]) -> int:
    flags: set[str] = set()
    patterns: list[str] = []
    rest: list[str] = []
    it = iter(args)
    for a in it:
        if a == "-e":
            patterns.append(next(it, ""))
        elif a.startswith("-") and len(a) > 1 and not rest and not (patterns and a == "-"):
            flags.update(a[1:])
        else:
            rest.append(a)
    if not patterns:
        if not rest:
            ctx.error("grep: no pattern")
            return 2
        patterns.append(rest.pop(0))
    lines = _input_lines(ctx, rest)
    if lines is None:
        return 2
    reflags = re.IGNORECASE if "i" in flags else 0
    try:
        if "F" in flags:
            regs = [re.compile(re.escape(p), reflags) for p in patterns]
        else:
            regs = [re.compile(p if "E" in flags else _bre_to_ere(p), reflags) for p in patterns]
    except re.error:
        ctx.error("grep: bad regex")
        return 2
    matched = [ln for ln in lines if any(r.search(ln) for r in regs) != ("v" in flags)]
    if "q" in flags:
        return 0 if matched else 1
    if "c" in flags:
        ctx.print(str(len(matched)))
    else:
        for ln in matched:
            ctx.print(ln)
    return 0 if matched else 1


def _bre_to_ere(p: str) -> str:
    """Basic regex: `\\|` is alternation, bare `|+?(){}` are literals."""
    out = []
    i = 0
    while i < len(p):
        c = p[i]
        if c == "\\" and i + 1 < len(p):
            n = p[i + 1]
            out.append(n if n in "|+?(){}" else "\\" + n)
            i += 2
            continue
        out.append("\\" + c if c in "|+?(){}" else c)
        i += 1
    return "".join(out)


def _count_arg(args: list[str], default: int = 10) -> tuple[int, list[str]]:
    n = default
    rest: list[str] = []
    it = iter(args)
    for a in it:
        if a == "-n":
            value = next(it, str(default))
            digits = value.lstrip("+-")
            if digits and not digits.isdecimal():
                raise FSError(f"not integer: {value}")  # toybox's message; exit status 1
            n = int(digits or default)
        elif re.fullmatch(r"-n?\d+", a):
            n = int(a.lstrip("-n"))
        else:
            rest.append(a)
    return n, rest


def cmd_head(ctx: Ctx, args: list[str]) -> int:
    n, paths = _count_arg(args)
    lines = _input_lines(ctx, paths)
    if lines is None:
        return 1
    for ln in lines[:n]:
        ctx.print(ln)
    return 0


def cmd_tail(ctx: Ctx, args: list[str]) -> int:
    n, paths = _count_arg(args)
    lines = _input_lines(ctx, paths)
    if lines is None:
        return 1
    for ln in lines[-n:] if n else []:
        ctx.print(ln)
    return 0


def cmd_wc(ctx: Ctx, args: list[str]) -> int:
    flags, paths = split_flags(args, "lwc")
    data = ctx.fs.read(ctx.path(paths[0])) if paths else ctx.stdin
    counts = {"l": data.count(b"\n"), "w": len(data.split()), "c": len(data)}
    shown = [str(counts[k]) for k in "lwc" if k in flags] or [str(counts[k]) for k in "lwc"]
    ctx.print(" ".join(shown) + (f" {paths[0]}" if paths else ""))
    return 0


def _numeric_prefix(line: str) -> float:
    """`sort -n`'s key: the leading number (0 when there is none)."""
    m = re.match(r"\s*(-?\d+(\.\d+)?)", line)
    return float(m.group(1)) if m else 0.0


def cmd_sort(ctx: Ctx, args: list[str]) -> int:
    flags, paths = split_flags(args, "rnu")
    lines = _input_lines(ctx, paths) or []
    unique = sorted(set(lines)) if "u" in flags else lines
    if "n" in flags:
        lines = sorted(unique, key=_numeric_prefix, reverse="r" in flags)
    else:
        lines = sorted(unique, reverse="r" in flags)
    for ln in lines:
        ctx.print(ln)
    return 0


register(commands_of(globals()))
