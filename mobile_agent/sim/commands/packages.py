"""`pm` (list, path, clear, resolve-activity, query-activities): the package manager."""

from __future__ import annotations

from mobile_agent.sim.commands.intents import parse_intent
from mobile_agent.sim.commands.registry import Ctx, commands_of, register

__all__ = ["THIRD_PARTY_PREFIXES", "all_packages", "apk_path", "cmd_pm"]

# ---------------------------------------------------------------- packages


THIRD_PARTY_PREFIXES = ("org.mobileagent.", "com.github.uiautomator", "com.android.adbkeyboard")


def _is_system(pkg: str) -> bool:
    return not pkg.startswith(THIRD_PARTY_PREFIXES)


def all_packages(ctx: Ctx) -> list[str]:
    pkgs = set(ctx.phone.packages())
    for ime in ctx.phone.ime_list():
        pkgs.add(ime.split("/", 1)[0])
    pkgs.update({"android", "com.android.shell", "com.android.systemui"})
    return sorted(pkgs)


def apk_path(ctx: Ctx, pkg: str) -> str:
    if _is_system(pkg):
        label = ctx.phone.labels().get(pkg, pkg.rsplit(".", 1)[-1].capitalize()).replace(" ", "")
        return f"/system/app/{label}/{label}.apk"
    return f"/data/app/~~Vq3xZ1kQ8w2YtTn0bPLd9A==/{pkg}-7c2kY3n9QmX8aZp1sL4vRw==/base.apk"


def cmd_pm(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.print(
            "Package manager (package) commands:\n  list packages [-f] [-d] [-e] [-s] [-3] [FILTER]\n  path PACKAGE\n  clear PACKAGE"
        )
        return 0
    sub, rest = args[0], args[1:]
    if sub == "list" and rest[:1] == ["packages"]:
        opts = [a for a in rest[1:] if a.startswith("-")]
        filters = [a for a in rest[1:] if not a.startswith("-") and a != "--user" and not a.isdigit()]
        pkgs = all_packages(ctx)
        if "-3" in opts:
            pkgs = [p for p in pkgs if not _is_system(p)]
        if "-s" in opts:
            pkgs = [p for p in pkgs if _is_system(p)]
        if filters:
            pkgs = [p for p in pkgs if filters[0] in p]
        for p in pkgs:
            ctx.print(f"package:{apk_path(ctx, p)}={p}" if "-f" in opts else f"package:{p}")
        return 0
    if sub == "path":
        pkg = next((a for a in rest if not a.startswith("-")), "")
        if pkg not in all_packages(ctx):
            return 1
        ctx.print(f"package:{apk_path(ctx, pkg)}")
        return 0
    if sub == "clear":
        pkg = next((a for a in rest if not a.startswith("-")), "")
        if pkg not in all_packages(ctx):
            ctx.print("Failed")
            return 1
        ctx.phone.clear_app_data(pkg)
        ctx.print("Success")
        return 0
    if sub in ("grant", "revoke", "enable", "disable", "disable-user", "trim-caches"):
        return 0
    if sub in ("install", "install-create"):
        ctx.error("Failure [INSTALL_FAILED_INVALID_APK: the virtual phone cannot install packages]")
        return 1
    if sub == "uninstall":
        ctx.print("Failure [DELETE_FAILED_INTERNAL_ERROR]")
        return 1
    if sub == "resolve-activity":
        return _resolve_activity(ctx, rest)
    if sub == "query-activities":
        return _query_activities(ctx, rest)
    ctx.error(f"Unknown command: {sub}")
    return 255


def _resolve_activity(ctx: Ctx, args: list[str]) -> int:
    brief = "--brief" in args
    try:
        intent = parse_intent([a for a in args if a not in ("--brief", "--components")])
    except StopIteration:
        ctx.error("Error: No intent supplied")
        return 1
    pkg = intent.get("package") or next(iter(intent["pos"]), None)
    acts = ctx.phone.packages()
    if not pkg or pkg not in acts:
        ctx.print("No activity found")
        return 0
    act = acts[pkg]
    if brief:
        ctx.print("priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=true")
        ctx.print(f"{pkg}/{act}")
    else:
        ctx.print(
            f"  ActivityInfo:\n    name={act}\n    packageName={pkg}\n    enabled=true exported=true directBootAware=false"
        )
    return 0


def _query_activities(ctx: Ctx, args: list[str]) -> int:
    try:
        intent = parse_intent([a for a in args if a not in ("--brief", "--components")])
    except StopIteration:
        ctx.error("Error: No intent supplied")
        return 1
    acts = ctx.phone.packages()
    wanted = intent.get("package") or next(iter(intent["pos"]), None)
    pkgs = [p for p in sorted(acts) if wanted in (None, p)]
    if "--components" in args or "--brief" in args:
        for p in pkgs:
            ctx.print(f"{p}/{acts[p]}")
        return 0
    ctx.print(f"{len(pkgs)} activities found:")
    for i, p in enumerate(pkgs):
        ctx.print(
            f"  Activity #{i}:\n    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false"
        )
        ctx.print(f"    ActivityInfo:\n      name={acts[p]}\n      packageName={p}")
    return 0


register(commands_of(globals()))
