"""The phone's state: identity, the virtual clock, settings, input methods and the activity
stack (tasks of plain screen dicts), with snapshot/restore; the lowest layer of `VirtualPhone`.

State is plain data, so `snapshot()` is a deepcopy and the same seed plus the same inputs always
gives the same pixels: the clock starts at a seeded instant and advances one second per input
event, never from the wall clock.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import threading
from typing import Any

from PIL import Image

from mobile_agent.sim import render_pictures
from mobile_agent.sim import seed as seed_mod
from mobile_agent.sim.apps.base import App, Screen, new_screen
from mobile_agent.sim.defaults import default_props, default_settings
from mobile_agent.sim.fs import VirtualFS
from mobile_agent.sim.geometry import H, W
from mobile_agent.sim.ui import View

__all__ = ["ADB_IME", "LATIN_IME", "LAUNCHER", "RECENTS_ACTIVITY", "PhoneState"]

LAUNCHER = "com.android.launcher3"
RECENTS_ACTIVITY = "com.android.quickstep.RecentsActivity"
LATIN_IME = "com.android.inputmethod.latin/.LatinIME"
ADB_IME = "com.android.adbkeyboard/.AdbIME"


class PhoneState:
    """State and navigation; every public method takes `self.lock`."""

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
        self.props: dict[str, str] = default_props(serial)
        self.apps: dict[str, App] = {}  # package -> app (VirtualPhone installs them)
        self._tree: View | None = None
        self._tree_pkg = ""
        self._png: tuple[int, bytes] | None = None
        self._img: tuple[int, Image.Image] | None = None
        self._thumbs: dict[str, Image.Image] = {}
        # the seeded state (_reset_state) comes once the apps that seed it are installed

    # ------------------------------------------------------------------ state

    def _reset_state(self, seed_value: int) -> None:
        data = seed_mod.generate(seed_value, list(self.apps.values()))
        self.clock: int = data["clock"]
        self.battery: int = data["battery"]
        self.verification_code: str = data["verification_code"]
        self.tables: dict[str, list[dict[str, Any]]] = data["tables"]
        self.threads: dict[str, int] = data["threads"]
        self.next_ids = {t: max((r["_id"] for r in rows), default=0) + 1 for t, rows in self.tables.items()}
        self.current_ime = LATIN_IME  # the real default; ADB Keyboard is installed, not selected
        self.settings: dict[str, dict[str, str]] = default_settings(
            data, self.current_ime, self.ime_list_unlocked()
        )
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
        render_pictures.picture(row["spec"], 320, 320).save(buf, "JPEG", quality=80)
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

    def clear_app_data(self, package: str) -> None:
        """`pm clear`: the app's own rows are deleted and it is stopped."""
        with self.lock:
            app = self.apps.get(package)
            if app is not None:
                app.clear_data()
            self.force_stop(package)

    def list_settings(self, namespace: str) -> dict[str, str]:
        with self.lock:
            return dict(self.settings.get(namespace, {}))

    def delete_setting(self, namespace: str, key: str) -> None:
        with self.lock:
            self.settings.get(namespace, {}).pop(key, None)
            self._changed()
