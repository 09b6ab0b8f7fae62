"""Helpers for the virtual phone's ADB-layer tests: the `adb` CLI against one serial, and readers of
the phone's UI through the uiautomator XML. Imported by the tests as a module (not from conftest).
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET

import adbutils

from mobile_agent.sim.phone import VirtualPhone


def phone_factory() -> type[VirtualPhone]:
    """The phone class every test server runs (a test may wrap it to record calls)."""
    return VirtualPhone


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
