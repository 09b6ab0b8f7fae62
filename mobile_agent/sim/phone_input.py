"""Input dispatch: taps, long presses, swipes, keys and text, as Android routes them (navigation
bar, soft keyboard, notification shade, the View under the finger). Input only changes state; the
screen is redrawn lazily when someone looks."""

# ruff: noqa: E741  (l, t, r, b are the natural names for a rectangle)
from __future__ import annotations

from mobile_agent.sim import keycodes, render
from mobile_agent.sim.apps.base import new_screen
from mobile_agent.sim.geometry import NAV_H, STATUS_H, H, W
from mobile_agent.sim.phone_screen import PhoneScreen
from mobile_agent.sim.phone_state import LATIN_IME, LAUNCHER
from mobile_agent.sim.ui import EditText, ScrollView, hit, scroll_target

__all__ = ["PhoneInput"]


class PhoneInput(PhoneScreen):
    """Touch, keys and text."""

    def _in_screen(self, x: int, y: int) -> bool:
        return 0 <= x < W and 0 <= y < H

    def tap(self, x: int, y: int) -> None:
        with self.lock:
            x, y = int(x), int(y)
            if not self._in_screen(x, y) or not self.screen_on:
                return
            self._tick()
            had_toast = bool(self.toast)
            self.toast = ""
            if self._dispatch_tap(x, y) or had_toast:
                self._changed()

    def _dispatch_tap(self, x: int, y: int) -> bool:
        nav = render.nav_button_at(x, y)
        if nav is not None:
            {"back": self.back, "home": self.go_home, "recents": self.show_recents}[nav]()
            return True
        kb = self.keyboard_height()
        if kb and y >= H - NAV_H - kb:
            if self.current_ime == LATIN_IME:
                return self._keyboard_tap(x, y)
            return False
        if y < STATUS_H:
            return False
        self.top_screen().pop("select_all", None)  # a tap outside the keyboard drops a selection
        tree = self._window()
        target = hit(tree, x, y)
        if target is None:
            return False
        target.click(x, y)
        return True

    def _keyboard_tap(self, x: int, y: int) -> bool:
        for label, (l, t, r, b) in render.keyboard_keys(self.kb_shift):
            if l <= x < r and t <= y < b:
                if label == "SHIFT":
                    self.kb_shift = not self.kb_shift
                elif label == "DEL":
                    self._key_unlocked(keycodes.DEL)
                elif label == "ENTER":
                    self._key_unlocked(keycodes.ENTER)
                elif label == "SPACE":
                    self._type(" ")
                else:
                    self._type(label)
                    self.kb_shift = False
                return True
        return False

    def long_press(self, x: int, y: int, duration_ms: int = 600) -> None:
        with self.lock:
            x, y = int(x), int(y)
            if not self._in_screen(x, y) or not self.screen_on:
                return
            self._tick()
            self.toast = ""
            if render.nav_button_at(x, y) is not None or y < STATUS_H:
                self._changed()
                return
            kb = self.keyboard_height()
            if kb and y >= H - NAV_H - kb:
                return
            tree = self._window()
            target = hit(tree, x, y, "on_long_click")
            if target is None:
                target = hit(tree, x, y)  # Android falls back to a click when nothing takes the long press
                if target is not None:
                    target.click(x, y)
            elif target.on_long_click is not None:
                target.on_long_click()
                if isinstance(target, EditText) and target.text:
                    self.top_screen()["select_all"] = target.key  # as Android: long press selects
            self._changed()

    def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> None:
        with self.lock:
            x1, y1, x2, y2 = int(x1), int(y1), int(x2), int(y2)
            if not self._in_screen(x1, y1) or not self.screen_on:
                return
            if abs(x2 - x1) < 16 and abs(y2 - y1) < 16:
                if duration_ms >= 500:
                    self.long_press(x1, y1, duration_ms)
                else:
                    self.tap(x1, y1)
                return
            self._tick()
            self.toast = ""
            dy = y1 - y2
            if self.shade is None and y1 < STATUS_H + 40 and -dy > 300 and abs(x2 - x1) < -dy:
                self.shade = new_screen("shade")  # pulled down from the status bar
                self._changed()
                return
            if self.shade is not None and dy > 300 and scroll_target(self._window(), x1, y1) is None:
                self.shade = None
                self._changed()
                return
            if self.top == "home" and self.apps[LAUNCHER].on_swipe(self.launcher, x1, y1, x2, y2):  # type: ignore[attr-defined]
                self._changed()
                return
            if y1 >= H - NAV_H:
                if dy > 200:  # a swipe up from the navigation bar: home, as with gestures
                    self.go_home()
                return
            tree = self._window()
            target = scroll_target(tree, x1, y1)
            if isinstance(target, ScrollView) and abs(dy) > abs(x2 - x1) // 2:
                target.scroll_by(dy)
            self._changed()

    def input_text(self, text: str) -> None:
        with self.lock:
            self._tick()
            self._type(text)
            self._changed()

    def _type(self, text: str) -> None:
        s = self.top_screen()
        key = s.get("focus")
        if not key or s.get("dialog"):
            return
        field = self._focused_field()
        if field is not None and not field.multiline:
            text = text.replace("\n", " ")
        if s.pop("select_all", None) == key:
            s["fields"][key] = text  # typing over a selection replaces it
        else:
            s["fields"][key] = str(s["fields"].get(key, "")) + text
        self._changed()

    def _focused_field(self) -> EditText | None:
        s = self.top_screen()
        key = s.get("focus")
        if not key:
            return None
        for v in self._window().walk():
            if isinstance(v, EditText) and v.key == key and v.store is s["fields"]:
                return v
        return None

    def key(self, code: int) -> None:
        with self.lock:
            self._tick()
            self.toast = ""
            self._key_unlocked(int(code))
            self._changed()

    def _key_unlocked(self, code: int) -> None:
        if code == keycodes.POWER:
            self.screen_on = not self.screen_on
            return
        if code == keycodes.WAKEUP:
            self.screen_on = True
            return
        if code == keycodes.SLEEP:
            self.screen_on = False
            return
        if code == keycodes.HOME:
            self.go_home()
        elif code in (keycodes.BACK, keycodes.ESCAPE):
            self.back()
        elif code == keycodes.APP_SWITCH:
            self.show_recents()
        elif code in (keycodes.ENTER, keycodes.NUMPAD_ENTER):
            self._enter()
        elif code == keycodes.DEL:
            s = self.top_screen()
            k = s.get("focus")
            if k and not s.get("dialog"):
                if s.pop("select_all", None) == k:
                    s["fields"][k] = ""
                else:
                    s["fields"][k] = str(s["fields"].get(k, ""))[:-1]
        elif code == keycodes.TAB:
            self._focus_next()
        elif code in keycodes.CHARS:
            self._type(keycodes.CHARS[code])

    def _enter(self) -> None:
        s = self.top_screen()
        if s.get("dialog"):
            return
        field = self._focused_field()
        if field is None:
            return
        if field.multiline:
            self._type("\n")
        elif field.on_submit is not None:
            field.on_submit()
        else:
            self._focus_next()

    def _focus_next(self) -> None:
        s = self.top_screen()
        fields = [v for v in self._window().walk() if isinstance(v, EditText) and v.store is s["fields"]]
        keys = [f.key for f in fields]
        cur = s.get("focus")
        if cur in keys and keys.index(cur) + 1 < len(keys):
            s["focus"] = keys[keys.index(cur) + 1]
            s["ime"] = True
        else:
            s["ime"] = False  # IME action "done": hide the keyboard, keep the focus

    def clear_text(self) -> None:
        """Empty the focused text field (uiautomator2 `clear_text`)."""
        with self.lock:
            s = self.top_screen()
            if s.get("focus"):
                s["fields"][s["focus"]] = ""
                self._changed()
