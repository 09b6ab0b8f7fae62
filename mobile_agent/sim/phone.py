"""One virtual Android phone: state, apps, input dispatch, screen and uiautomator XML.

The ADB layer calls only the methods listed in docs/virtual-phone-internals.md. State is plain
data (tables of rows, settings, task stacks of screen dicts, the virtual clock), so `snapshot()`
is a deepcopy and the same seed plus the same inputs always gives the same pixels: the clock
starts at a seeded instant and advances one second per input event, never from the wall clock.
Input only changes state; the View tree is rebuilt and drawn lazily when someone looks.
"""

# ruff: noqa: E741  (l, t, r, b are the natural names for a rectangle)
from __future__ import annotations

import copy
import datetime as dt
import io
import re
import threading
from typing import Any

from PIL import Image

from mobile_agent.sim import keycodes, render
from mobile_agent.sim import seed as seed_mod
from mobile_agent.sim.apps import ALL_APPS
from mobile_agent.sim.apps.base import App, Screen, dialog_view, new_screen
from mobile_agent.sim.apps.systemui import build_shade
from mobile_agent.sim.fs import VirtualFS
from mobile_agent.sim.render import KB_H, NAV_H, STATUS_H, H, W
from mobile_agent.sim.ui import EditText, FrameLayout, ScrollView, View, hierarchy_xml, hit, scroll_target

LAUNCHER = "com.android.launcher3"
RECENTS_ACTIVITY = "com.android.quickstep.RecentsActivity"
LATIN_IME = "com.android.inputmethod.latin/.LatinIME"
ADB_IME = "com.android.adbkeyboard/.AdbIME"

# content URI -> (table, filter on type for sms)
URIS: dict[str, tuple[str, int | None]] = {
    "content://com.android.contacts/contacts": ("contacts", None),
    "content://com.android.contacts/data/phones": ("contacts", None),
    "content://contacts/phones": ("contacts", None),
    "content://contacts/people": ("contacts", None),
    "content://sms": ("sms", None),
    "content://sms/inbox": ("sms", 1),
    "content://sms/sent": ("sms", 2),
    "content://com.android.deskclock/alarms": ("alarms", None),
    "content://org.mobileagent.notes/notes": ("notes", None),
    "content://com.android.calendar/events": ("events", None),
    "content://media/external/images/media": ("images", None),
}
COLUMNS: dict[str, tuple[str, ...]] = {
    "contacts": ("_id", "display_name", "number", "email"),
    "sms": ("_id", "thread_id", "address", "date", "read", "type", "body"),
    "alarms": ("_id", "hour", "minutes", "enabled", "label"),
    "notes": ("_id", "title", "body", "modified"),
    "events": ("_id", "title", "dtstart", "dtend", "date", "time"),
    "images": ("_id", "_display_name", "_data", "date_added", "favorite"),
}


