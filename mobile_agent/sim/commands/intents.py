"""Intent arguments as `am` and `pm` parse them, and the component names they print."""

from __future__ import annotations

from typing import Any

from mobile_agent.sim.commands.registry import Ctx, commands_of, register

__all__ = [
    "focus_of",
    "full_class",
    "parse_intent",
    "resolve_component",
    "short_component",
    "start_text",
    "wait_report",
]

# ---------------------------------------------------------------- activities


def short_component(pkg: str, cls: str) -> str:
    return f"{pkg}/{cls[len(pkg) :]}" if cls.startswith(pkg + ".") else f"{pkg}/{cls}"


def full_class(pkg: str, cls: str) -> str:
    return pkg + cls if cls.startswith(".") else cls


def focus_of(ctx: Ctx) -> tuple[str, str]:
    pkg, act = ctx.phone.focus()
    return pkg, act


def start_text(action: str | None, cats: list[str], data: str | None, comp: str | None, extras: bool) -> str:
    parts = []
    if action:
        parts.append(f"act={action}")
    if cats:
        parts.append(f"cat=[{','.join(cats)}]")
    if data:
        parts.append(f"dat={data}")
    if comp:
        parts.append(f"cmp={comp}")
    if extras:
        parts.append("(has extras)")
    return "Intent { " + " ".join(parts) + " }"


def parse_intent(args: list[str]) -> dict[str, Any]:
    """Parse am-style intent arguments into a dict; raises ValueError on bad usage."""
    intent: dict[str, Any] = {
        "action": None,
        "cats": [],
        "data": None,
        "comp": None,
        "extras": {},
        "flags": set(),
        "pos": [],
    }
    it = iter(args)
    for a in it:
        if a == "-n":
            intent["comp"] = next(it)
        elif a == "-a":
            intent["action"] = next(it)
        elif a == "-c":
            intent["cats"].append(next(it))
        elif a == "-d":
            intent["data"] = next(it)
        elif a in (
            "-t",
            "-f",
            "--user",
            "-R",
            "-P",
            "--display",
            "--windowingMode",
            "--activityType",
            "-p",
            "--receiver-permission",
        ):
            value = next(it)
            if a == "-p":
                intent["package"] = value
        elif a in ("-e", "--es"):
            k = next(it)
            intent["extras"][k] = next(it)
        elif a in (
            "--ei",
            "--el",
            "--ef",
            "--ez",
            "--eu",
            "--ecn",
            "--eia",
            "--ela",
            "--efa",
            "--esa",
            "--ed",
        ):
            k = next(it)
            intent["extras"][k] = next(it)
        elif a == "--esn":
            intent["extras"][next(it)] = None
        elif a.startswith("-"):
            intent["flags"].add(a)
        else:
            intent["pos"].append(a)
    return intent


def resolve_component(ctx: Ctx, comp: str) -> tuple[str, str] | None:
    if "/" not in comp:
        return None
    pkg, cls = comp.split("/", 1)
    return pkg, full_class(pkg, cls)


def wait_report(ctx: Ctx, intent: dict[str, Any], pkg: str, cls: str) -> None:
    if "-W" in intent["flags"]:
        ctx.print("Status: ok\nLaunchState: COLD")
        ctx.print(f"Activity: {short_component(pkg, cls)}\nTotalTime: 180\nWaitTime: 184\nComplete")


register(commands_of(globals()))
