"""Android framework commands of the virtual phone: input, screencap, wm, getprop, dumpsys, am,
monkey, pm, cmd, settings, content, uiautomator, ime, svc, app_process.

Output formats and exit codes follow what Android 14 prints, because drivers parse them.
Each command is `f(ctx, args) -> exit code`; the caller holds `phone.lock`.
"""

from __future__ import annotations

import base64
import binascii
import re
import shlex
import struct
from typing import Any

from mobile_agent.sim import gesture
from mobile_agent.sim.adb_keycodes import keycode_from_string
from mobile_agent.sim.adb_ps import SH_PID
from mobile_agent.sim.fs import FSError
from mobile_agent.sim.jobs import ProcessJob
from mobile_agent.sim.logbuf import log_commands
from mobile_agent.sim.procs import app_pid, process_table, running_packages
from mobile_agent.sim.shell import Command, Ctx

ADB_KEYBOARD_IME = "com.android.adbkeyboard/.AdbIME"
U2_KEYBOARD_IME = "com.github.uiautomator/.AdbKeyboard"
U2_JAR = "/data/local/tmp/u2.jar"

INPUT_USAGE = """Usage: input [<source>] [-d DISPLAY_ID] <command> [<arg>...]

The sources are:
      dpad
      keyboard
      mouse
      touchpad
      gamepad
      touchnavigation
      joystick
      touchscreen
      stylus
      trackball

-d: specify the display ID.
      (Default: -1 for key event, 0 for motion event if not specified.)
The commands and default sources are:
      text <string> (Default: touchscreen)
      keyevent [--longpress|--doubletap] <key code number or name> ... (Default: keyboard)
      tap <x> <y> (Default: touchscreen)
      swipe <x1> <y1> <x2> <y2> [duration(ms)] (Default: touchscreen)
      draganddrop <x1> <y1> <x2> <y2> [duration(ms)] (Default: touchscreen)
      press (Default: trackball)
      roll <dx> <dy> (Default: trackball)
      motionevent <DOWN|UP|MOVE|CANCEL> <x> <y> (Default: touchscreen)
      keycombination [-t duration(ms)] <key code 1> <key code 2> ... (Default: keyboard)"""

INPUT_SOURCES = {
    "dpad",
    "keyboard",
    "mouse",
    "touchpad",
    "gamepad",
    "touchnavigation",
    "joystick",
    "touchscreen",
    "stylus",
    "trackball",
}


# ---------------------------------------------------------------- input


def _coords(values: list[str]) -> list[int]:
    return [int(float(v)) for v in values]


def cmd_input(ctx: Ctx, args: list[str]) -> int:
    if args and args[0] in INPUT_SOURCES:
        args = args[1:]
    if len(args) >= 2 and args[0] == "-d":
        args = args[2:]
    if not args:
        ctx.print(INPUT_USAGE)
        return 1
    sub, rest = args[0], args[1:]
    phone = ctx.phone
    try:
        if sub == "tap":
            if len(rest) != 2:
                raise ValueError
            x, y = _coords(rest)
            phone.tap(x, y)
        elif sub in ("swipe", "draganddrop"):
            if len(rest) not in (4, 5):
                raise ValueError
            x1, y1, x2, y2 = _coords(rest[:4])
            duration = int(float(rest[4])) if len(rest) == 5 else -1
            if duration < 0:
                duration = gesture.DEFAULT_SWIPE_MS  # as InputShellCommand: negative or none
            (gesture.drag if sub == "draganddrop" else gesture.swipe)(phone, x1, y1, x2, y2, duration)
        elif sub == "text":
            if len(rest) != 1 and not rest:
                raise ValueError
            return _input_text(ctx, " ".join(rest))
        elif sub == "keyevent":
            return _input_keyevent(ctx, rest)
        elif sub == "keycombination":
            codes = [c for c in rest if c != "-t"]
            return _input_keyevent(ctx, codes[-1:] if codes else [])
        elif sub == "motionevent":
            if len(rest) != 3:
                raise ValueError
            action = rest[0].upper()
            x, y = _coords(rest[1:])
            state = ctx.shell.__dict__.setdefault("_touch", {})
            if action == "DOWN":
                state["down"] = (x, y)
            elif action == "UP" and "down" in state:
                x0, y0 = state.pop("down")
                if abs(x - x0) < 10 and abs(y - y0) < 10:
                    phone.tap(x, y)
                else:
                    phone.swipe(x0, y0, x, y, 300)
        elif sub in ("press", "roll"):
            return 0
        else:
            ctx.error(f"Error: Unknown command: {sub}")
            ctx.error(INPUT_USAGE)
            return 1
    except (ValueError, OverflowError):  # OverflowError: inf / 1e999 as a coordinate
        ctx.error(f"Error: Invalid arguments for command: {sub}")
        ctx.error(INPUT_USAGE)
        return 1
    return 0


