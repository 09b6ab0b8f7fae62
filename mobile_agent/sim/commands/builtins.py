"""Shell built-ins and the small toybox tools: true/false/exit, echo/printf, sleep, id, date,
uname, cd/pwd/export/env/which, test, and the dispatchers (`toybox`, `sh`, `.`, `nohup`, `exec`).

Messages and exit codes are what toybox and mksh print on a real phone."""

from __future__ import annotations

import re
from datetime import datetime

from mobile_agent.sim.commands.registry import (
    SHELL,
    Ctx,
    ExitShell,
    commands_of,
    register,
    sleep_bounded,
)
from mobile_agent.sim.fs import FSError

__all__ = [
    "SHELL_ONLY",
    "TOYBOX_APPLETS",
    "cmd_cd",
    "cmd_date",
    "cmd_echo",
    "cmd_env",
    "cmd_exec",
    "cmd_exit",
    "cmd_export",
    "cmd_false",
    "cmd_getenforce",
    "cmd_id",
    "cmd_nohup",
    "cmd_printf",
    "cmd_pwd",
    "cmd_sh",
    "cmd_sleep",
    "cmd_test",
    "cmd_toybox",
    "cmd_true",
    "cmd_uname",
    "cmd_which",
    "cmd_whoami",
]

# ---------------------------------------------------------------- trivial


def cmd_true(ctx: Ctx, args: list[str]) -> int:
    return 0


def cmd_false(ctx: Ctx, args: list[str]) -> int:
    return 1


def cmd_exit(ctx: Ctx, args: list[str]) -> int:
    code = ctx.shell.status
    if args:
        try:
            code = int(args[0])
        except ValueError:
            ctx.error(f"{SHELL}: exit: {args[0]}: bad number")
            code = 1
    raise ExitShell(code)


def cmd_echo(ctx: Ctx, args: list[str]) -> int:
    newline, escapes = True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        newline = newline and "n" not in args[0]
        escapes = "e" in args[0] or (escapes and "E" not in args[0])
        args = args[1:]
    text = " ".join(args)
    if not escapes:
        ctx.print(text, end="\n" if newline else "")
        return 0
    # unicode_escape reads bytes as Latin-1: map those chars back to the bytes they came from
    # (UTF-8 text stays UTF-8, `\xNN` is the raw byte), anything wider as UTF-8.
    decoded = text.encode("utf-8").decode("unicode_escape", errors="replace")
    ctx.out += b"".join(bytes([ord(ch)]) if ord(ch) < 256 else ch.encode("utf-8") for ch in decoded)
    ctx.out += b"\n" if newline else b""
    return 0


