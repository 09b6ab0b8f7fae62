"""Key names a model or a user may write ("back", "Enter", "volume up", "KEYCODE_TAB", "7")
mapped to Android keycodes for `input keyevent`."""

from __future__ import annotations

import re

KEYCODES: dict[str, int] = {
    "home": 3,
    "back": 4,
    "call": 5,
    "endcall": 6,
    "dpad_up": 19,
    "dpad_down": 20,
    "dpad_left": 21,
    "dpad_right": 22,
    "dpad_center": 23,
    "volume_up": 24,
    "volume_down": 25,
    "power": 26,
    "camera": 27,
    "clear": 28,
    "comma": 55,
    "period": 56,
    "tab": 61,
    "space": 62,
    "explorer": 64,
    "envelope": 65,
    "enter": 66,
    "del": 67,
    "grave": 68,
    "minus": 69,
    "equals": 70,
    "left_bracket": 71,
    "right_bracket": 72,
    "backslash": 73,
    "semicolon": 74,
    "apostrophe": 75,
    "slash": 76,
    "at": 77,
    "plus": 81,
    "menu": 82,
    "notification": 83,
    "search": 84,
    "media_play_pause": 85,
    "media_stop": 86,
    "media_next": 87,
    "media_previous": 88,
    "mute": 91,
    "page_up": 92,
    "page_down": 93,
    "escape": 111,
    "forward_del": 112,
    "ctrl_left": 113,
    "move_home": 122,
    "move_end": 123,
    "volume_mute": 164,
    "app_switch": 187,
    "settings": 176,
    "brightness_down": 220,
    "brightness_up": 221,
    "sleep": 223,
    "wakeup": 224,
    "all_apps": 284,
}

ALIASES: dict[str, str] = {
    "return": "enter",
    "ok": "enter",
    "delete": "del",
    "backspace": "del",
    "esc": "escape",
    "recent": "app_switch",
    "recents": "app_switch",
    "recent_apps": "app_switch",
    "overview": "app_switch",
    "up": "dpad_up",
    "down": "dpad_down",
    "left": "dpad_left",
    "right": "dpad_right",
    "center": "dpad_center",
    "select": "dpad_center",
    "vol_up": "volume_up",
    "vol_down": "volume_down",
    "volumeup": "volume_up",
    "volumedown": "volume_down",
    "play_pause": "media_play_pause",
    "play": "media_play_pause",
    "pause": "media_play_pause",
    "next": "media_next",
    "previous": "media_previous",
    "lock": "sleep",
    "wake": "wakeup",
    "unlock": "wakeup",
    "notifications": "notification",
}

for _d in range(10):
    KEYCODES[str(_d)] = 7 + _d
for _i, _c in enumerate("abcdefghijklmnopqrstuvwxyz"):
    KEYCODES[_c] = 29 + _i

_KEYCODE_NAME = re.compile(r"^KEYCODE_[A-Z0-9_]+$")


class UnknownKey(ValueError):
    """A key name that is neither in the table nor a KEYCODE_* name nor a number."""


def keycode(name: str | int) -> int | str:
    """The keycode for `input keyevent`: an int, or a `KEYCODE_*` name Android resolves itself.

    Accepts table names in any case with spaces or dashes ("Volume Up"), aliases ("backspace"),
    digits and letters (one character), `KEYCODE_*` names, and raw numbers ("66").
    """
    if isinstance(name, int):
        if not 0 <= name <= 400:
            raise UnknownKey(f"keycode {name} is out of range")
        return name
    raw = name.strip()
    if raw.isdigit() and len(raw) > 1:
        return keycode(int(raw))
    upper = raw.upper().replace(" ", "_").replace("-", "_")
    if upper.startswith("KEYCODE_"):
        short = upper.removeprefix("KEYCODE_").lower()
        if short in KEYCODES:
            return KEYCODES[short]
        if _KEYCODE_NAME.match(upper):
            return upper
        raise UnknownKey(f"{name!r} is not a valid Android keycode name")
    key = raw.lower().replace(" ", "_").replace("-", "_")
    key = ALIASES.get(key, key)
    if key in KEYCODES:
        return KEYCODES[key]
    squashed = key.replace("_", "")
    for k in KEYCODES:
        if k.replace("_", "") == squashed:
            return KEYCODES[k]
    known = ", ".join(sorted(k for k in KEYCODES if len(k) > 1))
    raise UnknownKey(f"unknown key {name!r}; use one of: {known}, a letter or digit, or KEYCODE_*")
