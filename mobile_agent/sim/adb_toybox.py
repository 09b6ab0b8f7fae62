"""toybox and shell built-ins of the virtual phone: files, text tools, processes, identity.

Each command is `f(ctx, args) -> exit code` writing to `ctx.out` / `ctx.err`, with the messages
and exit codes toybox prints on a real phone. Files live in the phone's in-memory `VirtualFS`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import posixpath
import re
import time
from datetime import UTC, datetime
from typing import Any

from mobile_agent.sim.adb_ps import ps_commands
from mobile_agent.sim.fs import FSError
from mobile_agent.sim.shell import SHELL, Command, Ctx, ExitShell, sleep_bounded


def _flags(args: list[str], known: str) -> tuple[set[str], list[str]]:
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


# ---------------------------------------------------------------- files


def _mode_string(mode: int) -> str:
    kind = "d" if mode & 0o040000 else "-"
    bits = ""
    for shift in (6, 3, 0):
        v = (mode >> shift) & 7
        bits += ("r" if v & 4 else "-") + ("w" if v & 2 else "-") + ("x" if v & 1 else "-")
    return kind + bits


def _ls_line(ctx: Ctx, path: str, name: str) -> str:
    st = ctx.fs.stat(path)
    size = len(st.data) if not st.mode & 0o040000 else 3452
    when = datetime.fromtimestamp(st.mtime or time.time(), tz=UTC).strftime("%Y-%m-%d %H:%M")
    owner = (
        "root"
        if path.startswith(("/system", "/data/local")) is False and not path.startswith("/sdcard")
        else "shell"
    )
    group = "sdcard_rw" if path.startswith(("/sdcard", "/storage")) else owner
    return f"{_mode_string(st.mode)} 1 {owner} {group} {size:>8} {when} {name}"


def cmd_ls(ctx: Ctx, args: list[str]) -> int:
    flags, paths = _flags(args, "laR1dhAtrsSF")
    paths = paths or ["."]
    code = 0
    multiple = len(paths) > 1
    for idx, p in enumerate(paths):
        full = ctx.path(p)
        if not ctx.fs.exists(full):
            ctx.error(f"ls: {p}: No such file or directory")
            code = 1
            continue
        if ctx.fs.is_dir(full) and "d" not in flags:
            names = ctx.fs.listdir(full)
            if "a" not in flags and "A" not in flags:
                names = [n for n in names if not n.startswith(".")]
            if multiple:
                ctx.print(("\n" if idx else "") + f"{p}:")
            if "l" in flags:
                ctx.print(f"total {len(names) * 8}")
                for n in names:
                    ctx.print(_ls_line(ctx, posixpath.join(full, n), n))
            else:
                for n in names:
                    ctx.print(n)
        else:
            ctx.print(_ls_line(ctx, full, p) if "l" in flags else p)
    return code


def cmd_cat(ctx: Ctx, args: list[str]) -> int:
    if not args or args == ["-"]:
        ctx.out += ctx.stdin
        return 0
    code = 0
    for p in args:
        try:
            ctx.out += ctx.fs.read(ctx.path(p))
        except FSError:
            ctx.error(
                f"cat: {p}: {'Is a directory' if ctx.fs.is_dir(ctx.path(p)) else 'No such file or directory'}"
            )
            code = 1
    return code


def cmd_rm(ctx: Ctx, args: list[str]) -> int:
    flags, paths = _flags(args, "rRfiv")
    recursive = bool(flags & {"r", "R"})
    force = "f" in flags
    if not paths:
        if force:
            return 0
        ctx.error("rm: Needs 1 argument")
        return 1
    code = 0
    for p in paths:
        full = ctx.path(p)
        if full == "/":
            ctx.error("rm: /: Read-only file system" if recursive else "rm: /: Is a directory")
            code = 1
            continue
        try:
            if not ctx.fs.exists(full):
                if not force:
                    ctx.error(f"rm: {p}: No such file or directory")
                    code = 1
                continue
            ctx.fs.remove(full, recursive=recursive)
        except FSError as exc:
            msg = str(exc).split(": ", 1)[-1]
            if msg == "Permission denied":
                # Android's protected directories: children go, the directory itself stays.
                if recursive:
                    for name in ctx.fs.listdir(full):
                        child = posixpath.join(full, name)
                        try:
                            ctx.fs.remove(child, recursive=True)
                        except FSError:
                            ctx.error(f"rm: {child}: Permission denied")
                ctx.error(f"rm: {p}: Permission denied")
            else:
                ctx.error(f"rm: {p}: {msg}")
            code = 1
    return code


def cmd_rmdir(ctx: Ctx, args: list[str]) -> int:
    code = 0
    for p in args:
        full = ctx.path(p)
        if not ctx.fs.is_dir(full):
            ctx.error(f"rmdir: {p}: No such file or directory")
            code = 1
        elif ctx.fs.listdir(full):
            ctx.error(f"rmdir: {p}: Directory not empty")
            code = 1
        else:
            try:
                ctx.fs.remove(full, recursive=True)
            except FSError as exc:
                ctx.error(f"rmdir: {exc}")
                code = 1
    return code


def cmd_mkdir(ctx: Ctx, args: list[str]) -> int:
    flags, paths = _flags(args, "pv")
    if not paths:
        ctx.error("mkdir: Needs 1 argument")
        return 1
    code = 0
    for p in paths:
        full = ctx.path(p)
        if ctx.fs.exists(full):
            if "p" in flags and ctx.fs.is_dir(full):
                continue
            ctx.error(f"mkdir: {p}: File exists")
            code = 1
            continue
        try:
            ctx.fs.mkdir(full, parents="p" in flags)
        except FSError as exc:
            ctx.error(f"mkdir: {p}: {str(exc).split(': ', 1)[-1]}")
            code = 1
    return code


def cmd_touch(ctx: Ctx, args: list[str]) -> int:
    _, paths = _flags(args, "acm")
    code = 0
    for p in paths:
        full = ctx.path(p)
        try:
            if ctx.fs.exists(full):
                st = ctx.fs.stat(full)
                if not ctx.fs.is_dir(full):
                    ctx.fs.write(full, st.data, st.mode)
            else:
                ctx.fs.write(full, b"")
        except FSError as exc:
            ctx.error(f"touch: {p}: {str(exc).split(': ', 1)[-1]}")
            code = 1
    return code


def cmd_cp(ctx: Ctx, args: list[str]) -> int:
    _, paths = _flags(args, "rRfpa")
    if len(paths) < 2:
        ctx.error("cp: Needs 2 arguments")
        return 1
    *srcs, dst = paths
    code = 0
    for s in srcs:
        try:
            data = ctx.fs.read(ctx.path(s))
            target = ctx.path(dst)
            if ctx.fs.is_dir(target):
                target = posixpath.join(target, posixpath.basename(s))
            ctx.fs.write(target, data)
        except FSError as exc:
            ctx.error(f"cp: {exc}")
            code = 1
    return code


def cmd_mv(ctx: Ctx, args: list[str]) -> int:
    _, paths = _flags(args, "fnv")
    if len(paths) < 2:
        ctx.error("mv: Needs 2 arguments")
        return 1
    *srcs, dst = paths
    code = 0
    for s in srcs:
        src, target = ctx.path(s), ctx.path(dst)
        if ctx.fs.is_dir(target):
            target = posixpath.join(target, posixpath.basename(src))
        if target == src:  # moving a file onto itself must not delete it
            ctx.error(f"mv: '{s}' and '{dst}' are the same file")
            code = 1
            continue
        try:
            data = ctx.fs.read(src)
            st = ctx.fs.stat(src)
            ctx.fs.write(target, data, mode=st.mode, mtime=st.mtime)
            ctx.fs.remove(src)
        except FSError as exc:
            ctx.error(f"mv: {exc}")
            code = 1
    return code


def cmd_chmod(ctx: Ctx, args: list[str]) -> int:
    if len(args) < 2:
        ctx.error("chmod: Needs 2 arguments")
        return 1
    code = 0
    for p in args[1:]:
        if not ctx.fs.exists(ctx.path(p)):
            ctx.error(f"chmod: {p}: No such file or directory")
            code = 1
    return code


def cmd_md5sum(ctx: Ctx, args: list[str]) -> int:
    return _digest(ctx, args, "md5sum", hashlib.md5)


def cmd_sha1sum(ctx: Ctx, args: list[str]) -> int:
    return _digest(ctx, args, "sha1sum", hashlib.sha1)


def cmd_sha256sum(ctx: Ctx, args: list[str]) -> int:
    return _digest(ctx, args, "sha256sum", hashlib.sha256)


def _digest(ctx: Ctx, args: list[str], name: str, algo: Any) -> int:
    _, paths = _flags(args, "bc")
    if not paths:
        ctx.print(f"{algo(ctx.stdin).hexdigest()}  -")
        return 0
    code = 0
    for p in paths:
        try:
            ctx.print(f"{algo(ctx.fs.read(ctx.path(p))).hexdigest()}  {p}")
        except FSError:
            ctx.error(f"{name}: {p}: No such file or directory")
            code = 1
    return code


def cmd_stat(ctx: Ctx, args: list[str]) -> int:
    _, paths = _flags(args, "LfT")
    code = 0
    for p in paths:
        st = ctx.fs.stat(ctx.path(p))
        if st is None:
            ctx.error(f"stat: '{p}': No such file or directory")
            code = 1
            continue
        kind = "directory" if st.mode & 0o040000 else "regular file"
        ctx.print(f"  File: {p}\n  Size: {len(st.data)}\t Blocks: 8\t IO Blocks: 4096\t{kind}")
    return code


def cmd_base64(ctx: Ctx, args: list[str]) -> int:
    flags, paths = _flags(args, "dw")
    data = ctx.fs.read(ctx.path(paths[0])) if paths else ctx.stdin
    if "d" in flags:
        try:
            ctx.out += base64.b64decode(data)
        except (binascii.Error, ValueError):
            ctx.error("base64: bad input")
            return 1
    else:
        ctx.print(base64.b64encode(data).decode())
    return 0


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
    flags, paths = _flags(args, "lwc")
    data = ctx.fs.read(ctx.path(paths[0])) if paths else ctx.stdin
    counts = {"l": data.count(b"\n"), "w": len(data.split()), "c": len(data)}
    shown = [str(counts[k]) for k in "lwc" if k in flags] or [str(counts[k]) for k in "lwc"]
    ctx.print(" ".join(shown) + (f" {paths[0]}" if paths else ""))
    return 0


def cmd_sort(ctx: Ctx, args: list[str]) -> int:
    flags, paths = _flags(args, "rnu")
    lines = _input_lines(ctx, paths) or []
    key = (
        (lambda s: float(re.match(r"\s*(-?\d+(\.\d+)?)", s).group(1)) if re.match(r"\s*-?\d", s) else 0.0)
        if "n" in flags
        else None
    )
    lines = sorted(set(lines) if "u" in flags else lines, key=key, reverse="r" in flags)  # type: ignore[arg-type]
    for ln in lines:
        ctx.print(ln)
    return 0


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


# `ps`, `pidof`, `pgrep`, `pkill` and `kill` live in adb_ps.py, over the one process table.


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
    from mobile_agent.sim.shell import Shell

    sub = Shell(ctx.phone)
    sub.commands = ctx.shell.commands
    sub.depth = ctx.shell.depth + 1
    sub.cwd = ctx.shell.cwd
    res = sub.run(line)
    ctx.shell.hang = ctx.shell.hang or res.hang
    ctx.shell.job = ctx.shell.job or res.job
    for fd, data in res.chunks:
        (ctx.out if fd == 1 else ctx.err).extend(data)
    return res.code


def cmd_nohup(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.error("nohup: Needs 1 argument")
        return 1
    return ctx.shell._invoke(ctx, args)


def cmd_exec(ctx: Ctx, args: list[str]) -> int:
    """The shell replaces itself with the command (`adb logcat` runs `exec logcat ...`)."""
    return ctx.shell._invoke(ctx, args) if args else 0


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


def toybox_commands() -> dict[str, Command]:
    """Name -> command for every toybox applet and shell built-in we emulate."""
    table: dict[str, Command] = {
        name[4:]: func for name, func in globals().items() if name.startswith("cmd_") and callable(func)
    }
    table.update(ps_commands())
    table["["] = cmd_test
    table["."] = cmd_sh
    return table
