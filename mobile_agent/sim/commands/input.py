"""`input`: taps, swipes, text and key events, as Android 14's InputShellCommand parses them."""

from __future__ import annotations

import re

from mobile_agent.sim import gesture
from mobile_agent.sim.adb_keycodes import keycode_from_string
from mobile_agent.sim.commands.registry import Ctx, commands_of, register

__all__ = ["INPUT_SOURCES", "INPUT_USAGE", "cmd_input"]

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


def _java_int(text: str) -> int:
    """Integer.parseInt, as Android parses a duration: `1.5`, `nan`, `1e9` and 2**31 are errors."""
    if not re.fullmatch(r"[+-]?[0-9]+", text) or not -(2**31) <= int(text) < 2**31:
        raise ValueError(text)
    return int(text)


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
            duration = _java_int(rest[4]) if len(rest) == 5 else -1
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
            state = ctx.shell.touch
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


register(commands_of(globals()))
