"""toybox's file tools on the phone's in-memory `VirtualFS`: ls, cat, rm, rmdir, mkdir, touch,
cp, mv, chmod, md5sum/sha1sum/sha256sum, stat, base64."""

from __future__ import annotations

import base64
import binascii
import hashlib
import posixpath
import time
from datetime import UTC, datetime
from typing import Any

from mobile_agent.sim.commands.registry import (
    Ctx,
    commands_of,
    register,
    split_flags,
)
from mobile_agent.sim.fs import FSError

__all__ = [
    "cmd_base64",
    "cmd_cat",
    "cmd_chmod",
    "cmd_cp",
    "cmd_ls",
    "cmd_md5sum",
    "cmd_mkdir",
    "cmd_mv",
    "cmd_rm",
    "cmd_rmdir",
    "cmd_sha1sum",
    "cmd_sha256sum",
    "cmd_stat",
    "cmd_touch",
]

# ---------------------------------------------------------------- files


def _mode_string(mode: int) -> str:
    kind = "d" if mode & 0o040000 else "-"
    bits = ""
    for shift in (6, 3, 0):
        v = (mode >> shift) & 7
        bits += ("r" if v & 4 else "-") + ("w" if v & 2 else "-") + ("x" if v & 1 else "-")
    return kind + bits


def _ls_line(ctx: Ctx, path: str, name: str) -> str:
    st = ctx.fs.entry(path)
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
    flags, paths = split_flags(args, "laR1dhAtrsSF")
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
    flags, paths = split_flags(args, "rRfiv")
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
    flags, paths = split_flags(args, "pv")
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
    _, paths = split_flags(args, "acm")
    code = 0
    for p in paths:
        full = ctx.path(p)
        try:
            if ctx.fs.exists(full):
                st = ctx.fs.entry(full)
                if not ctx.fs.is_dir(full):
                    ctx.fs.write(full, st.data, st.mode)
            else:
                ctx.fs.write(full, b"")
        except FSError as exc:
            ctx.error(f"touch: {p}: {str(exc).split(': ', 1)[-1]}")
            code = 1
    return code


def cmd_cp(ctx: Ctx, args: list[str]) -> int:
    _, paths = split_flags(args, "rRfpa")
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
    _, paths = split_flags(args, "fnv")
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
            st = ctx.fs.entry(src)
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
    _, paths = split_flags(args, "bc")
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
    _, paths = split_flags(args, "LfT")
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
    flags, paths = split_flags(args, "dw")
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


register(commands_of(globals()))
