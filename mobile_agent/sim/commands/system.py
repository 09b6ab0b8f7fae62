"""`getprop`, `setprop`, `svc`, `ip`, `ifconfig` and `app_process` (uiautomator2's server)."""

from __future__ import annotations

import shlex

from mobile_agent.sim.commands.ps import SH_PID
from mobile_agent.sim.commands.registry import Ctx, commands_of, register
from mobile_agent.sim.jobs import ProcessJob
from mobile_agent.sim.procs import process_table

__all__ = ["U2_JAR", "cmd_app_process", "cmd_getprop", "cmd_ifconfig", "cmd_ip", "cmd_setprop", "cmd_svc"]

U2_JAR = "/data/local/tmp/u2.jar"


# ---------------------------------------------------------------- properties


def cmd_getprop(ctx: Ctx, args: list[str]) -> int:
    props: dict[str, str] = ctx.phone.props
    if not args:
        for k in sorted(props):
            ctx.print(f"[{k}]: [{props[k]}]")
        return 0
    ctx.print(props.get(args[0], args[1] if len(args) > 1 else ""))
    return 0


def cmd_setprop(ctx: Ctx, args: list[str]) -> int:
    if len(args) != 2:
        ctx.error("setprop: Need 2 arguments")
        return 1
    if args[0].startswith("ro.") and args[0] in ctx.phone.props:
        ctx.error(f"Failed to set property '{args[0]}' to '{args[1]}'.\nSee dmesg for error reason.")
        return 1
    ctx.phone.props[args[0]] = args[1]
    return 0


def cmd_svc(ctx: Ctx, args: list[str]) -> int:
    if len(args) >= 2 and args[0] in ("wifi", "bluetooth") and args[1] in ("enable", "disable"):
        key = "wifi_on" if args[0] == "wifi" else "bluetooth_on"
        ctx.phone.put_setting("global", key, "1" if args[1] == "enable" else "0")
        return 0
    if args[:1] in (["power"], ["data"], ["usb"], ["nfc"]):
        return 0
    ctx.print(
        "Available commands:\n    help     Show information about the subcommands\n    power    Control the power manager\n    data     Control mobile data connectivity\n    wifi     Control the Wi-Fi manager"
    )
    return 0


def cmd_app_process(ctx: Ctx, args: list[str]) -> int:
    """Only uiautomator2's server is "installed"; tcp:9008 is served while its process runs."""
    classpath = ctx.env.get("CLASSPATH", "")
    main = next((a for a in args if "." in a and not a.startswith("/")), "")
    if main in ("com.wetest.uia2.Main", "com.github.uiautomator.Main") and ctx.fs.exists(classpath or U2_JAR):
        ctx.print("[server] INFO: [UiAutomator2Server] Starting Server")
        table = process_table(ctx.phone)
        if table.find("u2") is not None:  # one UiAutomation connection at a time, as on Android
            ctx.error(
                "java.lang.IllegalStateException: UiAutomationService "
                "android.accessibilityservice.IAccessibilityServiceClient$Stub$Proxy@5deffd5already registered!"
            )
            return 1
        proc = table.spawn("shell", "app_process", SH_PID, shlex.join(["app_process", *args]), role="u2")
        ctx.shell.hang = True
        ctx.shell.job = ProcessJob(table, proc.pid)  # serves tcp:9008 until killed or hung up
        return 0
    ctx.error(f"Error: Could not find or load main class {main or '(none)'}")
    return 1


def cmd_ip(ctx: Ctx, args: list[str]) -> int:
    if ctx.phone.get_setting("global", "wifi_on") == "0":
        return 1
    ctx.print(
        "47: wlan0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000"
    )
    ctx.print(
        "    link/ether 02:00:00:44:55:66 brd ff:ff:ff:ff:ff:ff\n    inet 10.0.2.16/24 brd 10.0.2.255 scope global wlan0"
    )
    return 0


def cmd_ifconfig(ctx: Ctx, args: list[str]) -> int:
    if (args and args[0] not in ("wlan0",)) or ctx.phone.get_setting("global", "wifi_on") == "0":
        ctx.error(f"ifconfig: {args[0] if args else 'wlan0'}: No such device" if args else "")
        return 1
    ctx.print(
        "wlan0     Link encap:Ethernet  HWaddr 02:00:00:44:55:66\n          inet addr:10.0.2.16  Bcast:10.0.2.255  Mask:255.255.255.0"
    )
    return 0


register(commands_of(globals()))
