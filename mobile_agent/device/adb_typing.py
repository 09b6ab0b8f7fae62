"""Typing on an adb device: ASCII through one `input text`, other text through ADB Keyboard, the
uiautomator2 keyboard, or uiautomator2's clipboard paste (whichever is there, switched to once)."""

from __future__ import annotations

import shlex
from typing import Any, Literal

from mobile_agent.device.adb_conn import AdbConnection
from mobile_agent.device.base import DeviceError, TextInputUnavailable
from mobile_agent.device.text_input import (
    ADB_KEYBOARD_IME,
    U2_KEYBOARD_IME,
    build_commands,
    needs_keyboard,
    plan_text,
)

__all__ = ["TEXT_METHODS", "AdbTyping", "TextMethod"]

TextMethod = Literal["auto", "adb_keyboard", "u2", "input"]
TEXT_METHODS: tuple[TextMethod, ...] = ("auto", "adb_keyboard", "u2", "input")


class AdbTyping(AdbConnection):
    """`type_text` for an adb device; `restore_keyboard()` puts back the keyboard it switched from."""

    text_method: TextMethod = "auto"
    _keyboard: str | None = None  # resolved non-ASCII method
    _ime_restore: str | None = None
    _u2: Any = None

    async def restore_keyboard(self) -> None:
        """Put back the keyboard we switched to for non-ASCII typing (best effort)."""
        if self._ime_restore and self._dev is not None:
            ime, self._ime_restore = self._ime_restore, None
            try:
                await self.shell(f"ime set {shlex.quote(ime)}", timeout_s=5)
            except DeviceError:
                pass

    async def type_text(self, text: str) -> None:
        """Type into the focused field: ASCII via one `input text`, other text via a keyboard."""
        if not text:
            return
        method: str | None = None
        if needs_keyboard(text):
            method = await self._keyboard_method()
        if method == "u2":
            await self._type_with_u2(text)
            return
        for line in build_commands(text, method):  # type: ignore[arg-type]
            out = await self.shell(line, timeout_s=self.timeout_s + len(line) / 50)
            self._check_output(out, "typing")

    async def _keyboard_method(self) -> str:
        """How non-ASCII text is typed here; switches to that keyboard once if needed."""
        if self._keyboard is not None:
            return self._keyboard
        if self.text_method == "input":
            raise TextInputUnavailable(
                "this text has non-ASCII characters and text_method='input' types ASCII only"
            )
        out = await self.shell("ime list -s -a; echo @@; settings get secure default_input_method")
        listing, _, current = out.partition("@@")
        imes, current = listing.split(), current.strip()
        order = {
            "auto": [("adb_keyboard", ADB_KEYBOARD_IME), ("u2_keyboard", U2_KEYBOARD_IME)],
            "adb_keyboard": [("adb_keyboard", ADB_KEYBOARD_IME)],
            "u2": [("u2_keyboard", U2_KEYBOARD_IME)],
        }[self.text_method]
        for method, ime in order:
            if ime in imes:
                if current != ime:
                    out = await self.shell(f"ime enable {ime} >/dev/null; ime set {ime}")
                    if "selected" not in out and "Unknown" in out:
                        continue
                    if current and current != "null":
                        self._ime_restore = current
                self._keyboard = method
                return method
        if self.text_method in ("auto", "u2") and _u2_importable():
            self._keyboard = "u2"
            return "u2"
        raise TextInputUnavailable(
            f"cannot type non-ASCII text on {self.serial}: no ADB Keyboard and no uiautomator2. Either "
            "install ADB Keyboard (https://github.com/senzhk/ADBKeyBoard): `adb install ADBKeyboard.apk && "
            f"adb shell ime enable {ADB_KEYBOARD_IME} && adb shell ime set {ADB_KEYBOARD_IME}`, "
            "or `pip install uiautomator2`."
        )

    async def _type_with_u2(self, text: str) -> None:
        """ASCII runs through `input text`; Unicode runs through uiautomator2 (clipboard paste)."""
        pending = ""
        for op in plan_text(text):
            if op.kind != "unicode":
                pending += str(op.value) if op.kind == "ascii" else ("\n" if op.value == 66 else "\t")
                continue
            for line in build_commands(pending):
                self._check_output(await self.shell(line), "typing")
            pending = ""
            value = str(op.value)
            await self._run(lambda v=value: self._u2_device().send_keys(v), 30)  # type: ignore[misc]
        for line in build_commands(pending):
            self._check_output(await self.shell(line), "typing")

    def _u2_device(self) -> Any:
        if self._u2 is None:
            import uiautomator2 as u2

            try:
                self._u2 = u2.connect(self.serial)
            except Exception as exc:
                raise TextInputUnavailable(f"uiautomator2 could not connect to {self.serial}: {exc}") from exc
        return self._u2


def _u2_importable() -> bool:
    try:
        import uiautomator2  # noqa: F401
    except ImportError:
        return False
    return True
