"""Fixtures for the virtual phone's ADB-layer tests: a running SimServer, connected with the
real `adb` server, plus helpers that read the phone's UI through the uiautomator XML.

The phone is the real `mobile_agent.sim.phone.VirtualPhone` when it is importable; until the
phone model lands, a tiny stand-in with the same methods (docs/virtual-phone-internals.md)
lets the protocol layer be tested on its own.
"""

from __future__ import annotations

import io
import re
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import adbutils
import pytest
from PIL import Image

from mobile_agent.sim import SimServer, connect_adb
from mobile_agent.sim.fs import VirtualFS

PACKAGES = {
    "com.android.launcher3": "com.android.launcher3.Launcher",
    "com.android.settings": "com.android.settings.Settings",
    "com.android.contacts": "com.android.contacts.activities.PeopleActivity",
    "org.mobileagent.notes": "org.mobileagent.notes.MainActivity",
}


class StandinPhone:
    """Stand-in with the VirtualPhone methods: a launcher of labelled icons, an app screen with a text field."""

    width = 1080
    height = 2400
    density = 420

    def __init__(self, seed: int = 0, *, serial: str = "virtual", adb_keyboard: bool = True) -> None:
        self.lock = threading.RLock()
        self.fs = VirtualFS()
        self.props = {
            "ro.product.model": "Virtual Phone",
            "ro.product.manufacturer": "MobileAgent",
            "ro.product.name": "virtual_phone",
            "ro.product.device": "virtual",
            "ro.build.version.release": "14",
            "ro.build.version.sdk": "34",
            "ro.serialno": serial,
            "ro.product.cpu.abi": "x86_64",
        }
        self.version = 0
        self.events: list[tuple[Any, ...]] = []
        self.text = ""
        self.focused = False
        self.top = ("com.android.launcher3", "com.android.launcher3.Launcher")
        self.recent: list[str] = []
        self.settings: dict[str, dict[str, str]] = {"global": {"wifi_on": "1"}, "secure": {}, "system": {}}
        self.contacts = [
            {"_id": "1", "display_name": "Alice Smith", "number": "555-0100", "email": "alice@example.com"}
        ]
        self.adb_keyboard = adb_keyboard
        self.current_ime = "com.android.inputmethod.latin/.LatinIME"
        self._png: tuple[int, bytes] | None = None

    def _changed(self) -> None:
        self.version += 1

    def tap(self, x: int, y: int) -> None:
        self.events.append(("tap", x, y))
        if self.top[0] == "com.android.launcher3":
            for label, (x0, t, r, b) in self._launcher_nodes():
                if x0 <= x <= r and t <= y <= b:
                    pkg = next(p for p, lb in self.labels().items() if lb == label)
                    self.start_activity(pkg)
                    return
        elif 100 <= x <= 980 and 400 <= y <= 560:
            self.focused = True
        elif self.top[0] != "com.android.launcher3" and 100 <= x <= 500 and 700 <= y <= 840:
            self.text = ""
        self._changed()

    def long_press(self, x: int, y: int, duration_ms: int) -> None:
        self.events.append(("long_press", x, y, duration_ms))
        self._changed()

    def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int) -> None:
        self.events.append(("swipe", x1, y1, x2, y2, duration_ms))
        self._changed()

    def input_text(self, text: str) -> None:
        self.events.append(("text", text))
        if self.focused:
            self.text += text
        self._changed()

    def key(self, code: int) -> None:
        self.events.append(("key", code))
        if code in (3, 4):
            self.go_home()
        elif code == 67 and self.focused:
            self.text = self.text[:-1]
        self._changed()

    def screenshot(self) -> Image.Image:
        shade = (self.version * 37) % 256
        return Image.new("RGB", (self.width, self.height), (shade, 80, 160))

    def screenshot_png(self) -> bytes:
        if self._png is None or self._png[0] != self.version:
            buf = io.BytesIO()
            self.screenshot().save(buf, format="PNG")
            self._png = (self.version, buf.getvalue())
        return self._png[1]

    def _node(self, index: int, text: str, rid: str, cls: str, bounds: str, **flags: bool) -> str:
        pkg = self.top[0]
        text = text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        attrs = {
            "checkable": False,
            "checked": False,
            "clickable": True,
            "enabled": True,
            "focusable": True,
            "focused": False,
            "scrollable": False,
            "long-clickable": False,
            "password": False,
            "selected": False,
        }
        attrs.update({k.replace("_", "-"): v for k, v in flags.items()})
        flat = " ".join(f'{k}="{str(v).lower()}"' for k, v in attrs.items())
        return (
            f'<node index="{index}" text="{text}" resource-id="{pkg}:id/{rid}" class="{cls}" package="{pkg}" '
            f'content-desc="{text}" {flat} bounds="{bounds}" />'
        )

    def _launcher_nodes(self) -> list[tuple[str, tuple[int, int, int, int]]]:
        out = []
        for pkg, label in sorted(self.labels().items()):
            if pkg == "com.android.launcher3":
                continue
            left, top = 60 + (len(out) % 4) * 250, 600 + (len(out) // 4) * 300
            out.append((label, (left, top, left + 220, top + 260)))
        return out

    def dump_hierarchy(self) -> str:
        pkg = self.top[0]
        children = []
        if pkg == "com.android.launcher3":
            for i, (label, (x0, t, r, b)) in enumerate(self._launcher_nodes()):
                children.append(
                    self._node(i, label, "icon", "android.widget.TextView", f"[{x0},{t}][{r},{b}]")
                )
        else:
            children.append(
                self._node(
                    0,
                    self.text,
                    "search",
                    "android.widget.EditText",
                    "[100,400][980,560]",
                    focused=self.focused,
                    long_clickable=True,
                )
            )
            children.append(self._node(1, "Clear", "clear", "android.widget.Button", "[100,700][500,840]"))
        return (
            "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
            '<hierarchy rotation="0">'
            f'<node index="0" text="" resource-id="" class="android.widget.FrameLayout" package="{pkg}" content-desc="" '
            'checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" '
            'scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][1080,2400]">'
            + "".join(children)
            + "</node></hierarchy>"
        )

    def packages(self) -> dict[str, str]:
        return dict(PACKAGES)

    def labels(self) -> dict[str, str]:
        return {p: p.rsplit(".", 1)[-1].capitalize() for p in PACKAGES}

    def start_activity(self, package: str, activity: str | None = None) -> bool:
        if package not in PACKAGES or (activity is not None and activity != PACKAGES[package]):
            return False
        self.top = (package, PACKAGES[package])
        self.focused = False
        if package not in self.recent:
            self.recent.append(package)
        self._changed()
        return True

    def go_home(self) -> None:
        self.top = ("com.android.launcher3", "com.android.launcher3.Launcher")
        self.focused = False
        self._changed()

    def focus(self) -> tuple[str, str]:
        return self.top

    def recent_apps(self) -> list[str]:
        return list(self.recent)

    def get_setting(self, namespace: str, key: str) -> str | None:
        return self.settings[namespace].get(key)

    def put_setting(self, namespace: str, key: str, value: str) -> None:
        self.settings[namespace][key] = value
        self._changed()

    def content_query(self, uri: str) -> list[dict[str, str]]:
        if uri in ("content://com.android.contacts/contacts", "content://contacts/phones"):
            return [dict(c) for c in self.contacts]
        raise KeyError(uri)

    def content_insert(self, uri: str, values: dict[str, str]) -> None:
        if uri != "content://com.android.contacts/contacts":
            raise KeyError(uri)
        self.contacts.append({"_id": str(len(self.contacts) + 1), **values})

    def content_delete(self, uri: str, where: str | None) -> int:
        raise KeyError(uri)

    def ime_list(self) -> list[str]:
        ids = ["com.android.inputmethod.latin/.LatinIME"]
        if self.adb_keyboard:
            ids += ["com.android.adbkeyboard/.AdbIME", "com.github.uiautomator/.AdbKeyboard"]
        return ids

    def set_ime(self, ime_id: str) -> bool:
        if ime_id not in self.ime_list():
            return False
        self.current_ime = ime_id
        return True

    def snapshot(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "fs": self.fs.snapshot(),
            "settings": {k: dict(v) for k, v in self.settings.items()},
        }

    def restore(self, snap: dict[str, Any]) -> None:
        self.text = snap["text"]
        self.fs.restore(snap["fs"])
        self.settings = {k: dict(v) for k, v in snap["settings"].items()}


def phone_factory() -> Any:
    """The real VirtualPhone when it exists, else the stand-in."""
    try:
        from mobile_agent.sim.phone import VirtualPhone
    except ImportError:
        return StandinPhone
    return VirtualPhone


REAL_PHONE = phone_factory() is not StandinPhone


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    server = SimServer(count=1, port=0, seed=0, phone_factory=phone_factory()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def serial(sim: SimServer) -> Iterator[str]:
    s = sim.serials[0]
    connect_adb(s, timeout=15)
    try:
        yield s
    finally:
        subprocess.run(["adb", "disconnect", s], capture_output=True, timeout=20, check=False)


@pytest.fixture(scope="module")
def device(serial: str) -> adbutils.AdbDevice:
    return adbutils.adb.device(serial)


@pytest.fixture(scope="module")
def phone(sim: SimServer) -> Any:
    return sim.phones[0]


def adb(serial: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """Run the Debian `adb` CLI against one serial."""
    return subprocess.run(["adb", "-s", serial, *args], capture_output=True, timeout=timeout, check=False)


BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")
APPS = {
    "com.android.contacts": "com.android.contacts.activities.PeopleActivity",
    "org.mobileagent.notes": "org.mobileagent.notes.MainActivity",
    "com.android.settings": "com.android.settings.Settings",
}


def nodes(xml: str) -> list[ET.Element]:
    return list(ET.fromstring(xml.encode("utf-8")).iter("node"))


def center(node: ET.Element) -> tuple[int, int]:
    m = BOUNDS.match(node.get("bounds", ""))
    assert m, node.attrib
    left, top, right, bottom = (int(v) for v in m.groups())
    return (left + right) // 2, (top + bottom) // 2


def find(xml: str, **attrs: str) -> ET.Element | None:
    """First node whose attributes equal all of attrs (resource_id means resource-id)."""
    want = {k.replace("_", "-"): v for k, v in attrs.items()}
    return next((n for n in nodes(xml) if all(n.get(k) == v for k, v in want.items())), None)


def focus_of(device: adbutils.AdbDevice) -> str:
    """Package in mCurrentFocus, read the way drivers read it."""
    out = device.shell("dumpsys window windows")
    m = re.search(r"mCurrentFocus=Window\{\S+ u0 (\S+)/(\S+)\}", out)
    assert m, out
    return m.group(1)


def _focused_field(xml: str) -> ET.Element | None:
    return next(
        (n for n in nodes(xml) if n.get("focused") == "true" and n.get("class", "").endswith("EditText")),
        None,
    )


def open_text_field(device: adbutils.AdbDevice) -> ET.Element:
    """Bring up a screen with an editable text field and focus it; returns the focused node."""
    for pkg, act in APPS.items():
        device.shell(f"am start -n {pkg}/{act}")
        for _ in range(4):  # the app may be showing a sub-screen from an earlier test: go back to its list
            xml = device.dump_hierarchy()
            field = next((n for n in nodes(xml) if n.get("class", "").endswith("EditText")), None)
            if field is not None or focus_of(device) != pkg:
                break
            device.shell("input keyevent BACK")
        if field is None:
            continue
        x, y = center(field)
        device.shell(f"input tap {x} {y}")
        focused = _focused_field(device.dump_hierarchy())
        if focused is not None:
            return focused
    raise AssertionError("no screen with an editable text field found")


def focused_text(device: adbutils.AdbDevice) -> str:
    node = _focused_field(device.dump_hierarchy())
    assert node is not None, "no focused text field"
    return node.get("text", "")