def _input_text(ctx: Ctx, text: str) -> int:
    text = text.replace("%s", " ")
    if any(ord(ch) > 127 for ch in text):
        # Android's KeyCharacterMap cannot map non-ASCII characters to key events.
        ctx.error(
            "Exception occurred while executing 'text':\n"
            "java.lang.NullPointerException: Attempt to get length of null array\n"
            "\tat com.android.server.input.InputShellCommand.sendText(InputShellCommand.java:421)\n"
            "\tat com.android.server.input.InputShellCommand.runText(InputShellCommand.java:376)\n"
            "\tat com.android.server.input.InputShellCommand.onCommand(InputShellCommand.java:282)"
        )
        return 255
    ctx.phone.input_text(text)
    return 0


def _input_keyevent(ctx: Ctx, args: list[str]) -> int:
    longpress = False
    codes: list[int] = []
    for a in args:
        if a == "--longpress":
            longpress = True
            continue
        if a == "--doubletap":
            continue
        code = keycode_from_string(a)
        if code is None:
            ctx.error(
                f"Exception occurred while executing 'keyevent':\njava.lang.IllegalArgumentException: Unknown keycode: {a}"
            )
            return 255
        codes.append(code)
    if not codes:
        ctx.error("Error: Invalid arguments for command: keyevent")
        ctx.error(INPUT_USAGE)
        return 1
    for code in codes:
        if longpress:
            gesture.key_long_press(ctx.phone, code)
        else:
            ctx.phone.key(code)
    return 0


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


# ---------------------------------------------------------------- activities


def _short_component(pkg: str, cls: str) -> str:
    return f"{pkg}/{cls[len(pkg) :]}" if cls.startswith(pkg + ".") else f"{pkg}/{cls}"


def _full_class(pkg: str, cls: str) -> str:
    return pkg + cls if cls.startswith(".") else cls


def _focus(ctx: Ctx) -> tuple[str, str]:
    pkg, act = ctx.phone.focus()
    return pkg, act


