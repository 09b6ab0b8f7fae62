"""Key table and settle maths, no device needed."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from mobile_agent.device.adb import match_app, parse_focus, parse_wm_size
from mobile_agent.device.keys import UnknownKey, keycode
from mobile_agent.device.settle import frame_difference, frames_equal, wait_until_stable


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("back", 4),
        ("Home", 3),
        ("ENTER", 66),
        ("Enter", 66),
        ("del", 67),
        ("backspace", 67),
        ("Volume Up", 24),
        ("volume-down", 25),
        ("KEYCODE_TAB", 61),
        ("keycode_back", 4),
        ("7", 14),
        ("0", 7),
        ("a", 29),
        ("Z", 54),
        ("66", 66),
        (82, 82),
        ("menu", 82),
        ("recents", 187),
        ("volumeup", 24),
    ],
)
def test_key_names(name: str | int, code: int) -> None:
    assert keycode(name) == code


def test_unknown_keycode_names() -> None:
    assert keycode("KEYCODE_MEDIA_RECORD") == "KEYCODE_MEDIA_RECORD"  # Android resolves it
    with pytest.raises(UnknownKey, match="unknown key 'launch rockets'"):
        keycode("launch rockets")
    with pytest.raises(UnknownKey):
        keycode("KEYCODE_$(reboot)")
    with pytest.raises(UnknownKey):
        keycode(9999)


def _screen(box: tuple[int, int, int, int] | None = None) -> Image.Image:
    im = Image.new("RGB", (1080, 2400), (250, 250, 250))
    if box:
        ImageDraw.Draw(im).rectangle(box, fill=(20, 20, 20))
    return im


def test_frame_difference_measures_the_changed_area() -> None:
    a = _screen()
    assert frame_difference(a, a.copy()) == 0.0
    b = _screen((0, 0, 539, 239))  # 540x240 of 1080x2400 = 5 %
    assert frame_difference(a, b) == pytest.approx(0.05, abs=0.002)
    assert frame_difference(a, a.resize((2400, 1080))) == 1.0
    noisy = a.point(lambda v: v - 3)  # below the tolerance: the same screen
    assert frames_equal(a, noisy)
    assert not frames_equal(a, b, threshold=0.01) and frames_equal(a, b, threshold=0.06)


class _Animated:
    """Frames change for the first `moving` captures, then stay put."""

    def __init__(self, moving: int) -> None:
        self.moving = moving
        self.n = 0

    async def screenshot(self) -> Image.Image:
        self.n += 1
        k = min(self.n, self.moving)
        return _screen((0, 0, 100 * k, 100))


async def test_wait_until_stable_returns_the_settled_frame() -> None:
    dev = _Animated(moving=4)
    frame = await wait_until_stable(dev, timeout_s=2.0, interval_s=0.0)
    assert dev.n == 5 and frame_difference(frame, _screen((0, 0, 400, 100))) == 0.0


async def test_wait_until_stable_gives_up_at_the_timeout() -> None:
    dev = _Animated(moving=10**9)
    frame = await wait_until_stable(dev, timeout_s=0.3, interval_s=0.02)
    assert 3 <= dev.n < 40 and frame.size == (1080, 2400)


SIM_APPS = {
    "com.android.launcher3": "com.android.launcher3.Launcher",
    "com.android.settings": "com.android.settings.Settings",
    "com.android.contacts": "com.android.contacts.activities.PeopleActivity",
    "com.android.messaging": "com.android.messaging.ui.conversationlist.ConversationListActivity",
    "com.android.deskclock": "com.android.deskclock.DeskClock",
    "org.mobileagent.notes": "org.mobileagent.notes.MainActivity",
    "com.android.calendar": "com.android.calendar.AllInOneActivity",
    "com.android.gallery3d": "com.android.gallery3d.app.GalleryActivity",
    "com.android.documentsui": "com.android.documentsui.files.FilesActivity",
    "com.tencent.mm": "com.tencent.mm.ui.LauncherUI",
}


@pytest.mark.parametrize(
    ("name", "package"),
    [
        ("Settings", "com.android.settings"),
        ("settngs", "com.android.settings"),
        ("Messages", "com.android.messaging"),
        ("SMS", "com.android.messaging"),
        ("clock", "com.android.deskclock"),
        ("Alarm", "com.android.deskclock"),
        ("Notes", "org.mobileagent.notes"),
        ("Files", "com.android.documentsui"),
        ("gallery", "com.android.gallery3d"),
        ("Calendar", "com.android.calendar"),
        ("微信", "com.tencent.mm"),
        ("WeChat", "com.tencent.mm"),
        ("com.android.contacts", "com.android.contacts"),
        ("desk clock", "com.android.deskclock"),
    ],
)
def test_match_app(name: str, package: str) -> None:
    assert match_app(name, SIM_APPS)[0] == package


def test_match_app_miss_lists_close_matches() -> None:
    pkg, close = match_app("Flight Simulator", SIM_APPS)
    assert pkg is None
    pkg, close = match_app("cont", {"com.android.contacts": "", "com.google.android.contactsync": ""})
    assert pkg is None and close == ["com.android.contacts", "com.google.android.contactsync"]


def test_parse_focus_and_size() -> None:
    dumpsys = (
        "  mCurrentFocus=Window{a1b2c3d u0 com.android.settings/com.android.settings.Settings}\n"
        "  mFocusedApp=ActivityRecord{9e8d7c6 u0 com.android.settings/.Settings t12}"
    )
    assert parse_focus(dumpsys) == "com.android.settings"
    assert (
        parse_focus("  mCurrentFocus=null\n  mFocusedApp=ActivityRecord{1 u0 org.x.app/.Main t3}")
        == "org.x.app"
    )
    assert parse_focus("mCurrentFocus=Window{5 u0 StatusBar}") is None
    assert parse_wm_size("Physical size: 1080x2400") == (1080, 2400)
    assert parse_wm_size("Physical size: 1080x2400\nOverride size: 720x1600") == (720, 1600)
    assert parse_wm_size("nothing") is None
