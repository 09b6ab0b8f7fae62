"""`screencap`, `wm` and `uiautomator dump`: the screen's pixels, size and hierarchy."""

from __future__ import annotations

import struct

from mobile_agent.sim.commands.registry import Ctx, commands_of, register
from mobile_agent.sim.fs import FSError

__all__ = ["cmd_screencap", "cmd_uiautomator", "cmd_wm"]

# ---------------------------------------------------------------- screen


def cmd_screencap(ctx: Ctx, args: list[str]) -> int:
    png = "-p" in args
    rest = [a for a in args if not a.startswith("-")]
    if "-d" in args:
        idx = args.index("-d")
        if idx + 1 < len(args) and args[idx + 1] in rest:
            rest.remove(args[idx + 1])
    path = rest[0] if rest else None
    if path and path.endswith(".png"):
        png = True
    if png:
        data = ctx.phone.screenshot_png()
    else:
        img = ctx.phone.screenshot().convert("RGBA")
        data = struct.pack("<4I", img.width, img.height, 1, 0) + img.tobytes()
    if path:
        try:
            ctx.fs.write(ctx.path(path), data)
        except FSError as exc:
            ctx.error(f"Error opening file: {path} ({str(exc).split(': ', 1)[-1]})")
            return 1
    else:
        ctx.out += data
    return 0


def cmd_wm(ctx: Ctx, args: list[str]) -> int:
    phone = ctx.phone
    if not args or args[0] not in ("size", "density"):
        ctx.error(
            "Error: unknown command '" + (args[0] if args else "") + "'"
            if args
            else "Window manager (window) commands:"
        )
        return 255 if args else 0
    if args[0] == "size":
        if len(args) > 1 and args[1] != "reset":
            ctx.error("wm size: overriding the size is not supported by the virtual phone")
            return 255
        ctx.print(f"Physical size: {phone.width}x{phone.height}")
    else:
        if len(args) > 1 and args[1] != "reset":
            ctx.error("wm density: overriding the density is not supported by the virtual phone")
            return 255
        ctx.print(f"Physical density: {phone.density}")
    return 0


# ---------------------------------------------------------------- ui, ime, misc


def cmd_uiautomator(ctx: Ctx, args: list[str]) -> int:
    if not args or args[0] != "dump":
        ctx.print(
            "Usage: uiautomator <subcommand> [options]\n\nAvailable subcommands:\n\nhelp: displays help message\n\ndump: creates an XML dump of current UI hierarchy"
        )
        return 0 if not args else 1
    rest = [a for a in args[1:] if not a.startswith("--")]
    path = rest[0] if rest else "/sdcard/window_dump.xml"
    xml = ctx.phone.dump_hierarchy()
    if path in ("/dev/tty", "/dev/stdout"):
        ctx.out += xml.encode("utf-8")
    else:
        try:
            ctx.fs.write(ctx.path(path), xml.encode("utf-8"))
        except FSError:
            ctx.error(f"ERROR: could not write to {path}")
            return 1
    ctx.print(f"UI hierchary dumped to: {path}")
    return 0


register(commands_of(globals()))