def cmd_dumpsys(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.print(
            "Currently running services:\n  activity\n  display\n  input_method\n  package\n  power\n  window"
        )
        return 0
    service, rest = args[0], args[1:]
    phone = ctx.phone
    if service == "window":
        pkg, act = _focus(ctx)
        short = _short_component(pkg, act)
        ime_shown = phone.keyboard_visible
        ctx.print("WINDOW MANAGER WINDOWS (dumpsys window windows)")
        ctx.print(f"  Window #0 Window{{a1b2c3d u0 {pkg}/{act}}}:")
        ctx.print(
            "    mDisplayId=0 rootTaskId=12 mSession=Session{7f3e2a1 4321:u0a10123} mClient=android.os.BinderProxy@5c1d2e3"
        )
        ctx.print(f"    mOwnerUid=10123 showForAllUsers=false package={pkg} appop=NONE")
        ctx.print(f"    mFrame=[0,0][{phone.width},{phone.height}]")
        ctx.print("")
        ctx.print(f"  mCurrentFocus=Window{{a1b2c3d u0 {pkg}/{act}}}")
        ctx.print(f"  mFocusedApp=ActivityRecord{{9e8d7c6 u0 {short} t12}}")
        ctx.print(f"  mInputMethodWindow=Window{{4d5e6f7 u0 InputMethod}} isVisible={str(ime_shown).lower()}")
        ctx.print(f"  mDisplayFrames=DisplayFrames w={phone.width} h={phone.height} r=0")
        return 0
    if service == "activity":
        pkg, act = _focus(ctx)
        short = _short_component(pkg, act)
        what = rest[0] if rest else "activities"
        if what in ("top",):
            ctx.print("TASK 12 id=12 userId=0")
            ctx.print(f"  ACTIVITY {short} 5f6e7d8 pid={app_pid(pkg)}")
            return 0
        ctx.print("ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)")
        ctx.print("Display #0 (activities from top to bottom):")
        ctx.print("  * Task{12 #12 type=standard A=10123:" + pkg + " U=0 visible=true mode=fullscreen}")
        ctx.print(f"    * Hist  #0: ActivityRecord{{9e8d7c6 u0 {short} t12}}")
        for i, other in enumerate(p for p in running_packages(phone) if p != pkg):
            ctx.print(f"  * Task{{{13 + i} #{13 + i} type=standard A=10124:{other} U=0 visible=false}}")
        ctx.print("")
        ctx.print(f"  ResumedActivity: ActivityRecord{{9e8d7c6 u0 {short} t12}}")
        ctx.print(f"  mResumedActivity: ActivityRecord{{9e8d7c6 u0 {short} t12}}")
        ctx.print(f"  mFocusedApp=ActivityRecord{{9e8d7c6 u0 {short} t12}}")
        return 0
    if service == "display":
        ctx.print("DISPLAY MANAGER (dumpsys display)")
        ctx.print(
            f"  mDefaultViewport=DisplayViewport{{type=INTERNAL, valid=true, isActive=true, displayId=0, "
            f"uniqueId='local:4619827259835644672', physicalPort=0, orientation=0, "
            f"logicalFrame=Rect(0, 0 - {phone.width}, {phone.height}), physicalFrame=Rect(0, 0 - {phone.width}, {phone.height}), "
            f"deviceWidth={phone.width}, deviceHeight={phone.height}}}"
        )
        ctx.print(
            f'  DisplayDeviceInfo{{"Built-in Screen": {phone.width} x {phone.height}, density {phone.density}, orientation=0}}'
        )
        return 0
    if service == "power":
        ctx.print("POWER MANAGER (dumpsys power)")
        ctx.print("  mWakefulness=Awake\n  mWakefulnessChanging=false\n  mIsPowered=true")
        ctx.print(
            "  mHoldingWakeLockSuspendBlocker=false\n  mHoldingDisplaySuspendBlocker=true\n  Display Power: state=ON"
        )
        return 0
    if service == "battery":
        ctx.print(
            "Current Battery Service state:\n  AC powered: false\n  USB powered: true\n  Wireless powered: false"
        )
        ctx.print(
            "  Max charging current: 500000\n  Max charging voltage: 5000000\n  Charge counter: 3000000"
        )
        ctx.print(
            "  status: 2\n  health: 2\n  present: true\n  level: 85\n  scale: 100\n  voltage: 4200\n  temperature: 250\n  technology: Li-ion"
        )
        return 0
    if service == "input_method":
        ctx.print(f"  mCurMethodId={phone.current_ime}")
        shown = phone.keyboard_visible
        ctx.print(f"  mInputShown={str(shown).lower()}")
        return 0
    if service == "package":
        if rest and rest[0] in phone.packages():
            pkg = rest[0]
            ctx.print(
                f"Packages:\n  Package [{pkg}] (3f2e1d0):\n    userId=10123\n    pkg=Package{{3f2e1d0 {pkg}}}"
            )
            ctx.print(
                f"    codePath={_apk_path(ctx, pkg).rsplit('/', 1)[0]}\n    versionCode=34 minSdk=28 targetSdk=34"
            )
            ctx.print("    versionName=14\n    flags=[ HAS_CODE ALLOW_CLEAR_USER_DATA ]")
        return 0
    if service == "SurfaceFlinger":
        ctx.print('Display 4619827259835644672 (HWC display 0): port=0 pnpId=GGL displayName="EMU_display_0"')
        return 0
    ctx.print(f"Can't find service: {service}")
    return 0


def _start_text(action: str | None, cats: list[str], data: str | None, comp: str | None, extras: bool) -> str:
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


def _parse_intent(args: list[str]) -> dict[str, Any]:
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


def _resolve_component(ctx: Ctx, comp: str) -> tuple[str, str] | None:
    if "/" not in comp:
        return None
    pkg, cls = comp.split("/", 1)
    return pkg, _full_class(pkg, cls)


def _am_start(ctx: Ctx, args: list[str]) -> int:
    try:
        intent = _parse_intent(args)
    except StopIteration:
        ctx.error("Error: No intent supplied")
        return 1
    phone = ctx.phone
    comp = intent["comp"]
    if comp is None and intent["pos"] and "/" in intent["pos"][0]:
        comp = intent["pos"][0]
    text = _start_text(intent["action"], intent["cats"], intent["data"], None, bool(intent["extras"]))
    if comp is not None:
        resolved = _resolve_component(ctx, comp)
        if resolved is None:
            ctx.error(f"Error: Bad component name: {comp}")
            return 1
        pkg, cls = resolved
        text = _start_text(
            intent["action"],
            intent["cats"],
            intent["data"],
            _short_component(pkg, cls),
            bool(intent["extras"]),
        )
        ctx.print(f"Starting: {text}")
        if "-S" in intent["flags"]:
            _force_stop(ctx, pkg)
        was = _focus(ctx)
        if pkg not in phone.packages() or not phone.start_activity(pkg, cls):
            ctx.error("Error type 3")
            ctx.error(f"Error: Activity class {{{pkg}/{cls}}} does not exist.")
            return 0
        if was == (pkg, cls) and "-S" not in intent["flags"]:
            ctx.print(
                "Warning: Activity not started, intent has been delivered to currently running top-most instance."
            )
        _wait_report(ctx, intent, pkg, cls)
        return 0
    if intent["action"] == "android.intent.action.MAIN" and "android.intent.category.HOME" in intent["cats"]:
        ctx.print(f"Starting: {text}")
        phone.go_home()
        launcher = phone.packages().get("com.android.launcher3", "com.android.launcher3.Launcher")
        _wait_report(ctx, intent, "com.android.launcher3", launcher)
        return 0
    pkg = intent.get("package")
    if pkg and pkg in phone.packages():
        ctx.print(f"Starting: {text}")
        phone.start_activity(pkg, None)
        return 0
    ctx.print(f"Starting: {text}")
    flagged = text[:-2] + " flg=0x10000000 }" if text.endswith(" }") else text
    ctx.error(f"Error: Activity not started, unable to resolve {flagged}")
    return 0


def _wait_report(ctx: Ctx, intent: dict[str, Any], pkg: str, cls: str) -> None:
    if "-W" in intent["flags"]:
        ctx.print("Status: ok\nLaunchState: COLD")
        ctx.print(f"Activity: {_short_component(pkg, cls)}\nTotalTime: 180\nWaitTime: 184\nComplete")


def _force_stop(ctx: Ctx, pkg: str) -> None:
    ctx.phone.force_stop(pkg)


def _am_broadcast(ctx: Ctx, args: list[str]) -> int:
    try:
        intent = _parse_intent(args)
    except StopIteration:
        ctx.error("Error: No intent supplied")
        return 1
    action = intent["action"] or ""
    extras = intent["extras"]
    text = _start_text(action or None, intent["cats"], intent["data"], intent["comp"], bool(extras))
    text = text[:-2] + " flg=0x400000" + (" (has extras)" if extras else "") + " }"
    text = text.replace(" (has extras) flg=0x400000", " flg=0x400000")
    ctx.print(f"Broadcasting: {text}")
    phone = ctx.phone
    imes = phone.ime_list()
    result = "Broadcast completed: result=0"
    if action.startswith("ADB_KEYBOARD_") and U2_KEYBOARD_IME in imes:
        ok = _u2_keyboard(ctx, action, extras)
        result = 'Broadcast completed: result=-1, data="success"' if ok else "Broadcast completed: result=0"
    elif action.startswith("ADB_") and ADB_KEYBOARD_IME in imes:
        _adb_keyboard(ctx, action, extras)
    ctx.print(result)
    return 0


def _adb_keyboard(ctx: Ctx, action: str, extras: dict[str, str]) -> None:
    """senzhk's ADBKeyBoard: ADB_INPUT_TEXT msg, ADB_INPUT_B64 msg, ADB_INPUT_CODE code, ADB_CLEAR_TEXT."""
    phone = ctx.phone
    if action == "ADB_INPUT_TEXT" and extras.get("msg") is not None:
        phone.input_text(extras["msg"])
    elif action == "ADB_INPUT_B64" and extras.get("msg") is not None:
        try:
            phone.input_text(base64.b64decode(extras["msg"]).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            pass
    elif action == "ADB_INPUT_CHARS" and extras.get("chars"):
        try:
            phone.input_text("".join(chr(int(c)) for c in extras["chars"].split(",")))
        except ValueError:
            pass
    elif action in ("ADB_INPUT_CODE", "ADB_EDITOR_CODE") and extras.get("code"):
        code = keycode_from_string(extras["code"])
        if code is not None:
            phone.key(code if action == "ADB_INPUT_CODE" else 66)
    elif action == "ADB_CLEAR_TEXT":
        _clear_focused(ctx)


def _u2_keyboard(ctx: Ctx, action: str, extras: dict[str, str]) -> bool:
    """uiautomator2's AdbKeyboard broadcasts (text is base64 UTF-8)."""
    phone = ctx.phone
    if action == "ADB_KEYBOARD_INPUT_TEXT":
        try:
            phone.input_text(base64.b64decode(extras.get("text") or "").decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
    elif action == "ADB_KEYBOARD_CLEAR_TEXT":
        _clear_focused(ctx)
    elif action == "ADB_KEYBOARD_INPUT_KEYCODE":
        code = keycode_from_string(extras.get("code") or "")
        if code is None:
            return False
        phone.key(code)
    elif action in ("ADB_KEYBOARD_SMART_ENTER", "ADB_KEYBOARD_EDITOR_CODE"):
        phone.key(66)
    elif action == "ADB_KEYBOARD_HIDE":
        phone.hide_keyboard()
    return True


def _clear_focused(ctx: Ctx) -> None:
    ctx.phone.clear_text()


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
        _force_stop(ctx, pkgs[-1])
        return 0
    if sub == "broadcast":
        return _am_broadcast(ctx, rest)
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
        pkg, act = _focus(ctx)
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


# ---------------------------------------------------------------- packages


THIRD_PARTY_PREFIXES = ("org.mobileagent.", "com.github.uiautomator", "com.android.adbkeyboard")


def _is_system(pkg: str) -> bool:
    return not pkg.startswith(THIRD_PARTY_PREFIXES)


def _all_packages(ctx: Ctx) -> list[str]:
    pkgs = set(ctx.phone.packages())
    for ime in ctx.phone.ime_list():
        pkgs.add(ime.split("/", 1)[0])
    pkgs.update({"android", "com.android.shell", "com.android.systemui"})
    return sorted(pkgs)


def _apk_path(ctx: Ctx, pkg: str) -> str:
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
        pkgs = _all_packages(ctx)
        if "-3" in opts:
            pkgs = [p for p in pkgs if not _is_system(p)]
        if "-s" in opts:
            pkgs = [p for p in pkgs if _is_system(p)]
        if filters:
            pkgs = [p for p in pkgs if filters[0] in p]
        for p in pkgs:
            ctx.print(f"package:{_apk_path(ctx, p)}={p}" if "-f" in opts else f"package:{p}")
        return 0
    if sub == "path":
        pkg = next((a for a in rest if not a.startswith("-")), "")
        if pkg not in _all_packages(ctx):
            return 1
        ctx.print(f"package:{_apk_path(ctx, pkg)}")
        return 0
    if sub == "clear":
        pkg = next((a for a in rest if not a.startswith("-")), "")
        if pkg not in _all_packages(ctx):
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
        intent = _parse_intent([a for a in args if a not in ("--brief", "--components")])
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
        intent = _parse_intent([a for a in args if a not in ("--brief", "--components")])
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


def _parse_where(where: str | None) -> list[tuple[str, str, str]]:
    """`a=1 AND b LIKE '%x%'` -> [(col, op, value)]; unsupported syntax raises ValueError."""
    if not where:
        return []
    conds = []
    for part in re.split(r"\s+AND\s+", where.strip(), flags=re.IGNORECASE):
        m = re.fullmatch(
            r"\s*([A-Za-z_][\w]*)\s*(=|==|!=|<>|>=|<=|>|<|\s+LIKE\s+)\s*(.+?)\s*", part, re.IGNORECASE
        )
        if not m:
            raise ValueError(part)
        value = m.group(3)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        conds.append((m.group(1), m.group(2).strip().upper(), value))
    return conds


def _matches(row: dict[str, str], conds: list[tuple[str, str, str]]) -> bool:
    for col, op, value in conds:
        cell = str(row.get(col, ""))
        if op == "LIKE":
            pattern = "^" + re.escape(value).replace("%", ".*").replace("_", ".") + "$"
            if not re.match(pattern, cell, re.IGNORECASE | re.DOTALL):
                return False
            continue
        try:
            a: Any = float(cell)
            b: Any = float(value)
        except ValueError:
            a, b = cell, value
        ok = {
            "=": a == b,
            "==": a == b,
            "!=": a != b,
            "<>": a != b,
            ">": a > b,
            "<": a < b,
            ">=": a >= b,
            "<=": a <= b,
        }[op]
        if not ok:
            return False
    return True


def _bind_values(binds: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for b in binds:
        parts = b.split(":", 2)
        if len(parts) != 3:
            raise ValueError(b)
        values[parts[0]] = parts[2]
    return values


def cmd_content(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.error("usage: adb shell content [subcommand] [options]")
        return 1
    sub = args[0]
    opts: dict[str, list[str]] = {}
    it = iter(args[1:])
    for a in it:
        if a.startswith("--"):
            opts.setdefault(a[2:], []).append(next(it, ""))
    uri = (opts.get("uri") or [""])[0]
    if not uri:
        ctx.error("[ERROR] Content provider URI not specified. Did you specify --uri argument?")
        return 1
    phone = ctx.phone
    authority = uri.split("://", 1)[-1].split("/", 1)[0]
    try:
        if sub == "query":
            rows = phone.content_query(uri)
            conds = _parse_where((opts.get("where") or [None])[0])
            rows = [r for r in rows if _matches(r, conds)]
            proj = (opts.get("projection") or [None])[0]
            cols = [c for c in re.split(r"[:,]", proj) if c] if proj else None
            sort = (opts.get("sort") or [None])[0]
            if sort:
                key, _, order = sort.partition(" ")
                rows = sorted(
                    rows, key=lambda r: _sort_key(r.get(key, "")), reverse=order.strip().upper() == "DESC"
                )
            if not rows:
                ctx.print("No result found.")
                return 0
            for i, row in enumerate(rows):
                items = [(c, row.get(c, "NULL")) for c in cols] if cols else list(row.items())
                ctx.print(f"Row: {i} " + ", ".join(f"{k}={'NULL' if v is None else v}" for k, v in items))
            return 0
        if sub == "insert":
            phone.content_insert(uri, _bind_values(opts.get("bind", [])))
            return 0
        if sub == "delete":
            phone.content_delete(uri, (opts.get("where") or [None])[0])
            return 0
        if sub == "update":
            phone.content_update(uri, _bind_values(opts.get("bind", [])), (opts.get("where") or [None])[0])
            return 0
    except KeyError:
        ctx.error(f"Error while accessing provider:{authority}")
        ctx.error(f"java.lang.IllegalArgumentException: Unknown URL {uri}")
        return 1
    except ValueError as exc:
        ctx.error(f"Error while accessing provider:{authority}")
        ctx.error(
            f'android.database.sqlite.SQLiteException: near "{exc}": syntax error (code 1 SQLITE_ERROR)'
        )
        return 1
    ctx.error(f"Unsupported operation: {sub}")
    return 1


def _sort_key(v: Any) -> tuple[int, Any]:
    try:
        return (0, float(v))
    except (TypeError, ValueError):
        return (1, str(v))


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


def android_commands() -> dict[str, Command]:
    """Name -> command for the Android framework tools."""
    table = {name[4:]: func for name, func in globals().items() if name.startswith("cmd_") and callable(func)}
    table.update(log_commands())  # logbuf.py
    return table
