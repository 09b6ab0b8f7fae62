"""uiautomator2 3.x connects to the virtual phone and its high-level API works."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import uiautomator2 as u2
from PIL import Image
from sim_support import center, find, focus_of, focused_text, open_text_field, phone_factory

from mobile_agent.sim import SimServer, connect_adb


def recording_factory() -> Any:
    """The phone class, with a log of the gestures it receives (a spy, not a patch)."""
    base = phone_factory()

    class Recording(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.gestures: list[tuple[Any, ...]] = []

        def tap(self, x: int, y: int) -> None:
            self.gestures.append(("tap", x, y))
            super().tap(x, y)

        def long_press(self, x: int, y: int, duration_ms: int) -> None:
            self.gestures.append(("long_press", x, y, duration_ms))
            super().long_press(x, y, duration_ms)

    return Recording


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    server = SimServer(port=0, seed=3, phone_factory=recording_factory()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def d(sim: SimServer) -> Iterator[u2.Device]:
    serial = sim.serials[0]
    connect_adb(serial)
    try:
        yield u2.connect(serial)
    finally:
        subprocess.run(["adb", "disconnect", serial], capture_output=True, timeout=20, check=False)


def test_connect_pushed_the_jar_and_info(d: u2.Device, phone: Any) -> None:
    with phone.lock:
        assert phone.fs.exists("/data/local/tmp/u2.jar")
    info = d.info
    assert info["displayWidth"] == 1080 and info["displayHeight"] == 2400
    assert info["sdkInt"] == 34
    assert info["currentPackageName"]
    assert d.window_size() == (1080, 2400)


def test_dump_hierarchy_and_screenshot(d: u2.Device) -> None:
    xml = d.dump_hierarchy()
    assert "<hierarchy" in xml and "<node" in xml
    img = d.screenshot()
    assert isinstance(img, Image.Image) and img.size == (1080, 2400)


def test_selector_exists_and_click(d: u2.Device, phone: Any) -> None:
    d.press("home")
    label = phone.labels()["com.android.settings"]
    assert d(text=label).exists
    assert not d(text="No Such Label 123").exists
    assert d(text=label).info["text"] == label
    d(text=label).click()
    assert focus_of(d.adb_device) == "com.android.settings"
    with pytest.raises(u2.UiObjectNotFoundError):
        d(text="No Such Label 123").click(timeout=0.3)


def test_click_and_long_click_coordinates(d: u2.Device, phone: Any) -> None:
    d.press("home")
    icon = find(d.dump_hierarchy(), text=phone.labels()["com.android.contacts"])
    assert icon is not None
    x, y = center(icon)
    d.click(x, y)
    assert phone.gestures[-1] == ("tap", x, y)
    assert focus_of(d.adb_device) == "com.android.contacts"
    d.long_click(300, 1500)
    assert phone.gestures[-1][:3] == ("long_press", 300, 1500)
    assert phone.gestures[-1][3] >= 500


def test_send_keys_unicode_into_focused_field(d: u2.Device) -> None:
    open_text_field(d.adb_device)
    before = focused_text(d.adb_device)
    d.send_keys("你好 world")
    assert focused_text(d.adb_device) == before + "你好 world"


def test_rpc_error_is_jsonrpc_error(d: u2.Device) -> None:
    with pytest.raises(u2.RPCUnknownError):
        d.jsonrpc.noSuchMethod()
    assert d.jsonrpc.deviceInfo()["displayWidth"] == 1080  # still serving


def test_server_launch_command_is_accepted(d: u2.Device) -> None:
    dev = d.adb_device
    cmd = "CLASSPATH=/data/local/tmp/u2.jar app_process / com.wetest.uia2.Main -p 9008"
    r = dev.shell2(f"nohup {cmd} >/dev/null 2>&1 & echo started", v2=True, timeout=10)
    assert (r.returncode, r.stdout) == (0, "started\n")
    # a second server while one runs: UiAutomation is already registered, as on Android
    r = dev.shell2(cmd, v2=True, timeout=10)
    assert r.returncode == 1 and "already registered" in r.stderr
    pid = dev.shell("pidof app_process").strip()
    assert dev.shell2(f"kill {pid}", v2=True).returncode == 0
    conn = dev.shell(cmd, stream=True)  # foreground: runs until the client hangs up, like the real server
    try:
        conn.conn.settimeout(5)
        assert b"Starting Server" in conn.conn.recv(4096)
        conn.conn.settimeout(0.3)
        with pytest.raises(TimeoutError):
            conn.conn.recv(1)
        assert d.jsonrpc.deviceInfo()["displayWidth"] == 1080  # served while that stream is open
    finally:
        conn.close()
    d.start_uiautomator()  # the hang-up ended that server; uiautomator2 starts its own
    r = dev.shell2("CLASSPATH=/data/local/tmp/none.jar app_process / com.wetest.uia2.Main", v2=True)
    assert r.returncode == 1 and "Could not find" in r.stderr
    assert d.jsonrpc.deviceInfo()["displayWidth"] == 1080


def test_clipboard_rpc_round_trip(d: u2.Device) -> None:
    d.clipboard = "剪贴板 text"
    assert d.clipboard == "剪贴板 text"
