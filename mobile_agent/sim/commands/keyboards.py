"""`am broadcast`, and the input-method apps that listen to it: senzhk's ADB Keyboard and
uiautomator2's AdbKeyboard."""

from __future__ import annotations

import base64
import binascii

from mobile_agent.sim.adb_keycodes import keycode_from_string
from mobile_agent.sim.commands.intents import parse_intent, start_text
from mobile_agent.sim.commands.registry import Ctx, commands_of, register

__all__ = ["ADB_KEYBOARD_IME", "U2_KEYBOARD_IME", "am_broadcast"]

ADB_KEYBOARD_IME = "com.android.adbkeyboard/.AdbIME"
U2_KEYBOARD_IME = "com.github.uiautomator/.AdbKeyboard"


def am_broadcast(ctx: Ctx, args: list[str]) -> int:
    try:
        intent = parse_intent(args)
    except StopIteration:
        ctx.error("Error: No intent supplied")
        return 1
    action = intent["action"] or ""
    extras = intent["extras"]
    text = start_text(action or None, intent["cats"], intent["data"], intent["comp"], bool(extras))
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


register(commands_of(globals()))