class VirtualPhone:
    """A deterministic Android phone in memory; every public method takes `self.lock`."""

    width: int = W
    height: int = H
    density: int = 420

    def __init__(self, seed: int = 0, *, serial: str = "virtual", adb_keyboard: bool = True) -> None:
        seed_value = seed
        self.lock = threading.RLock()
        self.seed = seed_value
        self.serial = serial
        self.adb_keyboard = adb_keyboard
        self.fs = VirtualFS()
        self.version = 0
        self.props: dict[str, str] = {
            "ro.product.model": "Virtual Phone",
            "ro.product.manufacturer": "mobile-agent",
            "ro.product.brand": "mobile-agent",
            "ro.product.name": "virtual_phone",
            "ro.product.device": "virtual",
            "ro.product.board": "virtual",
            "ro.build.version.release": "14",
            "ro.build.version.sdk": "34",
            "ro.build.version.security_patch": "2024-06-05",
            "ro.build.id": "UQ1A.240605.004",
            "ro.build.display.id": "UQ1A.240605.004",
            "ro.build.type": "user",
            "ro.build.tags": "release-keys",
            "ro.build.fingerprint": "mobile-agent/virtual_phone/virtual:14/UQ1A.240605.004/1:user/release-keys",
            "ro.serialno": serial,
            "ro.boot.serialno": serial,
            "ro.product.cpu.abi": "x86_64",
            "ro.product.cpu.abilist": "x86_64,arm64-v8a",
            "ro.sf.lcd_density": "420",
            "ro.hardware": "virtual",
            "ro.kernel.qemu": "0",
            "persist.sys.timezone": "UTC",
            "persist.sys.locale": "en-US",
            "sys.boot_completed": "1",
            "dev.bootcomplete": "1",
            "init.svc.adbd": "running",
            "ro.debuggable": "0",
            "ro.secure": "1",
            "service.adb.tcp.port": "5555",
        }
        self.apps: dict[str, App] = {cls.package: cls(self) for cls in ALL_APPS}
        self._tree: View | None = None
        self._tree_pkg = ""
        self._png: tuple[int, bytes] | None = None
        self._img: tuple[int, Image.Image] | None = None
        self._thumbs: dict[str, Image.Image] = {}
        self._reset_state(seed_value)

    # ------------------------------------------------------------------ state

    def _reset_state(self, seed_value: int) -> None:
        data = seed_mod.generate(seed_value)
        self.clock: int = data["clock"]
        self.battery: int = data["battery"]
        self.verification_code: str = data["verification_code"]
        self.tables: dict[str, list[dict[str, Any]]] = data["tables"]
        self.threads: dict[str, int] = data["threads"]
        self.next_ids = {t: max((r["_id"] for r in rows), default=0) + 1 for t, rows in self.tables.items()}
        self.current_ime = LATIN_IME  # the real default; ADB Keyboard is installed, not selected
        self.settings: dict[str, dict[str, str]] = {
            "global": {
                "wifi_on": "1",
                "bluetooth_on": "0",
                "airplane_mode_on": "0",
                "mobile_data": "1",
                "adb_enabled": "1",
                "device_name": "Virtual Phone",
                "auto_time": "1",
                "auto_time_zone": "1",
                "development_settings_enabled": "1",
                "stay_on_while_plugged_in": "0",
                "window_animation_scale": "1.0",
                "transition_animation_scale": "1.0",
                "animator_duration_scale": "1.0",
                "airplane_mode_radios": "cell,bluetooth,wifi,nfc,wimax",
                "data_roaming": "0",
                "package_verifier_enable": "1",
            },
            "secure": {
                "ui_night_mode": "1",
                "android_id": data["android_id"],
                "location_mode": "3",
                "default_input_method": self.current_ime,
                "enabled_input_methods": ":".join(self.ime_list_unlocked()),
                "bluetooth_name": "Virtual Phone",
                "screensaver_enabled": "0",
            },
            "system": {
                "screen_brightness": str(data["brightness"]),
                "screen_brightness_mode": "0",
                "screen_off_timeout": "60000",
                "font_scale": "1.0",
                "time_12_24": "24",
                "accelerometer_rotation": "1",
                "volume_music": "8",
                "volume_ring": "5",
            },
        }
        self.radio_memory: dict[str, str] = {}  # Wi-Fi/Bluetooth state before airplane mode
        self.tasks: dict[str, list[Screen]] = {}
        self.recents: list[str] = []  # least recent first
        self.top = "home"  # "home" | "recents" | package
        self.launcher: Screen = new_screen("home")
        self.recents_screen: Screen = new_screen("recents")
        self.toast: str = ""
        self.clipboard: str = ""
        self.shade: Screen | None = None  # the notification shade, when pulled down
        self.kb_shift = False
        self.screen_on = True
        self._write_photos()
        self._changed()

    def _write_photos(self) -> None:
        self.fs.mkdir("/sdcard/DCIM/Camera", parents=True)
        for row in self.tables["images"]:
            self.fs.write(row["_data"], self.photo_bytes(row), mtime=row["date_added"])

    def photo_bytes(self, row: dict[str, Any]) -> bytes:
        """The JPEG a seeded gallery photo is stored as (so `adb pull` gets a real image)."""
        buf = io.BytesIO()
        render.picture(row["spec"], 320, 320).save(buf, "JPEG", quality=80)
        return buf.getvalue()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(
                {
                    "seed": self.seed,
                    "clock": self.clock,
                    "battery": self.battery,
                    "tables": self.tables,
                    "threads": self.threads,
                    "next_ids": self.next_ids,
                    "settings": self.settings,
                    "radio_memory": self.radio_memory,
                    "tasks": self.tasks,
                    "recents": self.recents,
                    "top": self.top,
                    "launcher": self.launcher,
                    "recents_screen": self.recents_screen,
                    "toast": self.toast,
                    "kb_shift": self.kb_shift,
                    "screen_on": self.screen_on,
                    "clipboard": self.clipboard,
                    "shade": self.shade,
                    "current_ime": self.current_ime,
                    "verification_code": self.verification_code,
                    "fs": self.fs.snapshot(),
                }
            )

    def restore(self, snap: dict[str, Any]) -> None:
        with self.lock:
            s = copy.deepcopy(snap)
            self.fs.restore(s.pop("fs"))
            for k, v in s.items():
                setattr(self, k, v)
            self._png = None
            self._img = None
            self._changed()

    def reset(self, seed_value: int | None = None) -> None:
        """Back to the freshly seeded state (a new VirtualFS too)."""
        with self.lock:
            self.fs = VirtualFS()
            self.seed = self.seed if seed_value is None else seed_value
            self._reset_state(self.seed)

    def _changed(self) -> None:
        self._tree = None
        self.version += 1

    def now_ms(self) -> int:
        return self.clock * 1000

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock, dt.UTC)

    def next_id(self, table: str) -> int:
        n = self.next_ids.get(table, 1)
        self.next_ids[table] = n + 1
        return n

    def _tick(self) -> None:
        self.clock += 1
        if self.clock % 60 == 0:  # the status bar clock shows a new minute
            self._changed()

    # ------------------------------------------------------------------ settings

    def get_setting(self, namespace: str, key: str) -> str | None:
        with self.lock:
            return self.settings.get(namespace, {}).get(key)

    def put_setting(self, namespace: str, key: str, value: str) -> None:
        """Store a value as `settings put` does (no side effects); the UI reads it when drawn."""
        with self.lock:
            self.settings.setdefault(namespace, {})[key] = str(value)
            if namespace == "secure" and key == "default_input_method" and value in self.ime_list_unlocked():
                self.current_ime = value
            self._changed()

    def setting_on(self, namespace: str, key: str) -> bool:
        return self.settings.get(namespace, {}).get(key, "0") not in ("0", "", "false")

    def set_toggle(self, key: str, on: bool) -> None:
        """A toggle from the UI (Settings or quick settings), with Android's side effects."""
        g = self.settings["global"]
        if key == "airplane_mode_on":
            if on:
                self.radio_memory = {
                    "wifi_on": g.get("wifi_on", "0"),
                    "bluetooth_on": g.get("bluetooth_on", "0"),
                }
                g["wifi_on"] = "0"
                g["bluetooth_on"] = "0"
            else:
                for k, v in self.radio_memory.items():
                    g[k] = v
                self.radio_memory = {}
        g[key] = "1" if on else "0"

    @property
    def dark(self) -> bool:
        return self.settings["secure"].get("ui_night_mode") == "2"

    # ------------------------------------------------------------------ IME

    def ime_list_unlocked(self) -> list[str]:
        return [LATIN_IME, ADB_IME] if self.adb_keyboard else [LATIN_IME]

    def ime_list(self) -> list[str]:
        with self.lock:
            return self.ime_list_unlocked()

    def set_ime(self, ime_id: str) -> bool:
        with self.lock:
            if ime_id not in self.ime_list_unlocked():
                return False
            self.current_ime = ime_id
            self.settings["secure"]["default_input_method"] = ime_id
            self._changed()
            return True

    # ------------------------------------------------------------------ activities

    def packages(self) -> dict[str, str]:
        with self.lock:
            return {p: a.activity for p, a in self.apps.items()}

    def labels(self) -> dict[str, str]:
        with self.lock:
            return {p: a.label for p, a in self.apps.items()}

    def start_activity(self, package: str, activity: str | None = None) -> bool:
        with self.lock:
            app = self.apps.get(package)
            if app is None:
                return False
            if activity and activity.startswith("."):
                activity = package + activity
            if package == LAUNCHER:
                if activity not in (None, app.activity):
                    return False
                self.go_home()
                return True
            if activity not in (None, "", app.activity) and activity not in app.activities:
                return False
            self._tick()
            screen = app.activities.get(activity or "", None)
            self.open_app(package, new_screen(screen) if screen else None)
            return True

    def open_app(self, package: str, screen: Screen | None = None) -> None:
        """Bring an app's task to the front (creating it), optionally pushing a screen on it."""
        app = self.apps[package]
        self.shade = None
        if package not in self.tasks:
            self.tasks[package] = [app.root()]
        if screen is not None:
            self.tasks[package].append(screen)
        if package in self.recents:
            self.recents.remove(package)
        self.recents.append(package)
        self.top = package
        self.kb_shift = False
        self._changed()

    def go_home(self) -> None:
        with self.lock:
            self.shade = None
            self.top = "home"
            self.launcher = new_screen("home")
            self._changed()

    def focus(self) -> tuple[str, str]:
        with self.lock:
            if self.top == "home":
                return (LAUNCHER, self.apps[LAUNCHER].activity)
            if self.top == "recents":
                return (LAUNCHER, RECENTS_ACTIVITY)
            app = self.apps[self.top]
            return (self.top, app.screen_activity(self.tasks[self.top][-1]))

    def recent_apps(self) -> list[str]:
        with self.lock:
            return list(reversed(self.recents))

    def show_recents(self) -> None:
        self.shade = None
        if self.top == "recents":
            prev = self.recents_screen["params"].get("prev", "home")
            self.top = prev if prev in self.tasks or prev == "home" else "home"
        else:
            self._thumbs = {}
            for p in self.recents[-4:]:
                self.thumbnail(p, 440)
            self.recents_screen = new_screen("recents", prev=self.top)
            self.top = "recents"
        self._changed()

    def push_screen(self, package: str, screen: Screen) -> None:
        if package not in self.tasks:
            self.open_app(package)
        stack = self.tasks[package]
        if stack:
            stack[-1]["ime"] = False
        stack.append(screen)
        self.kb_shift = False
        self._changed()

    def pop_screen(self, package: str) -> None:
        stack = self.tasks.get(package)
        if not stack:
            return
        if len(stack) > 1:
            stack.pop()
            stack[-1]["ime"] = False
        else:
            stack[-1] = self.apps[package].root()
            self.go_home()
        self._changed()

    def top_screen(self) -> Screen:
        if self.shade is not None:
            return self.shade
        if self.top == "home":
            return self.launcher
        if self.top == "recents":
            return self.recents_screen
        return self.tasks[self.top][-1]

    def top_app(self) -> App:
        if self.top in ("home", "recents"):
            return self.apps[LAUNCHER]
        return self.apps[self.top]

    def back(self) -> None:
        """Back as Android does it: dialog, then keyboard, then the app, then the activity stack."""
        s = self.top_screen()
        if self.shade is not None:
            self.shade = None
            self._changed()
            return
        if self.top == "recents":
            self.show_recents()
            return
        if s.get("dialog"):
            s["dialog"] = None
        elif s.get("ime") and s.get("focus"):
            s["ime"] = False
        elif self.top_app().on_back(s):
            pass
        elif self.top == "home":
            pass
        else:
            self.pop_screen(self.top)
        self._changed()

    # ------------------------------------------------------------------ input

    def keyboard_height(self) -> int:
        s = self.top_screen()
        if not (s.get("focus") and s.get("ime")) or s.get("dialog"):
            return 0
        return render.ADB_KB_H if self.current_ime == ADB_IME else KB_H

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

    # ------------------------------------------------------------------ screen

    def _window(self) -> View:
        """The View tree of what is on screen now (built and laid out lazily, cached until a change)."""
        if self._tree is not None:
            return self._tree
        app = self.top_app()
        s = self.top_screen()
        if self.shade is not None:
            content = build_shade(self, s)
        elif self.top == "recents":
            content = app.build_recents(s)  # type: ignore[attr-defined]
        else:
            content = app.build(s)
        bottom = H - NAV_H - self.keyboard_height()
        content.margin = (0, STATUS_H, 0, H - bottom)
        content.align = ""
        content.width = content.height = None
        kids: list[View] = [content]
        if s.get("dialog"):
            kids.append(dialog_view(s, app))
        root = FrameLayout(*kids)
        root.layout((0, 0, W, H), (0, 0, W, H))
        self._tree = root
        self._tree_pkg = LAUNCHER if self.top in ("home", "recents") else self.top
        if self.shade is not None:
            self._tree_pkg = "com.android.systemui"
        return root

    def screenshot(self) -> Image.Image:
        with self.lock:
            if self._img is not None and self._img[0] == self.version:
                return self._img[1]
            img = self._render()
            self._img = (self.version, img)
            return img

    def _render(self) -> Image.Image:
        if not self.screen_on:
            return Image.new("RGB", (W, H), (0, 0, 0))
        th = render.theme(self.dark)
        tree = self._window()
        on_wallpaper = self.top in ("home", "recents") and self.shade is None
        img = render.wallpaper(self.dark).copy() if on_wallpaper else Image.new("RGB", (W, H), th["bg"])
        render.draw_tree(img, tree, th)
        fg = (255, 255, 255) if on_wallpaper else th["text"]
        g = self.settings["global"]
        render.status_bar(
            img,
            self.now().strftime("%H:%M"),
            battery=self.battery,
            wifi=g.get("wifi_on") == "1",
            airplane=g.get("airplane_mode_on") == "1",
            bluetooth=g.get("bluetooth_on") == "1",
            fg=fg,
            bg=None if on_wallpaper else th["appbar"],
        )
        kb = self.keyboard_height()
        if kb:
            if self.current_ime == ADB_IME:
                render.draw_adb_keyboard(img, th)
            else:
                render.draw_keyboard(img, th, self.kb_shift)
        if self.toast:
            render.draw_toast(img, self.toast, H - NAV_H - kb)
        render.nav_bar(img, th, transparent=on_wallpaper)
        return img

    def screenshot_png(self) -> bytes:
        with self.lock:
            if self._png is not None and self._png[0] == self.version:
                return self._png[1]
            buf = io.BytesIO()
            self.screenshot().save(buf, "PNG", compress_level=1)
            data = buf.getvalue()
            self._png = (self.version, data)
            return data

    def dump_hierarchy(self) -> str:
        with self.lock:
            tree = self._window()
            return hierarchy_xml(tree, self._tree_pkg)

    def thumbnail(self, package: str, width: int) -> Image.Image:
        """The recents card picture of an app, taken when recents opened (cached until then)."""
        img = self._thumbs.get(package)
        if img is None or img.width != width:
            img = self.render_app_thumbnail(package, width)
            self._thumbs[package] = img
        return img

    def render_app_thumbnail(self, package: str, width: int) -> Image.Image:
        """A small picture of an app's current screen (for the recents cards)."""
        saved_top, saved_tree = self.top, self._tree
        try:
            self.top = package
            self._tree = None
            img = self._render()
        finally:
            self.top, self._tree = saved_top, saved_tree
        return img.reduce(2).resize((width, int(width * H / W)))

    # ------------------------------------------------------------------ extras the ADB layer may use

    @property
    def keyboard_visible(self) -> bool:
        """Whether the soft keyboard is on screen (`dumpsys input_method` mInputShown)."""
        with self.lock:
            return self.keyboard_height() > 0

    def hide_keyboard(self) -> None:
        with self.lock:
            s = self.top_screen()
            if s.get("ime"):
                s["ime"] = False
                self._changed()

    def clear_text(self) -> None:
        """Empty the focused text field (uiautomator2 `clear_text`)."""
        with self.lock:
            s = self.top_screen()
            if s.get("focus"):
                s["fields"][s["focus"]] = ""
                self._changed()

    def force_stop(self, package: str) -> None:
        """`am force-stop`: the app's task is gone (its data stays)."""
        with self.lock:
            if package in self.tasks:
                del self.tasks[package]
            if package in self.recents:
                self.recents.remove(package)
            if self.top == package:
                self.top = "home"
            self._changed()

    APP_TABLES: dict[str, tuple[str, ...]] = {
        "com.android.contacts": ("contacts",),
        "com.android.messaging": ("sms",),
        "com.android.deskclock": ("alarms",),
        "org.mobileagent.notes": ("notes",),
        "com.android.calendar": ("events",),
    }

    def clear_app_data(self, package: str) -> None:
        """`pm clear`: the app's own rows are deleted and it is stopped."""
        with self.lock:
            for table in self.APP_TABLES.get(package, ()):
                self.tables[table] = []
            if package == "com.android.messaging":
                self.threads = {}
            self.force_stop(package)

    def list_settings(self, namespace: str) -> dict[str, str]:
        with self.lock:
            return dict(self.settings.get(namespace, {}))

    def delete_setting(self, namespace: str, key: str) -> None:
        with self.lock:
            self.settings.get(namespace, {}).pop(key, None)
            self._changed()

    def content_update(self, uri: str, values: dict[str, str], where: str | None = None) -> int:
        """`content update`: set columns on the matching rows (ints stay ints)."""
        with self.lock:
            table, type_, row_id = self._table_for(uri)
            rows = [r for r in self._rows(table, type_, row_id) if not where or match_where(r, where)]
            for r in rows:
                for k, v in values.items():
                    if k == "_id":
                        continue
                    old = r.get(k)
                    if isinstance(old, int) and not isinstance(old, bool):
                        try:
                            r[k] = int(v)
                            continue
                        except ValueError:
                            pass
                    r[k] = v
                if table == "events" and ("date" in values or "time" in values):
                    fresh = seed_mod.event_row(r["_id"], r["title"], r["date"], r["time"])
                    r.update(dtstart=fresh["dtstart"], dtend=fresh["dtend"])
            if rows:
                self._changed()
            return len(rows)

    # ------------------------------------------------------------------ content providers

    def _table_for(self, uri: str) -> tuple[str, int | None, int | None]:
        u = uri.strip().rstrip("/")
        row_id: int | None = None
        m = re.fullmatch(r"(.*)/(\d+)", u)
        if u not in URIS and m and m.group(1) in URIS:
            u, row_id = m.group(1), int(m.group(2))
        if u not in URIS:
            raise KeyError(uri)
        table, type_ = URIS[u]
        return table, type_, row_id

    def _rows(self, table: str, type_: int | None, row_id: int | None) -> list[dict[str, Any]]:
        rows = self.tables[table]
        if type_ is not None:
            rows = [r for r in rows if r.get("type") == type_]
        if row_id is not None:
            rows = [r for r in rows if r["_id"] == row_id]
        return rows

    def content_query(self, uri: str, where: str | None = None) -> list[dict[str, str]]:
        with self.lock:
            table, type_, row_id = self._table_for(uri)
            rows = self._rows(table, type_, row_id)
            if where:
                rows = [r for r in rows if match_where(r, where)]
            if table == "sms":
                rows = sorted(rows, key=lambda r: (-r["date"], -r["_id"]))
            cols = COLUMNS[table]
            return [{c: str(r.get(c, "")) for c in cols} for r in rows]

    def content_insert(self, uri: str, values: dict[str, str]) -> None:
        with self.lock:
            table, type_, _ = self._table_for(uri)
            self.insert_row(table, values, type_)
            self._changed()

    def insert_row(self, table: str, values: dict[str, Any], type_: int | None = None) -> dict[str, Any]:
        """Add a row with Android's defaults; used by content insert and by the apps."""
        v = dict(values)
        row: dict[str, Any]
        if table == "contacts":
            row = {
                "display_name": str(v.get("display_name", v.get("name", ""))),
                "number": str(v.get("number", v.get("phone", ""))),
                "email": str(v.get("email", "")),
            }
        elif table == "sms":
            addr = str(v.get("address", ""))
            typ = int(v.get("type", type_ or 1))
            row = {
                "thread_id": self.thread_id(addr),
                "address": addr,
                "date": int(v.get("date", self.now_ms())),
                "read": int(v.get("read", 1 if typ == 2 else 0)),
                "type": typ,
                "body": str(v.get("body", "")),
            }
        elif table == "alarms":
            row = {
                "hour": int(v.get("hour", 0)),
                "minutes": int(v.get("minutes", 0)),
                "enabled": int(v.get("enabled", 1)),
                "label": str(v.get("label", "")),
            }
        elif table == "notes":
            row = {
                "title": str(v.get("title", "")),
                "body": str(v.get("body", "")),
                "modified": int(v.get("modified", self.now_ms())),
            }
        elif table == "events":
            date = str(v.get("date", self.now().date().isoformat()))
            time = str(v.get("time", "09:00"))
            row = seed_mod.event_row(0, str(v.get("title", "")), date, time)
            del row["_id"]
        elif table == "images":
            name = str(v.get("_display_name", f"IMG_{self.clock}.jpg"))
            row = {
                "_display_name": name,
                "_data": str(v.get("_data", f"/sdcard/Pictures/{name}")),
                "date_added": int(v.get("date_added", self.clock)),
                "favorite": int(v.get("favorite", 0)),
                "spec": {
                    "kind": "stripes",
                    "bg": [200, 200, 200],
                    "fg": [120, 120, 220],
                    "fg2": [220, 120, 120],
                },
            }
        else:
            raise KeyError(table)
        row = {"_id": self.next_id(table), **row}
        self.tables[table].append(row)
        return row

    def content_delete(self, uri: str, where: str | None) -> int:
        with self.lock:
            table, type_, row_id = self._table_for(uri)
            doomed = [r for r in self._rows(table, type_, row_id) if not where or match_where(r, where)]
            ids = {id(r) for r in doomed}
            self.tables[table] = [r for r in self.tables[table] if id(r) not in ids]
            if table == "images":
                for r in doomed:
                    if self.fs.exists(r["_data"]):
                        self.fs.remove(r["_data"])
            if doomed:
                self._changed()
            return len(doomed)

    def thread_id(self, address: str) -> int:
        key = normalize_number(address)
        for addr, tid in self.threads.items():
            if normalize_number(addr) == key:
                return tid
        tid = max(self.threads.values(), default=0) + 1
        self.threads[address] = tid
        return tid

    def contact_for(self, address: str) -> dict[str, Any] | None:
        key = normalize_number(address)
        for c in self.tables["contacts"]:
            if key and normalize_number(c["number"]) == key:
                return c
        return None


