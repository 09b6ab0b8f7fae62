"""`settings` and `ime`: the settings provider and the input-method manager."""

from __future__ import annotations

from mobile_agent.sim.commands.registry import Ctx, commands_of, register

__all__ = ["NAMESPACES", "cmd_ime", "cmd_settings"]

# ---------------------------------------------------------------- settings and content


NAMESPACES = ("global", "secure", "system")


def cmd_settings(ctx: Ctx, args: list[str]) -> int:
    args = (
        [a for a in args if a not in ("--user", "current", "0", "--lineage")] if args[:1] != ["put"] else args
    )
    if len(args) < 2 or args[0] not in ("get", "put", "list", "delete", "reset"):
        ctx.error(
            "Settings provider (settings) commands:\n  help\n      Print this help text.\n"
            "  get [--user <USER_ID> | current] NAMESPACE KEY\n"
            "  put [--user <USER_ID> | current] NAMESPACE KEY VALUE [TAG] [default]\n"
            "  delete [--user <USER_ID> | current] NAMESPACE KEY\n  list [--user <USER_ID> | current] NAMESPACE"
        )
        return 255
    verb, ns = args[0], args[1]
    if ns not in NAMESPACES:
        ctx.error(f"Invalid namespace '{ns}'")
        return 255
    phone = ctx.phone
    if verb == "get":
        if len(args) < 3:
            ctx.error("Bad arguments")
            return 255
        value = phone.get_setting(ns, args[2])
        if value is None and (ns, args[2]) == ("secure", "default_input_method"):
            value = phone.current_ime
        ctx.print("null" if value is None else str(value))
        return 0
    if verb == "put":
        if len(args) < 4:
            ctx.error("Bad arguments")
            return 255
        phone.put_setting(ns, args[2], args[3])
        if (ns, args[2]) == ("secure", "default_input_method") and args[3] in phone.ime_list():
            phone.set_ime(args[3])
        return 0
    if verb == "list":
        for k, v in sorted(phone.list_settings(ns).items()):
            ctx.print(f"{k}={v}")
        return 0
    if verb == "delete":
        existed = phone.get_setting(ns, args[2]) is not None if len(args) > 2 else False
        if existed:
            phone.delete_setting(ns, args[2])
        ctx.print(f"Deleted {1 if existed else 0} rows")
        return 0
    return 0


def cmd_ime(ctx: Ctx, args: list[str]) -> int:
    phone = ctx.phone
    sub = args[0] if args else ""
    rest = args[1:]
    if sub == "list":
        ids = phone.ime_list()
        if "-s" in rest:
            for i in ids:
                ctx.print(i)
        else:
            for i in ids:
                pkg, cls = i.split("/", 1)
                ctx.print(
                    f"{i}:\n  mId={i} mSettingsActivity=null mIsVrOnly=false mSupportsSwitchingToNextInputMethod=false"
                )
                ctx.print(
                    f"  mIsDefaultResId=0x0\n  Service:\n    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false\n    ServiceInfo:\n      name={pkg + cls if cls.startswith('.') else cls}\n      packageName={pkg}"
                )
        return 0
    ime_id = next((a for a in rest if not a.startswith("-") and not a.isdigit()), "")
    if sub == "set":
        if ime_id in phone.ime_list() and phone.set_ime(ime_id):
            if phone.get_setting("secure", "default_input_method") != ime_id:
                phone.put_setting("secure", "default_input_method", ime_id)  # as Android records it
            ctx.print(f"Input method {ime_id} selected for user 0")
            return 0
        ctx.error(f"Unknown input method {ime_id} cannot be selected for user 0")
        return 255
    if sub in ("enable", "disable"):
        if ime_id not in phone.ime_list():
            ctx.error(f"Unknown input method {ime_id} cannot be {sub}d for user 0")
            return 255
        state = "now enabled" if sub == "enable" else "now disabled"
        if sub == "enable" and ime_id in (phone.current_ime,):
            state = "already enabled"
        ctx.print(f"Input method {ime_id}: {state} for user 0")
        return 0
    if sub == "reset":
        ctx.print(f"Reset current and enabled IMEs for user #0\n  Selected: {phone.current_ime}")
        return 0
    ctx.print(
        "ime <command>:\n  list [-a] [-s]\n  enable [--user <USER_ID>] <ID>\n  disable [--user <USER_ID>] <ID>\n  set [--user <USER_ID>] <ID>\n  reset"
    )
    return 0 if not sub else 255


register(commands_of(globals()))