def cmd_printf(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.error("printf: Need 1 argument")
        return 1
    fmt, rest = args[0], args[1:]
    fmt = fmt.replace("\\n", "\n").replace("\\t", "\t")
    try:
        text = fmt % tuple(rest) if "%" in fmt else fmt
    except (TypeError, ValueError):
        text = fmt
    ctx.out += text.encode()
    return 0


def cmd_sleep(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.error("sleep: Needs 1 argument")
        return 1
    try:
        sleep_bounded(float(args[0].rstrip("s")))
    except ValueError:
        ctx.error(f"sleep: invalid number '{args[0]}'")
        return 1
    return 0


def cmd_id(ctx: Ctx, args: list[str]) -> int:
    if "-u" in args:
        ctx.print("2000")
        return 0
    ctx.print(
        "uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),"
        "1015(sdcard_rw),1028(sdcard_r),1078(ext_data_rw),1079(ext_obb_rw),3001(net_bt_admin),"
        "3002(net_bt),3003(inet),3006(net_bw_stats),3009(readproc),3011(uhid),3012(readtracefs) "
        "context=u:r:shell:s0"
    )
    return 0


def cmd_whoami(ctx: Ctx, args: list[str]) -> int:
    ctx.print("shell")
    return 0


def _now(ctx: Ctx) -> datetime:
    return ctx.phone.now()


def cmd_date(ctx: Ctx, args: list[str]) -> int:
    now = _now(ctx)
    fmt = next((a[1:] for a in args if a.startswith("+")), None)
    if fmt is None:
        ctx.print(now.strftime("%a %b %e %H:%M:%S ") + (now.strftime("%Z") or "UTC") + now.strftime(" %Y"))
        return 0
    fmt = fmt.replace("%s", str(int(now.timestamp()))).replace("%N", f"{now.microsecond * 1000:09d}")
    ctx.print(now.strftime(fmt))
    return 0


def cmd_getenforce(ctx: Ctx, args: list[str]) -> int:
    ctx.print("Enforcing")
    return 0


def cmd_uname(ctx: Ctx, args: list[str]) -> int:
    if "-a" in args:
        ctx.print(
            "Linux localhost 6.1.23-android14-4-00257-g7e35917775b8 #1 SMP PREEMPT Mon Jan 1 00:00:00 UTC 2024 x86_64 Toybox"
        )
    elif "-m" in args:
        ctx.print("x86_64")
    elif "-r" in args:
        ctx.print("6.1.23-android14-4-00257-g7e35917775b8")
    else:
        ctx.print("Linux")
    return 0


def cmd_pwd(ctx: Ctx, args: list[str]) -> int:
    ctx.print(ctx.shell.cwd)
    return 0


def cmd_cd(ctx: Ctx, args: list[str]) -> int:
    target = ctx.path(args[0]) if args else "/"
    if not ctx.fs.is_dir(target):
        ctx.error(f"{SHELL}: cd: {target}: No such file or directory")
        return 2
    ctx.shell.cwd = target
    return 0


def cmd_export(ctx: Ctx, args: list[str]) -> int:
    for a in args:
        if "=" in a:
            k, v = a.split("=", 1)
            ctx.shell.vars[k] = v
    return 0


def cmd_env(ctx: Ctx, args: list[str]) -> int:
    for k, v in sorted(ctx.env.items()):
        ctx.print(f"{k}={v}")
    return 0


def cmd_which(ctx: Ctx, args: list[str]) -> int:
    code = 0
    for a in args:
        if a in ctx.shell.commands and a not in SHELL_ONLY:
            ctx.print(f"/system/bin/{a}")
        else:
            code = 1
    return code


SHELL_ONLY = {"cd", "exit", "export", "true", "false", "[", "test", "pwd"}


def cmd_test(ctx: Ctx, args: list[str]) -> int:
    if args and args[-1] == "]":
        args = args[:-1]
    neg = False
    if args and args[0] == "!":
        neg, args = True, args[1:]
    result: bool
    if not args:
        result = False
    elif len(args) == 1:
        result = args[0] != ""
    elif len(args) == 2:
        op, val = args
        p = ctx.path(val) if val else ""
        tests = {
            "-z": lambda: val == "",
            "-n": lambda: val != "",
            "-e": lambda: bool(val) and ctx.fs.exists(p),
            "-f": lambda: bool(val) and ctx.fs.exists(p) and not ctx.fs.is_dir(p),
            "-d": lambda: bool(val) and ctx.fs.is_dir(p),
            "-s": lambda: bool(val) and ctx.fs.exists(p) and not ctx.fs.is_dir(p) and bool(ctx.fs.read(p)),
            "-r": lambda: bool(val) and ctx.fs.exists(p),
            "-w": lambda: bool(val) and ctx.fs.exists(p),
            "-x": lambda: bool(val) and ctx.fs.is_dir(p),
        }
        if op not in tests:
            ctx.error(f"test: unknown operator {op}")
            return 2
        result = tests[op]()
    elif len(args) == 3:
        a, op, b = args
        try:
            nums = {
                "-eq": lambda: int(a) == int(b),
                "-ne": lambda: int(a) != int(b),
                "-lt": lambda: int(a) < int(b),
                "-le": lambda: int(a) <= int(b),
                "-gt": lambda: int(a) > int(b),
                "-ge": lambda: int(a) >= int(b),
            }
            if op in ("=", "=="):
                result = a == b
            elif op == "!=":
                result = a != b
            elif op in nums:
                result = nums[op]()
            else:
                ctx.error(f"test: unknown operator {op}")
                return 2
        except ValueError:
            ctx.error("test: bad number")
            return 2
    else:
        ctx.error("test: too many arguments")
        return 2
    return 0 if result != neg else 1


# ---------------------------------------------------------------- processes


# `ps`, `pidof`, `pgrep`, `pkill` and `kill` live in commands/ps.py, over the one process table.


# ---------------------------------------------------------------- dispatchers


def cmd_toybox(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.print(" ".join(sorted(TOYBOX_APPLETS)))
        return 0
    name = args[0]
    if name not in TOYBOX_APPLETS:
        ctx.error(f"toybox: Unknown command {name}")
        return 1
    return ctx.shell.commands[name](ctx, args[1:])


def cmd_sh(ctx: Ctx, args: list[str]) -> int:
    if len(args) >= 2 and args[0] == "-c":
        line = args[1]
    elif not args:
        line = ctx.stdin.decode("utf-8", errors="replace")
    else:
        try:
            line = ctx.fs.read(ctx.path(args[0])).decode("utf-8", errors="replace")
        except FSError:
            ctx.error(f"{SHELL}: {args[0]}: No such file or directory")
            return 127
    if ctx.shell.depth >= 4:
        ctx.error(f"{SHELL}: too deep")
        return 2
    res = ctx.shell.child().run(line)
    ctx.shell.hang = ctx.shell.hang or res.hang
    ctx.shell.job = ctx.shell.job or res.job
    for fd, data in res.chunks:
        (ctx.out if fd == 1 else ctx.err).extend(data)
    return res.code


def cmd_nohup(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.error("nohup: Needs 1 argument")
        return 1
    return ctx.shell.invoke(ctx, args)


def cmd_exec(ctx: Ctx, args: list[str]) -> int:
    """The shell replaces itself with the command (`adb logcat` runs `exec logcat ...`)."""
    return ctx.shell.invoke(ctx, args) if args else 0


TOYBOX_APPLETS = {
    "base64",
    "cat",
    "chmod",
    "cp",
    "date",
    "echo",
    "false",
    "grep",
    "head",
    "id",
    "kill",
    "ls",
    "md5sum",
    "mkdir",
    "mv",
    "pidof",
    "pgrep",
    "pkill",
    "printf",
    "ps",
    "pwd",
    "rm",
    "rmdir",
    "sha1sum",
    "sha256sum",
    "sleep",
    "sort",
    "stat",
    "tail",
    "test",
    "touch",
    "true",
    "uname",
    "wc",
    "which",
    "whoami",
    "getenforce",
    "env",
    "nohup",
}


register({**commands_of(globals()), "[": cmd_test, ".": cmd_sh})
