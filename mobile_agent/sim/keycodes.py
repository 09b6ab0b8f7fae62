"""Android KEYCODE_* numbers the virtual phone understands, and the characters they type."""

from __future__ import annotations

HOME = 3
BACK = 4
DPAD_UP, DPAD_DOWN, DPAD_LEFT, DPAD_RIGHT, DPAD_CENTER = 19, 20, 21, 22, 23
VOLUME_UP, VOLUME_DOWN = 24, 25
POWER = 26
TAB = 61
SPACE = 62
ENTER = 66
DEL = 67
MENU = 82
SEARCH = 84
NUMPAD_ENTER = 160
ESCAPE = 111
FORWARD_DEL = 112
MOVE_HOME, MOVE_END = 122, 123
APP_SWITCH = 187
SLEEP, WAKEUP = 223, 224

CHARS: dict[int, str] = {
    **{7 + i: str(i) for i in range(10)},
    **{29 + i: chr(ord("a") + i) for i in range(26)},
    17: "*",
    18: "#",
    55: ",",
    56: ".",
    62: " ",
    68: "`",
    69: "-",
    70: "=",
    71: "[",
    72: "]",
    73: "\\",
    74: ";",
    75: "'",
    76: "/",
    77: "@",
    81: "+",
}

NAMES: dict[str, int] = {
    "HOME": HOME,
    "BACK": BACK,
    "POWER": POWER,
    "TAB": TAB,
    "SPACE": SPACE,
    "ENTER": ENTER,
    "DEL": DEL,
    "MENU": MENU,
    "ESCAPE": ESCAPE,
    "APP_SWITCH": APP_SWITCH,
    "VOLUME_UP": VOLUME_UP,
    "VOLUME_DOWN": VOLUME_DOWN,
    "FORWARD_DEL": FORWARD_DEL,
    "SEARCH": SEARCH,
    "WAKEUP": WAKEUP,
    "SLEEP": SLEEP,
    "DPAD_UP": DPAD_UP,
    "DPAD_DOWN": DPAD_DOWN,
    "DPAD_LEFT": DPAD_LEFT,
    "DPAD_RIGHT": DPAD_RIGHT,
    "DPAD_CENTER": DPAD_CENTER,
    "MOVE_HOME": MOVE_HOME,
    "MOVE_END": MOVE_END,
    "NUMPAD_ENTER": NUMPAD_ENTER,
    **{f"{i}": 7 + i for i in range(10)},
    **{chr(ord("A") + i): 29 + i for i in range(26)},
}


def code_of(name: str) -> int | None:
    """`KEYCODE_HOME`, `HOME` or `3` -> 3; None when unknown."""
    n = name.strip().upper()
    if n.startswith("KEYCODE_"):
        n = n[len("KEYCODE_") :]
    if n.isdigit() and name.strip().isdigit():
        return int(n)
    return NAMES.get(n)
