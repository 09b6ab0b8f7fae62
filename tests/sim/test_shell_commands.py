"""Each Android shell command a driver uses, over the real ADB protocol (shell v2 via adbutils)."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from typing import Any

import adbutils
from PIL import Image
from sim_support import APPS, center, find, focus_of, focused_text, nodes, open_text_field


def sh(device: adbutils.AdbDevice, cmd: str) -> tuple[int, str, str]:
    r = device.shell2(cmd, v2=True)
    return r.returncode, r.stdout, r.stderr


def test_unknown_command_is_127_with_android_message(device: adbutils.AdbDevice) -> None:
    assert sh(device, "frobnicate --now") == (127, "", "/system/bin/sh: frobnicate: not found\n")


def test_chaining_and_exit_status(device: adbutils.AdbDevice) -> None:
    assert sh(device, "echo a; echo b") == (0, "a\nb\n", "")
    assert sh(device, "false && echo no; echo $?") == (0, "1\n", "")
    assert sh(device, "false || echo yes") == (0, "yes\n", "")
    assert sh(device, "exit 42")[0] == 42
    assert sh(device, "true; false")[0] == 1
    # adbutils' shell2 without v2 appends `; echo X4EXIT:$?`
    r = device.shell2("ls /nope")
    assert r.returncode == 1


def test_quoting_and_variables(device: adbutils.AdbDevice) -> None:
    assert (
        sh(device, "echo 'single $HOME' \"double $HOME\" plain\\ space")[1]
        == "single $HOME double / plain space\n"
    )
    assert sh(device, "X=5; echo $X ${X}")[1] == "5 5\n"
    assert sh(device, 'echo "$(echo inner)"')[1] == "inner\n"


def test_wm_and_getprop(device: adbutils.AdbDevice) -> None:
    assert sh(device, "wm size") == (0, "Physical size: 1080x2400\n", "")
    assert sh(device, "wm density") == (0, "Physical density: 420\n", "")
    code, out, _ = sh(device, "getprop")
    assert code == 0
    assert re.search(r"^\[ro\.build\.version\.sdk\]: \[34\]$", out, re.M)
    assert sh(device, "getprop ro.build.version.release")[1] == "14\n"
    assert sh(device, "getprop no.such.key")[1] == "\n"


def test_input_tap_swipe_keyevent_change_the_screen(device: adbutils.AdbDevice, phone: Any) -> None:
    device.shell("input keyevent KEYCODE_HOME")
    xml = device.dump_hierarchy()
    label = phone.labels()["com.android.settings"]
    icon = find(xml, text=label)
    assert icon is not None, "launcher shows the Settings icon"
    x, y = center(icon)
    assert sh(device, f"input tap {x} {y}")[0] == 0
    assert focus_of(device) == "com.android.settings"
    assert sh(device, "input keyevent 3")[0] == 0
    assert focus_of(device) == "com.android.launcher3"
    before = phone.version
    assert sh(device, "input swipe 540 1800 540 600 300")[0] == 0
    assert sh(device, "input swipe 540 1200 540 1200 800")[0] == 0  # long press
    assert phone.version >= before
    for name in ("HOME", "home", "KEYCODE_BACK", "4"):
        assert sh(device, f"input keyevent {name}")[0] == 0
    code, _, err = sh(device, "input keyevent NOT_A_KEY")
    assert code != 0 and "Unknown keycode" in err


def test_input_usage_errors(device: adbutils.AdbDevice) -> None:
    code, _, err = sh(device, "input tap 10")
    assert code == 1 and "Error: Invalid arguments for command: tap" in err
    code, _, err = sh(device, "input bogus")
    assert code == 1 and "Unknown command: bogus" in err


def test_input_text_types_into_focused_field(device: adbutils.AdbDevice) -> None:
    open_text_field(device)
    before = focused_text(device)
    assert sh(device, "input text hello%sworld")[0] == 0
    assert focused_text(device) == before + "hello world"
    code, _, err = sh(device, "input text 你好")
    assert code == 255 and "NullPointerException" in err
    assert focused_text(device) == before + "hello world"


def test_adb_keyboard_broadcasts(device: adbutils.AdbDevice) -> None:
    assert "com.android.adbkeyboard/.AdbIME" in sh(device, "ime list -s")[1].split()
    open_text_field(device)
    before = focused_text(device)
    code, out, _ = sh(device, "am broadcast -a ADB_INPUT_TEXT --es msg '中文 ok'")
    assert code == 0
    assert out.startswith("Broadcasting: Intent { act=ADB_INPUT_TEXT flg=0x400000 (has extras) }\n")
    assert "Broadcast completed: result=0" in out
    assert focused_text(device) == before + "中文 ok"
    # uiautomator2's own keyboard answers only when it is installed, as on a real phone
    u2_ime = "com.github.uiautomator/.AdbKeyboard" in sh(device, "ime list -s -a")[1].split()
    b64 = base64.b64encode("和 u2".encode()).decode()
    code, out, _ = sh(device, f"am broadcast -a ADB_KEYBOARD_INPUT_TEXT --es text {b64}")
    if u2_ime:
        assert 'Broadcast completed: result=-1, data="success"' in out
        assert focused_text(device) == before + "中文 ok和 u2"
    else:
        assert out.endswith("Broadcast completed: result=0\n")
        assert focused_text(device) == before + "中文 ok"


def test_screencap_to_stdout_and_file(device: adbutils.AdbDevice) -> None:
    png = device.shell("screencap -p", encoding=None)
    assert Image.open(io.BytesIO(png)).size == (1080, 2400)
    assert sh(device, "screencap -p /sdcard/shot.png") == (0, "", "")
    data = device.sync.read_bytes("/sdcard/shot.png")
    assert Image.open(io.BytesIO(data)).size == (1080, 2400)


def test_dumpsys_window_and_activities(device: adbutils.AdbDevice) -> None:
    pkg = "com.android.contacts"
    act = APPS[pkg]
    device.shell(f"am start -n {pkg}/{act}")
    out = sh(device, "dumpsys window")[1]
    assert re.search(rf"mCurrentFocus=Window\{{\w+ u0 {re.escape(pkg)}/{re.escape(act)}\}}", out)
    assert re.search(rf"mFocusedApp=ActivityRecord\{{\w+ u0 {re.escape(pkg)}/\S+ t\d+\}}", out)
    out = sh(device, "dumpsys activity activities")[1]
    assert "mResumedActivity: ActivityRecord{" in out and pkg in out


def test_am_start_forms_and_errors(device: adbutils.AdbDevice) -> None:
    code, out, err = sh(device, "am start -n com.android.settings/.Settings")
    assert code == 0 and out.startswith("Starting: Intent { cmp=com.android.settings/.Settings }")
    assert focus_of(device) == "com.android.settings"
    code, out, err = sh(device, "am start -n com.example.none/.Main")
    assert "Error type 3" in err
    assert "Error: Activity class {com.example.none/com.example.none.Main} does not exist." in err
    code, out, _ = sh(device, "am start -a android.intent.action.MAIN -c android.intent.category.HOME")
    assert out.startswith(
        "Starting: Intent { act=android.intent.action.MAIN cat=[android.intent.category.HOME] }"
    )
    assert focus_of(device) == "com.android.launcher3"
    device.shell("am start -n com.android.settings/com.android.settings.Settings")
    assert sh(device, "am force-stop com.android.settings")[0] == 0
    assert focus_of(device) != "com.android.settings"


def test_monkey_launches(device: adbutils.AdbDevice) -> None:
    code, out, _ = sh(device, "monkey -p com.android.contacts -c android.intent.category.LAUNCHER 1")
    assert code == 0 and "Events injected: 1" in out
    assert focus_of(device) == "com.android.contacts"
    code, _, err = sh(device, "monkey -p com.example.none -c android.intent.category.LAUNCHER 1")
    assert code != 0 and "No activities found to run, monkey aborted." in err


def test_pm_and_cmd_package(device: adbutils.AdbDevice) -> None:
    out = sh(device, "pm list packages")[1]
    assert "package:com.android.settings\n" in out
    third = sh(device, "pm list packages -3")[1].split()
    assert "package:com.android.settings" not in third
    code, out, _ = sh(device, "pm path com.android.settings")
    assert code == 0 and out.startswith("package:/") and out.strip().endswith(".apk")
    assert sh(device, "pm path com.example.none")[0] == 1
    code, out, _ = sh(device, "cmd package resolve-activity --brief com.android.contacts")
    assert out.splitlines() == [
        "priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=true",
        f"com.android.contacts/{APPS['com.android.contacts']}",
    ]


def test_settings_get_put_list(device: adbutils.AdbDevice) -> None:
    assert sh(device, "settings put system screen_brightness 77")[0] == 0
    assert sh(device, "settings get system screen_brightness")[1] == "77\n"
    assert sh(device, "settings get global no_such_key_here")[1] == "null\n"
    assert sh(device, "settings put global wifi_on 0")[0] == 0
    assert sh(device, "settings get global wifi_on")[1] == "0\n"
    assert sh(device, "settings put global wifi_on 1")[0] == 0
    code, _, err = sh(device, "settings get bogus x")
    assert code != 0 and "Invalid namespace" in err


def test_content_query_insert(device: adbutils.AdbDevice) -> None:
    code, out, _ = sh(device, "content query --uri content://com.android.contacts/contacts")
    assert code == 0
    rows = out.splitlines()
    assert rows and all(re.match(r"Row: \d+ ", r) for r in rows)
    assert "display_name=" in rows[0]
    first = re.search(r"display_name=([^,]+)", rows[0]).group(1)
    out = sh(
        device,
        f"content query --uri content://com.android.contacts/contacts --projection display_name --where \"display_name='{first}'\"",
    )[1]
    assert out.startswith(f"Row: 0 display_name={first}")
    out = sh(
        device,
        "content query --uri content://com.android.contacts/contacts --where \"display_name='Nobody Here'\"",
    )[1]
    assert out == "No result found.\n"
    code, _, err = sh(device, "content query --uri content://no.such.provider/x")
    assert code != 0 and "Error while accessing provider" in err


def test_uiautomator_dump(device: adbutils.AdbDevice) -> None:
    assert sh(device, "uiautomator dump") == (0, "UI hierchary dumped to: /sdcard/window_dump.xml\n", "")
    xml = device.sync.read_text("/sdcard/window_dump.xml")
    assert nodes(xml)
    assert (
        sh(device, "uiautomator dump /data/local/tmp/u.xml")[1]
        == "UI hierchary dumped to: /data/local/tmp/u.xml\n"
    )


def test_ime_commands(device: adbutils.AdbDevice) -> None:
    ids = sh(device, "ime list -s")[1].split()
    assert "com.android.adbkeyboard/.AdbIME" in ids
    assert (
        sh(device, "ime set com.android.adbkeyboard/.AdbIME")[1]
        == "Input method com.android.adbkeyboard/.AdbIME selected for user 0\n"
    )
    assert sh(device, "settings get secure default_input_method")[1] == "com.android.adbkeyboard/.AdbIME\n"
    assert sh(device, "ime enable com.android.adbkeyboard/.AdbIME")[0] == 0
    code, _, err = sh(device, "ime set com.example/.Nope")
    assert code != 0 and "Unknown input method" in err


def test_files_and_toybox(device: adbutils.AdbDevice) -> None:
    assert sh(device, "mkdir /sdcard/t1 && echo hi > /sdcard/t1/a.txt && cat /sdcard/t1/a.txt") == (
        0,
        "hi\n",
        "",
    )
    assert sh(device, "echo more >> /sdcard/t1/a.txt; cat /sdcard/t1/a.txt")[1] == "hi\nmore\n"
    assert sh(device, "ls /sdcard/t1")[1] == "a.txt\n"
    assert "a.txt" in sh(device, "ls -l /sdcard/t1")[1]
    assert sh(device, "mkdir /sdcard/t1")[0] == 1
    assert sh(device, "mkdir -p /sdcard/t1/x/y && touch /sdcard/t1/x/y/z && ls /sdcard/t1/x/y")[1] == "z\n"
    expected = hashlib.md5(b"hi\nmore\n").hexdigest()
    assert sh(device, "toybox md5sum /sdcard/t1/a.txt")[1] == f"{expected}  /sdcard/t1/a.txt\n"
    assert sh(device, "md5sum /sdcard/t1/a.txt")[1].split()[0] == expected
    assert sh(device, "rm /sdcard/t1")[0] == 1
    assert sh(device, "rm -rf /sdcard/t1; ls /sdcard/t1") == (
        1,
        "",
        "ls: /sdcard/t1: No such file or directory\n",
    )
    assert sh(device, "cat /nope")[0] == 1
    assert sh(device, "echo x > /no/dir/file")[0] != 0


def test_identity_and_process_commands(device: adbutils.AdbDevice) -> None:
    assert sh(device, "whoami")[1] == "shell\n"
    assert sh(device, "id")[1].startswith("uid=2000(shell) gid=2000(shell)")
    assert sh(device, "getenforce")[1] == "Enforcing\n"
    assert re.match(r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \w+ \d{4}\n", sh(device, "date")[1])
    device.shell("am start -n com.android.settings/com.android.settings.Settings")
    pid = sh(device, "pidof com.android.settings")[1].strip()
    assert pid.isdigit()
    ps = sh(device, "ps -A")[1]
    assert re.search(rf"\s{pid}\s.*com\.android\.settings$", ps, re.M)
    assert sh(device, "pidof com.example.none")[0] == 1
    assert sh(device, "which input")[1] == "/system/bin/input\n"
    assert sh(device, "which nothing-here")[0] == 1
    assert sh(device, "sleep 0.1; echo slept")[1] == "slept\n"


def test_pipes_and_grep(device: adbutils.AdbDevice) -> None:
    out = sh(device, "dumpsys window | grep -E 'mCurrentFocus|mFocusedApp'")[1]
    assert len(out.splitlines()) == 2
    assert sh(device, "echo abc | grep -q zzz")[0] == 1
    assert sh(device, "pm list packages | grep settings | head -n 1")[1] == "package:com.android.settings\n"