def normalize_number(n: str) -> str:
    """Digits only, without a leading country code '1' for 11-digit NANP numbers (for matching)."""
    digits = re.sub(r"\D", "", n)
    if not digits:
        return n.strip().casefold()
    return digits[-10:] if len(digits) >= 10 else digits


_COND = re.compile(
    r"""\s*(\w+)\s*(=|==|!=|<>|<=|>=|<|>|\s+LIKE\s+)\s*('(?:[^']|'')*'|"[^"]*"|[^\s]+)\s*""", re.IGNORECASE
)


def match_where(row: dict[str, Any], where: str) -> bool:
    """A small SQL WHERE subset: `col OP value` joined by AND/OR (no parentheses)."""
    for alt in re.split(r"\s+OR\s+", where, flags=re.IGNORECASE):
        if all(_match_cond(row, c) for c in re.split(r"\s+AND\s+", alt, flags=re.IGNORECASE)):
            return True
    return False


def _match_cond(row: dict[str, Any], cond: str) -> bool:
    m = _COND.fullmatch(cond)
    if not m:
        return False
    col, op, raw = m.group(1), m.group(2).strip().upper(), m.group(3)
    if raw[:1] in "'\"" and raw[-1:] == raw[:1] and len(raw) >= 2:
        val = raw[1:-1].replace("''", "'")
    else:
        val = raw
    if col not in row:
        return False
    cell = row[col]
    if op == "LIKE":
        pat = "^" + re.escape(val).replace("%", ".*").replace("_", ".") + "$"
        return re.match(pat, str(cell), re.IGNORECASE | re.DOTALL) is not None
    try:
        a: Any = float(cell)
        b: Any = float(val)
    except (TypeError, ValueError):
        a, b = str(cell), val
    return {
        "=": a == b,
        "==": a == b,
        "!=": a != b,
        "<>": a != b,
        "<": a < b,
        ">": a > b,
        "<=": a <= b,
        ">=": a >= b,
    }[op]
