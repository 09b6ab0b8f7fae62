"""AdbDevice end to end: the real adb server and the ADB wire protocol, against the virtual phone.

What the phone shows is read back the way a user would (screencap, uiautomator XML, dumpsys),
never from the phone object's internals.
"""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import adbutils
import pytest
from ci_guard import skip_or_fail
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mobile_agent.device.adb import AdbDevice, connect_device
from mobile_agent.device.base import (
    AppNotFound,
    Device,
    DeviceDisconnected,
    DeviceNotFound,
    TextInputUnavailable,
)
from mobile_agent.device.settle import frame_difference, wait_until_stable
from mobile_agent.sim import SimServer  # our own module: a broken import is a failure, never a skip

# Apps that have a text field somewhere on their first screen(s), in the order we try them.
FIELD_APPS = [
    "org.mobileagent.notes",
    "com.android.contacts",
    "com.android.messaging",
    "com.android.settings",
]


def _disconnect(serial: str) -> None:
    try:
        adbutils.AdbClient().disconnect(serial)
    except (adbutils.AdbError, OSError):
        pass


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    server = SimServer(count=1, port=0, seed=0).start()
    try:
        yield server
    finally:
        server.stop()
        _disconnect(server.serials[0])


@pytest.fixture
async def device(sim: SimServer) -> AdbDevice:
    dev = await connect_device(sim.serials[0])
    await dev.home()
    yield dev
    await dev.close()


def _nodes(xml: str) -> list[ET.Element]:
    return list(ET.fromstring(xml).iter("node"))


def _center(node: ET.Element) -> tuple[int, int]:
    b = node.get("bounds", "")
    x1, y1, x2, y2 = (int(v) for v in b.replace("][", ",").strip("[]").split(","))
    return (x1 + x2) // 2, (y1 + y2) // 2


def _focused_text(xml: str) -> str | None:
    for n in _nodes(xml):
        if n.get("class", "").endswith("EditText") and n.get("focused") == "true":
            return n.get("text", "")
    return None


async def _focus_a_field(dev: AdbDevice) -> None:
    """Open an app with a text field and tap it, so typed text has somewhere to go."""
    for pkg in FIELD_APPS:
        try:
            await dev.open_app(pkg)
        except AppNotFound:
            continue
        tree = await dev.ui_tree()
        fields = [n for n in _nodes(tree) if n.get("class", "").endswith("EditText")]
        if fields:
            await dev.tap(*_center(fields[0]))
            if _focused_text(await dev.ui_tree()) is not None:
                return
    skip_or_fail("no app with a focusable text field on the virtual phone")


async def _clear_field(dev: AdbDevice) -> None:
    await dev.shell("am broadcast -a ADB_CLEAR_TEXT")


async def test_protocol_info_and_screenshot(device: AdbDevice) -> None:
    assert isinstance(device, Device)
    info = await device.info()
    assert (info.width, info.height) == (1080, 2400) and info.android_version
    shot = await device.screenshot()
    assert shot.size == await device.size() == (1080, 2400) and shot.mode == "RGB"
    assert shot.convert("L").getextrema()[1] > 20  # not a black frame
    assert "<hierarchy" in await device.ui_tree()


async def test_tap_on_an_icon_changes_the_screen(device: AdbDevice) -> None:
    before = await device.screenshot()
    tree = await device.ui_tree()
    icon = next(n for n in _nodes(tree) if n.get("text") == "Settings" or n.get("content-desc") == "Settings")
    await device.tap(*_center(icon))
    after = await wait_until_stable(device, timeout_s=3)
    assert frame_difference(before, after) > 0.05
    assert await device.current_app() == "com.android.settings"
    await device.back()
    assert await device.current_app() != "com.android.settings"


async def test_open_app_fuzzy_and_current_app(device: AdbDevice) -> None:
    assert await device.open_app("settings") == "com.android.settings"
    assert await device.current_app() == "com.android.settings"
    assert await device.open_app("Clock") == "com.android.deskclock"
    assert await device.current_app() == "com.android.deskclock"
    await device.home()
    assert await device.current_app() == "com.android.launcher3"
    with pytest.raises(AppNotFound, match="no installed app matches"):
        await device.open_app("Flight Simulator 2020")


