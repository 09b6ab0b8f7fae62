"""`am` (start, force-stop, broadcast, stack) and `monkey`: starting and stopping activities."""

from __future__ import annotations

from mobile_agent.sim.commands.intents import (
    focus_of,
    parse_intent,
    resolve_component,
    short_component,
    start_text,
    wait_report,
)
from mobile_agent.sim.commands.keyboards import am_broadcast
from mobile_agent.sim.commands.registry import Ctx, commands_of, register

__all__ = ["cmd_am", "cmd_monkey", "force_stop"]


def _am_start(ctx: Ctx, args: list[str]) -> int:
    try:
        intent = parse_intent(args)
    except StopIteration:
        ctx.error("Error: No intent supplied")
        return 1
    phone = ctx.phone
    comp = intent["comp"]
    if comp is None and intent["pos"] and "/" in intent["pos"][0]:
        comp = intent["pos"][0]
    text = start_text(intent["action"], intent["cats"], intent["data"], None, bool(intent["extras"]))
    if comp is not None:
        resolved = resolve_component(ctx, comp)
        if resolved is None:
            ctx.error(f"Error: Bad component name: {comp}")
            return 1
        pkg, cls = resolved
        text = start_text(
            intent["action"],
            intent["cats"],
            intent["data"],
            short_component(pkg, cls),
            bool(intent["extras"]),
        )
        ctx.print(f"Starting: {text}")
        if "-S" in intent["flags"]:
            force_stop(ctx, pkg)
        was = focus_of(ctx)
        if pkg not in phone.packages() or not phone.start_activity(pkg, cls):
            ctx.error("Error type 3")
            ctx.error(f"Error: Activity class {{{pkg}/{cls}}} does not exist.")
            return 0
        if was == (pkg, cls) and "-S" not in intent["flags"]:
            ctx.print(
                "Warning: Activity not started, intent has been delivered to currently running top-most instance."
            )
        wait_report(ctx, intent, pkg, cls)
        return 0
    if intent["action"] == "android.intent.action.MAIN" and "android.intent.category.HOME" in intent["cats"]:
        ctx.print(f"Starting: {text}")
        phone.go_home()
        launcher = phone.packages().get("com.android.launcher3", "com.android.launcher3.Launcher")
        wait_report(ctx, intent, "com.android.launcher3", launcher)
        return 0
    target = intent.get("package")
    if target and target in phone.packages():
        ctx.print(f"Starting: {text}")
        phone.start_activity(target, None)
        return 0
    ctx.print(f"Starting: {text}")
    flagged = text[:-2] + " flg=0x10000000 }" if text.endswith(" }") else text
    ctx.error(f"Error: Activity not started, unable to resolve {flagged}")
    return 0


def force_stop(ctx: Ctx, pkg: str) -> None:
    ctx.phone.force_stop(pkg)


def cmd_am(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.print(
            "Activity manager (activity) commands:\n  help\n  start [options] INTENT\n  force-stop PACKAGE\n  broadcast INTENT"
        )
        return 0
    sub, rest = args[0], args[1:]
    if sub in ("start", "start-activity"):
        return _am_start(ctx, rest)
    if sub == "force-stop":
        pkgs = [a for a in rest if not a.startswith("-")]
        if not pkgs:
            ctx.error(
                "Exception occurred while executing 'force-stop':\njava.lang.IllegalArgumentException: Argument expected after \"force-stop\""
            )
            return 255
        force_stop(ctx, pkgs[-1])
        return 0
    if sub == "broadcast":
        return am_broadcast(ctx, rest)
    if sub in (
        "kill",
        "kill-all",
        "startservice",
        "start-service",
        "stopservice",
        "start-foreground-service",
    ):
        return 0
    if sub == "get-current-user":
        ctx.print("0")
        return 0
    if sub == "stack" and rest[:1] == ["list"]:
        pkg, act = focus_of(ctx)
        ctx.print(f"RootTask id=12 bounds=[0,0][{ctx.phone.width},{ctx.phone.height}] displayId=0 userId=0")
        ctx.print(
            f"  taskId=12: {pkg}/{act} bounds=[0,0][{ctx.phone.width},{ctx.phone.height}] userId=0 visible=true"
        )
        return 0
    ctx.error(f"Unknown command: {sub}")
    return 255


def cmd_monkey(ctx: Ctx, args: list[str]) -> int:
    pkgs: list[str] = []
    cats: list[str] = []
    it = iter(args)
    count = None
    for a in it:
        if a == "-p":
            pkgs.append(next(it, ""))
        elif a == "-c":
            cats.append(next(it, ""))
        elif a in ("-s", "--throttle", "--pct-touch", "--pct-motion", "--pct-syskeys", "--pct-appswitch"):
            next(it, None)
        elif a.isdigit():
            count = int(a)
    for a in args:
        ctx.print(f"  bash arg: {a}")
    if count is None:
        ctx.error("** Error: Count not specified")
        return 1
    known = ctx.phone.packages()
    targets = [p for p in pkgs if p in known]
    if not targets:
        ctx.error("** No activities found to run, monkey aborted.")
        return 251
    if count > 0:
        ctx.phone.start_activity(targets[0], None)
    ctx.print(f"Events injected: {count}")
    ctx.print(
        f"## Network stats: elapsed time={12 + count}ms (0ms mobile, 0ms wifi, {12 + count}ms not connected)"
    )
    return 0


register(commands_of(globals()))
