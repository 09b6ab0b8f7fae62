"""adbutils (the library the framework's device layer uses) against the virtual phone."""

from __future__ import annotations

import hashlib
import io
import os

import adbutils
from sim_support import APPS, find, focus_of


def test_shell_and_shell2(device: adbutils.AdbDevice) -> None:
    assert device.shell("echo hi") == "hi"
    r = device.shell2("ls /no/such/dir")
    assert r.returncode == 1
    assert "No such file or directory" in r.output
    r2 = device.shell2(["echo", "a b", "$(reboot)"])
    assert r2.returncode == 0
    assert r2.output == "a b $(reboot)\n"
    v2 = device.shell2("echo out; echo err >&2; exit 5", v2=True)
    assert (v2.returncode, v2.stdout, v2.stderr) == (5, "out\n", "err\n")


def test_screenshot_and_window_size(device: adbutils.AdbDevice) -> None:
    img = device.screenshot()
    assert img.size == (1080, 2400)
    assert img.mode == "RGB"
    assert tuple(device.window_size()) == (1080, 2400)
    assert device.rotation() == 0


def test_sync_push_pull_stat_list(device: adbutils.AdbDevice) -> None:
    data = os.urandom(5 * 1024 * 1024)
    device.sync.push(io.BytesIO(data), "/sdcard/Download/sync.bin")
    assert device.sync.read_bytes("/sdcard/Download/sync.bin") == data
    st = device.sync.stat("/sdcard/Download/sync.bin")
    assert st.size == len(data)
    names = [e.path for e in device.sync.list("/sdcard/Download")]
    assert "sync.bin" in names
    missing = device.sync.stat("/sdcard/none.bin")
    assert missing.mode == 0 and missing.size == 0
    assert hashlib.md5(data).hexdigest() in device.shell("md5sum /sdcard/Download/sync.bin")


def test_app_start_current_and_stop(device: adbutils.AdbDevice) -> None:
    pkg = "com.android.settings"
    device.app_start(pkg, APPS[pkg])
    assert device.app_current().package == pkg
    assert focus_of(device) == pkg
    device.keyevent("HOME")
    assert device.app_current().package == "com.android.launcher3"
    device.app_start(pkg)  # monkey
    assert device.app_current().package == pkg
    device.shell("am start -a android.intent.action.MAIN -c android.intent.category.HOME")
    assert device.app_current().package == "com.android.launcher3"


def test_list_packages_and_info(device: adbutils.AdbDevice) -> None:
    pkgs = device.list_packages()
    assert {"com.android.settings", "com.android.contacts", "com.android.launcher3"} <= set(pkgs)
    assert device.app_info("com.android.settings") is not None
    assert device.app_info("com.example.missing") is None


def test_dump_hierarchy_and_getprop(device: adbutils.AdbDevice) -> None:
    xml = device.dump_hierarchy()
    assert xml.lstrip().startswith("<?xml")
    assert find(xml) is not None
    assert device.getprop("ro.build.version.sdk") == "34"
    assert device.prop.model