HOSTILE = [
    "it's $HOME; `id` & echo pwned > /sdcard/pwned",
    '"quoted" $(touch /sdcard/pwned) \\ back\\slash',
    "100% sure %s %%s 50%sale * ? ~ # ! ( ) | < >",
]


@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_ascii_arrives_intact_in_one_call(device: AdbDevice, text: str) -> None:
    await _focus_a_field(device)
    await _clear_field(device)
    calls = device.shell_calls
    await device.type_text(text)
    assert device.shell_calls - calls == 1
    assert _focused_text(await device.ui_tree()) == text
    assert "No such file" in await device.shell("ls /sdcard/pwned")


async def test_any_ascii_arrives_intact(sim: SimServer) -> None:
    dev = await connect_device(sim.serials[0])
    await _focus_a_field(dev)
    loop = asyncio.get_running_loop()
    texts = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40)

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=texts)
    def check(text: str) -> None:
        async def one() -> str | None:
            await _clear_field(dev)
            await dev.type_text(text)
            return _focused_text(await dev.ui_tree())

        got = asyncio.run_coroutine_threadsafe(one(), loop).result(timeout=30)
        assert got == text

    await asyncio.to_thread(check)
    await dev.close()


async def test_chinese_and_emoji_through_adb_keyboard(device: AdbDevice) -> None:
    await _focus_a_field(device)
    await _clear_field(device)
    await device.type_text("你好, world 😀")
    assert _focused_text(await device.ui_tree()) == "你好, world 😀"
    calls = device.shell_calls
    await device.type_text("再见")  # keyboard already chosen: one call
    assert device.shell_calls - calls == 1
    assert _focused_text(await device.ui_tree()) == "你好, world 😀再见"


async def test_ascii_only_method_refuses_unicode(sim: SimServer) -> None:
    dev = AdbDevice(sim.serials[0], text_method="input")
    with pytest.raises(TextInputUnavailable, match="ASCII"):
        await dev.type_text("你好")


async def test_keys_by_name(device: AdbDevice) -> None:
    await device.open_app("settings")
    await device.key("Home")
    assert await device.current_app() == "com.android.launcher3"
    with pytest.raises(Exception, match="unknown key"):
        await device.key("launch rockets")


async def test_unknown_serial_is_device_not_found() -> None:
    with pytest.raises(DeviceNotFound):
        await connect_device("no-such-serial-123")
    with pytest.raises(DeviceNotFound, match="adb connect"):
        await connect_device("127.0.0.1:1")  # nothing listens on port 1


async def test_phone_stopped_mid_run_is_disconnected_fast() -> None:
    own = SimServer(count=1, port=0, seed=1).start()
    serial = own.serials[0]
    try:
        dev = await connect_device(serial)
        await dev.screenshot()
        own.stop()
        t = time.monotonic()
        with pytest.raises(DeviceDisconnected):
            for _ in range(3):  # the adb server notices the closed socket on the first call
                await dev.screenshot()
                await dev.tap(10, 10)
        assert time.monotonic() - t < 10
    finally:
        own.stop()
        _disconnect(serial)


async def test_without_adb_keyboard_falls_back_to_uiautomator2() -> None:
    own = SimServer(count=1, port=0, seed=2, adb_keyboard=False).start()
    serial = own.serials[0]
    try:
        dev = await connect_device(serial)
        await _focus_a_field(dev)
        await dev.type_text("hi 你好 😀")
        assert _focused_text(await dev.ui_tree()) == "hi 你好 😀"
        strict = await connect_device(serial, text_method="adb_keyboard")
        with pytest.raises(TextInputUnavailable, match=r"ime enable com\.android\.adbkeyboard"):
            await strict.type_text("你好")
    finally:
        own.stop()
        _disconnect(serial)
