"""`cmd SERVICE ...`: the binder services' shell commands, routed to the tools that share them."""

from __future__ import annotations

from mobile_agent.sim.commands.activity import cmd_am
from mobile_agent.sim.commands.input import cmd_input
from mobile_agent.sim.commands.packages import cmd_pm
from mobile_agent.sim.commands.registry import Ctx, commands_of, register
from mobile_agent.sim.commands.screen import cmd_wm
from mobile_agent.sim.commands.settings import cmd_ime, cmd_settings

__all__ = ["cmd_cmd"]


def cmd_cmd(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.print(
            "cmd: No service specified; use -l to list all running services. Use -w to start and wait for a service."
        )
        return 20
    service, rest = args[0], args[1:]
    table = {
        "package": cmd_pm,
        "activity": cmd_am,
        "settings": cmd_settings,
        "window": cmd_wm,
        "input": cmd_input,
        "input_method": cmd_ime,
    }
    if service in table:
        return table[service](ctx, rest)
    if service in ("statusbar", "notification", "uimode", "wifi", "connectivity", "power", "display"):
        if service == "wifi" and rest[:1] == ["set-wifi-enabled"] and len(rest) > 1:
            ctx.phone.put_setting("global", "wifi_on", "1" if rest[1] == "enabled" else "0")
        return 0
    ctx.error(f"cmd: Can't find service: {service}")
    return 20


register(commands_of(globals()))
