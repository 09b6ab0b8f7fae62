"""Long-pressing a text field selects its text: typing replaces it, DEL clears it (as on Android)."""

from __future__ import annotations

import re

import adbutils
import pytest

from mobile_agent.sim import SimServer, connect_adb


def _node(xml: str, rid: str) -> tuple[dict[str, str], tuple[int, int]]:
    for m in re.finditer(r"<node [^>]*>", xml):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(0)))
        if attrs.get("resource-id") == rid:
            x1, y1, x2, y2 = map(int, re.findall(r"\d+", attrs["bounds"]))
            return attrs, ((x1 + x2) // 2, (y1 + y2) // 2)
    raise AssertionError(f"{rid} not on screen")


@pytest.fixture
def device():  # type: ignore[no-untyped-def]
    sim = SimServer(count=1, port=0, seed=2).start()
    serial = sim.serials[0]
    try:
        connect_adb(serial)
        yield adbutils.adb.device(serial)
    finally:
        adbutils.adb.disconnect(serial)
        sim.stop()


def _dump(d: adbutils.AdbDevice) -> str:
    return d.shell("uiautomator dump /sdcard/s.xml >/dev/null && cat /sdcard/s.xml")


def test_long_press_selects_then_type_replaces_and_del_clears(device: adbutils.AdbDevice) -> None:
    rid = "org.mobileagent.notes:id/title"
    device.shell("am start -n org.mobileagent.notes/org.mobileagent.notes.MainActivity")
    _, fab = _node(_dump(device), "org.mobileagent.notes:id/fab_new")
    device.shell(f"input tap {fab[0]} {fab[1]}")
    _, title = _node(_dump(device), rid)
    device.shell(f"input tap {title[0]} {title[1]}")
    device.shell("input text Groceries")
    attrs, _ = _node(_dump(device), rid)
    assert attrs["text"] == "Groceries" and attrs["selected"] == "false"

    before = device.screenshot()
    device.shell(f"input swipe {title[0]} {title[1]} {title[0]} {title[1]} 800")  # a long press
    attrs, _ = _node(_dump(device), rid)
    assert attrs["selected"] == "true" and attrs["focused"] == "true"
    assert device.screenshot().tobytes() != before.tobytes()  # the selection is drawn

    device.shell("input text Errands")
    attrs, _ = _node(_dump(device), rid)
    assert attrs["text"] == "Errands" and attrs["selected"] == "false"

    device.shell(f"input swipe {title[0]} {title[1]} {title[0]} {title[1]} 800")
    device.shell("input keyevent KEYCODE_DEL")
    attrs, _ = _node(_dump(device), rid)
    assert attrs["text"] == ""

    # without a selection, typing appends and DEL removes one character
    device.shell("input text abc && input keyevent 67")
    assert _node(_dump(device), rid)[0]["text"] == "ab"


def test_a_tap_drops_the_selection(device: adbutils.AdbDevice) -> None:
    rid = "org.mobileagent.notes:id/title"
    device.shell("am start -n org.mobileagent.notes/org.mobileagent.notes.MainActivity")
    _, fab = _node(_dump(device), "org.mobileagent.notes:id/fab_new")
    device.shell(f"input tap {fab[0]} {fab[1]}")
    _, title = _node(_dump(device), rid)
    device.shell(f"input tap {title[0]} {title[1]} && input text Keep")
    device.shell(f"input swipe {title[0]} {title[1]} {title[0]} {title[1]} 800")
    device.shell(f"input tap {title[0]} {title[1]}")
    device.shell("input text Going")
    assert _node(_dump(device), rid)[0]["text"] == "KeepGoing"
