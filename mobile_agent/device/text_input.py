"""Turn text into the fewest adb shell commands that type it exactly.

Android's `input text ARG` types ARG through the key-character map: printable ASCII only, and
it rewrites every `%s` to a space (that is how a space is passed without the shell splitting
the word), with no escape for a literal `%s`. So:

- printable ASCII goes into ONE `input text` argument: spaces become `%s`, and the argument is
  single-quoted for the device's `sh` (nothing inside single quotes is special: `$`, backticks,
  `;`, `&`, `|`, `\\`, `*`, `!` ... are all literal; a `'` is written `'\\''`);
- a literal `%` followed by `s` is split into two `input text` calls (`...%` then `s...`),
  chained in the same shell command, so it still costs one adb round trip;
- newlines and tabs are key events (ENTER, TAB) in the same chain;
- any other text (CJK, emoji, accents) goes through a keyboard broadcast with base64 payload
  (ADB Keyboard `ADB_INPUT_B64`, or uiautomator2's `ADB_KEYBOARD_INPUT_TEXT`), so no escaping is
  involved at all.

Everything here is pure and testable without a device.
"""

from __future__ import annotations

import base64
import shlex
from dataclasses import dataclass
from typing import Literal

KEY_ENTER = 66
KEY_TAB = 61

ADB_KEYBOARD_IME = "com.android.adbkeyboard/.AdbIME"
U2_KEYBOARD_IME = "com.github.uiautomator/.AdbKeyboard"

# Legacy adbd rejects service strings above 4 KiB (MAX_PAYLOAD_V1); stay well under it.
MAX_COMMAND_BYTES = 3800

Method = Literal["adb_keyboard", "u2_keyboard"]


@dataclass(frozen=True)
class TextOp:
    """One typing step: ASCII for `input text`, a key event, or Unicode for a keyboard."""

    kind: Literal["ascii", "key", "unicode"]
    value: str | int


def is_input_text_safe(ch: str) -> bool:
    """Whether `input text` can type this character (printable ASCII)."""
    return " " <= ch <= "~"


def plan_text(text: str) -> list[TextOp]:
    """Split text into ASCII runs, ENTER/TAB key events and Unicode runs, in order."""
    ops: list[TextOp] = []
    run: list[str] = []
    run_kind: Literal["ascii", "unicode"] | None = None

    def flush() -> None:
        nonlocal run, run_kind
        if run and run_kind is not None:
            ops.append(TextOp(run_kind, "".join(run)))
        run, run_kind = [], None

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for ch in text:
        if ch in "\n\t":
            flush()
            ops.append(TextOp("key", KEY_ENTER if ch == "\n" else KEY_TAB))
            continue
        if ord(ch) < 32 or ord(ch) == 127:
            continue  # other control characters cannot be typed; drop them
        kind: Literal["ascii", "unicode"] = "ascii" if is_input_text_safe(ch) else "unicode"
        if kind != run_kind:
            flush()
            run_kind = kind
        run.append(ch)
    flush()
    return ops


def needs_keyboard(text: str) -> bool:
    """Whether typing this text needs a keyboard broadcast (it has non-ASCII characters)."""
    return any(op.kind == "unicode" for op in plan_text(text))


def split_percent_s(segment: str) -> list[str]:
    """Split ASCII so no piece holds a literal `%` directly followed by `s`."""
    pieces: list[str] = []
    start = 0
    for i in range(len(segment) - 1):
        if segment[i] == "%" and segment[i + 1] == "s":
            pieces.append(segment[start : i + 1])
            start = i + 1
    pieces.append(segment[start:])
    return [p for p in pieces if p]


def input_text_arg(segment: str) -> str:
    """The quoted shell argument that makes `input text` type `segment` exactly.

    `segment` must be printable ASCII without a literal `%s` pair (see `split_percent_s`).
    """
    if "%s" in segment or not all(is_input_text_safe(c) for c in segment):
        raise ValueError(f"segment cannot be passed to `input text` as is: {segment!r}")
    return shlex.quote(segment.replace(" ", "%s"))


def ascii_commands(segment: str) -> list[str]:
    """`input text` commands (usually one) that type an ASCII run."""
    return [f"input text {input_text_arg(p)}" for p in split_percent_s(segment)]


def keyboard_command(text: str, method: Method) -> str:
    """The broadcast that makes a keyboard IME commit `text` (base64: nothing to escape)."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    if method == "adb_keyboard":
        return f"am broadcast -a ADB_INPUT_B64 --es msg {payload}"
    return f"am broadcast -a ADB_KEYBOARD_INPUT_TEXT --es text {payload}"


def _chunks(segment: str, max_chars: int) -> list[str]:
    return [segment[i : i + max_chars] for i in range(0, len(segment), max_chars)] or [segment]


def build_commands(text: str, method: Method | None = None) -> list[str]:
    """Shell command lines (each ONE adb shell call) that type `text`.

    Steps are joined with `&&` so a failure stops the chain. A new command line starts only
    when one would exceed `MAX_COMMAND_BYTES`, so 40 ASCII characters are one call. `method`
    is needed only when the text has non-ASCII characters.
    """
    steps: list[str] = []
    for op in plan_text(text):
        if op.kind == "key":
            steps.append(f"input keyevent {op.value}")
        elif op.kind == "ascii":
            # ~4x worst-case growth ('\'' per quote, %s per space): keep each step bounded
            for chunk in _chunks(str(op.value), 800):
                steps.extend(ascii_commands(chunk))
        else:
            if method is None:
                raise ValueError("non-ASCII text needs a keyboard method")
            for chunk in _chunks(str(op.value), 600):
                steps.append(keyboard_command(chunk, method))
    lines: list[str] = []
    current = ""
    for step in steps:
        candidate = f"{current} && {step}" if current else step
        if current and len(candidate.encode()) > MAX_COMMAND_BYTES:
            lines.append(current)
            current = step
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def android_input_text(arg: str) -> str:
    """What Android's `input text` types for an (already shell-unquoted) argument.

    A transcription of InputShellCommand.sendText: `%s` becomes a space; nothing else changes.
    Used by tests to check our escaping against Android's rule.
    """
    chars = list(arg)
    escape = False
    i = 0
    while i < len(chars):
        if escape:
            escape = False
            if chars[i] == "s":
                chars[i] = " "
                del chars[i - 1]
                i -= 1
        if chars[i] == "%":
            escape = True
        i += 1
    return "".join(chars)
