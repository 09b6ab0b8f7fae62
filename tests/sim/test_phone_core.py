"""VirtualPhone core: XML format, input dispatch, navigation, determinism, snapshots, providers."""

# ruff: noqa: E741
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from mobile_agent.sim import render
from mobile_agent.sim.phone import VirtualPhone

NAV_Y = 2400 - render.NAV_H // 2


def nodes(p: VirtualPhone) -> list[ET.Element]:
    return list(ET.fromstring(p.dump_hierarchy().encode("utf-8")).iter("node"))


def bounds(n: ET.Element) -> tuple[int, int, int, int]:
    l, t, r, b = map(int, re.findall(r"-?\d+", n.get("bounds", "")))
    return l, t, r, b


def find(p: VirtualPhone, **attrs: str) -> ET.Element | None:
    for n in nodes(p):
        if all(n.get(k.replace("_", "-")) == v for k, v in attrs.items()):
            return n
    return None


def tap(p: VirtualPhone, **attrs: str) -> ET.Element:
    n = find(p, **attrs)
    assert n is not None, f"no node with {attrs}"
    l, t, r, b = bounds(n)
    p.tap((l + r) // 2, (t + b) // 2)
    return n


def test_xml_is_the_uiautomator_format() -> None:
    p = VirtualPhone(0)
    xml = p.dump_hierarchy()
    assert xml.startswith(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
    )
    root = ET.fromstring(xml.encode())
    first = root.find("node")
    assert first is not None
    assert first.get("bounds") == "[0,0][1080,2400]"
    assert first.get("package") == "com.android.launcher3"
    expected = [
        "index",
        "text",
        "resource-id",
        "class",
        "package",
        "content-desc",
        "checkable",
        "checked",
        "clickable",
        "enabled",
        "focusable",
        "focused",
        "scrollable",
        "long-clickable",
        "password",
        "selected",
        "bounds",
    ]
    assert list(first.attrib) == expected
    settings = find(p, text="Settings")
    assert settings is not None and settings.get("clickable") == "true"
    assert settings.get("class") == "android.widget.TextView"


def test_tap_opens_app_and_focus_reports_it() -> None:
    p = VirtualPhone(0)
    tap(p, text="Settings")
    assert p.focus() == ("com.android.settings", "com.android.settings.Settings")
    assert find(p, text="Wi-Fi") is not None
    assert p.recent_apps() == ["com.android.settings"]


def test_out_of_screen_input_is_ignored() -> None:
    p = VirtualPhone(0)
    v = p.version
    p.tap(-5, 100)
    p.tap(2000, 5000)
    p.swipe(5000, 10, 10, 10, 100)
    assert p.version == v
    assert p.focus()[0] == "com.android.launcher3"


def test_back_home_and_recents() -> None:
    p = VirtualPhone(0)
    tap(p, text="Settings")
    tap(p, text="Display")
    assert find(p, text="Dark theme") is not None
    p.key(4)  # BACK pops the sub-screen
    assert find(p, text="Wi-Fi") is not None
    p.key(4)  # from the root: home
    assert p.focus() == ("com.android.launcher3", "com.android.launcher3.Launcher")
    tap(p, text="Notes")
    p.key(3)  # HOME
    assert p.focus()[0] == "com.android.launcher3"
    p.key(187)  # APP_SWITCH shows recents
    assert p.focus() == ("com.android.launcher3", "com.android.quickstep.RecentsActivity")
    assert p.recent_apps() == ["org.mobileagent.notes", "com.android.settings"]
    tap(p, content_desc="Settings")
    assert p.focus()[0] == "com.android.settings"
    assert p.recent_apps()[0] == "com.android.settings"


def test_nav_bar_buttons_work_by_tapping() -> None:
    p = VirtualPhone(0)
    tap(p, text="Contacts")
    p.tap(540, NAV_Y)  # home
    assert p.focus()[0] == "com.android.launcher3"
    tap(p, text="Contacts")
    tap(p, text=find(p, resource_id="com.android.contacts:id/cliv_name_textview").get("text"))  # type: ignore[union-attr]
    assert p.focus()[1] == "com.android.contacts.activities.QuickContactActivity"
    p.tap(180, NAV_Y)  # back
    assert p.focus()[1] == "com.android.contacts.activities.PeopleActivity"
    p.tap(900, NAV_Y)  # recents
    assert p.focus()[1] == "com.android.quickstep.RecentsActivity"
    p.tap(900, NAV_Y)  # recents again returns
    assert p.focus()[0] == "com.android.contacts"


def test_back_closes_dialog_then_keyboard_first() -> None:
    p = VirtualPhone(0)
    tap(p, text="Notes")
    tap(p, content_desc="New note")
    assert find(p, resource_id="org.mobileagent.notes:id/title", focused="true") is not None
    assert p.keyboard_height() > 0
    p.key(4)
    assert p.keyboard_height() == 0
    assert p.focus()[1] == "org.mobileagent.notes.EditActivity"
    p.key(4)
    assert p.focus()[1] == "org.mobileagent.notes.MainActivity"
    first = find(p, resource_id="org.mobileagent.notes:id/note_item")
    assert first is not None
    l, t, r, b = bounds(first)
    p.long_press((l + r) // 2, (t + b) // 2, 800)
    assert find(p, resource_id="android:id/button1", text="Delete") is not None
    p.key(4)
    assert find(p, resource_id="android:id/button1") is None
    assert p.focus()[1] == "org.mobileagent.notes.MainActivity"


def test_keyboard_keys_type_and_content_area_shrinks() -> None:
    p = VirtualPhone(0)
    tap(p, text="Contacts")
    full = bounds(find(p, resource_id="com.android.contacts:id/contact_list"))  # type: ignore[arg-type]
    tap(p, resource_id="com.android.contacts:id/search_field")
    shrunk = bounds(find(p, resource_id="com.android.contacts:id/contact_list"))  # type: ignore[arg-type]
    assert shrunk[3] <= 2400 - render.NAV_H - render.KB_H < full[3]
    keys = dict(render.keyboard_keys(False))
    q = p.content_query("content://com.android.contacts/contacts")[0]["display_name"][:3].lower()
    for ch in q:
        l, t, r, b = keys[ch]
        p.tap((l + r) // 2, (t + b) // 2)
    field = find(p, resource_id="com.android.contacts:id/search_field")
    assert field is not None and field.get("text") == q and field.get("focused") == "true"
    names = [
        n.get("text")
        for n in nodes(p)
        if n.get("resource-id") == "com.android.contacts:id/cliv_name_textview"
    ]
    assert names and all(q in (x or "").casefold() for x in names)
    p.key(67)  # DEL
    assert find(p, resource_id="com.android.contacts:id/search_field").get("text") == q[:2]  # type: ignore[union-attr]


def test_unicode_and_markup_survive_xml_and_storage() -> None:
    p = VirtualPhone(0)
    tap(p, text="Notes")
    tap(p, content_desc="New note")
    title = 'Tom & "Jerry" <b> 你好 😀'
    p.input_text(title)
    p.key(66)  # ENTER: next field
    p.input_text("line one")
    p.key(66)  # ENTER in a multi-line field: newline
    p.input_text("第二行")
    xml = p.dump_hierarchy()
    assert "&amp;" in xml and "&lt;b&gt;" in xml and "&quot;Jerry&quot;" in xml
    node = find(p, resource_id="org.mobileagent.notes:id/title")
    assert node is not None and node.get("text") == title
    body = find(p, resource_id="org.mobileagent.notes:id/body")
    assert body is not None and body.get("text") == "line one\n第二行"
    tap(p, text="Save")
    rows = p.content_query("content://org.mobileagent.notes/notes")
    assert any(r["title"] == title and r["body"] == "line one\n第二行" for r in rows)


def test_same_seed_same_inputs_same_pixels() -> None:
    def run(seed: int) -> list[bytes]:
        p = VirtualPhone(seed)
        shots = [p.screenshot_png()]
        tap(p, text="Messages")
        shots.append(p.screenshot_png())
        tap(p, content_desc="Start chat")
        p.input_text("Bob")
        p.swipe(540, 1500, 540, 600, 300)
        shots.append(p.screenshot_png())
        return shots

    a, b = run(7), run(7)
    assert a == b
    assert run(8)[1] != a[1]  # another seed: other messages


def test_screenshot_is_cached_per_version_and_valid_png() -> None:
    p = VirtualPhone(0)
    png = p.screenshot_png()
    assert png is p.screenshot_png()
    img = Image.open(io.BytesIO(png))
    assert img.size == (1080, 2400) and img.mode == "RGB"
    v = p.version
    tap(p, text="Clock")
    assert p.version > v
    assert p.screenshot_png() != png


def test_snapshot_restore_round_trip() -> None:
    p = VirtualPhone(3)
    snap = p.snapshot()
    before_png = p.screenshot_png()
    before_sms = p.content_query("content://sms")
    tap(p, text="Settings")
    tap(p, text="Wi-Fi")
    p.content_insert("content://sms/inbox", {"address": "+15550001", "body": "hello"})
    p.fs.write("/sdcard/Download/x.txt", b"x", mtime=0)
    assert p.get_setting("global", "wifi_on") == "0"
    p.restore(snap)
    assert p.get_setting("global", "wifi_on") == "1"
    assert p.content_query("content://sms") == before_sms
    assert not p.fs.exists("/sdcard/Download/x.txt")
    assert p.focus()[0] == "com.android.launcher3"
    assert p.screenshot_png() == before_png
    import copy

    copy.deepcopy(snap)  # plain data


def test_put_setting_updates_the_ui() -> None:
    p = VirtualPhone(0)
    tap(p, text="Settings")
    sw = lambda: [n for n in nodes(p) if n.get("resource-id") == "com.android.settings:id/switch_widget"]  # noqa: E731
    assert sw()[0].get("checked") == "true"
    p.put_setting("global", "wifi_on", "0")
    assert sw()[0].get("checked") == "false"
    p.put_setting("secure", "ui_night_mode", "2")
    px = p.screenshot().getpixel((540, 1800))
    assert sum(px) < 150  # dark background


def test_airplane_mode_turns_radios_off_and_restores() -> None:
    p = VirtualPhone(0)
    tap(p, text="Settings")
    tap(p, text="Bluetooth")
    assert p.get_setting("global", "bluetooth_on") == "1"
    tap(p, text="Airplane mode")
    assert (
        p.get_setting("global", "airplane_mode_on"),
        p.get_setting("global", "wifi_on"),
        p.get_setting("global", "bluetooth_on"),
    ) == ("1", "0", "0")
    tap(p, text="Airplane mode")
    assert (
        p.get_setting("global", "airplane_mode_on"),
        p.get_setting("global", "wifi_on"),
        p.get_setting("global", "bluetooth_on"),
    ) == ("0", "1", "1")


def test_start_activity_packages_and_labels() -> None:
    p = VirtualPhone(0)
    pk = p.packages()
    assert pk["com.android.messaging"] == "com.android.messaging.ui.conversationlist.ConversationListActivity"
    assert p.labels()["org.mobileagent.notes"] == "Notes"
    assert p.start_activity("com.android.calendar") is True
    assert p.focus() == ("com.android.calendar", "com.android.calendar.AllInOneActivity")
    assert p.start_activity("com.nope") is False
    assert p.start_activity("com.android.calendar", "com.android.calendar.Nope") is False
    assert p.start_activity("com.android.settings", ".Settings") is True
    assert p.focus()[0] == "com.android.settings"
    assert p.start_activity("com.android.launcher3", "com.android.launcher3.Launcher") is True
    assert p.focus()[0] == "com.android.launcher3"


def test_content_providers_query_insert_delete() -> None:
    p = VirtualPhone(0)
    contacts = p.content_query("content://com.android.contacts/contacts")
    assert 10 <= len(contacts) <= 15
    assert list(contacts[0]) == ["_id", "display_name", "number", "email"]
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in c["display_name"]) for c in contacts)
    inbox = p.content_query("content://sms/inbox")
    assert all(m["type"] == "1" for m in inbox)
    assert any(re.search(r"Your code is \d{6}", m["body"]) for m in inbox)
    assert p.verification_code in "".join(m["body"] for m in inbox)
    p.content_insert(
        "content://com.android.contacts/contacts", {"display_name": "Zed O'Neil", "number": "+1555"}
    )
    assert p.content_delete("content://com.android.contacts/contacts", "display_name='Zed O''Neil'") == 1
    assert p.content_delete("content://sms", "address='nobody'") == 0
    with pytest.raises(KeyError):
        p.content_query("content://nope/nothing")
    for uri in (
        "content://com.android.deskclock/alarms",
        "content://org.mobileagent.notes/notes",
        "content://com.android.calendar/events",
        "content://media/external/images/media",
    ):
        assert p.content_query(uri)


def test_verification_code_comes_from_the_seed() -> None:
    assert VirtualPhone(1).verification_code == VirtualPhone(1).verification_code
    assert VirtualPhone(1).verification_code != VirtualPhone(2).verification_code


def test_ime_list_and_set() -> None:
    p = VirtualPhone(0)
    assert "com.android.adbkeyboard/.AdbIME" in p.ime_list()
    assert p.set_ime("com.android.adbkeyboard/.AdbIME") is True
    assert p.current_ime == "com.android.adbkeyboard/.AdbIME"
    assert p.set_ime("bogus/.Ime") is False
    assert VirtualPhone(0, adb_keyboard=False).ime_list() == ["com.android.inputmethod.latin/.LatinIME"]


def test_swipe_scrolls_lists_and_opens_app_drawer() -> None:
    p = VirtualPhone(0)
    p.swipe(540, 1800, 540, 600, 300)
    assert find(p, resource_id="com.android.launcher3:id/apps_list_view") is not None
    names = [
        n.get("text")
        for n in nodes(p)
        if n.get("class") == "android.widget.TextView" and n.get("clickable") == "true"
    ]
    assert names == sorted(names)
    p.key(4)
    assert find(p, resource_id="com.android.launcher3:id/apps_list_view") is None
    tap(p, text="Contacts")
    before = [
        n.get("text")
        for n in nodes(p)
        if n.get("resource-id") == "com.android.contacts:id/cliv_name_textview"
    ]
    p.swipe(540, 1900, 540, 700, 300)
    after = [
        n.get("text")
        for n in nodes(p)
        if n.get("resource-id") == "com.android.contacts:id/cliv_name_textview"
    ]
    assert after != before and after[-1] not in before[:-1]
    lst = find(p, resource_id="com.android.contacts:id/contact_list")
    assert lst is not None and lst.get("scrollable") == "true"
    _l, t, _r, b = bounds(lst)
    for n in nodes(p):
        if n.get("resource-id") == "com.android.contacts:id/contact_row":
            _nl, nt, _nr, nb = bounds(n)
            assert t <= nt < nb <= b  # clipped to the viewport


def test_notification_shade_tiles_and_notifications() -> None:
    p = VirtualPhone(4)
    p.start_activity("com.android.settings")
    p.swipe(540, 5, 540, 1200, 300)  # what uiautomator2's open_notification does
    assert find(p, package="com.android.systemui") is not None
    tap(p, content_desc="Bluetooth")
    assert p.get_setting("global", "bluetooth_on") == "1"
    assert find(p, content_desc="Bluetooth", checked="true") is not None
    code_sender = next(m for m in p.content_query("content://sms/inbox") if m["read"] == "0")["address"]
    tap(p, resource_id="android:id/title", text=code_sender)
    assert p.focus()[1] == "com.android.messaging.ui.conversation.ConversationActivity"
    p.swipe(540, 5, 540, 1200, 300)
    p.key(4)  # back closes the shade, the app stays
    assert find(p, package="com.android.systemui") is None
    assert p.focus()[0] == "com.android.messaging"


def test_adb_layer_extras() -> None:
    p = VirtualPhone(5)
    tap(p, text="Notes")
    tap(p, content_desc="New note")
    assert p.keyboard_visible
    p.input_text("abc")
    p.clear_text()
    assert find(p, resource_id="org.mobileagent.notes:id/title").get("text") == ""  # type: ignore[union-attr]
    assert p.top_screen()["fields"]["title"] == ""
    p.hide_keyboard()
    assert not p.keyboard_visible
    p.force_stop("org.mobileagent.notes")
    assert p.focus()[0] == "com.android.launcher3" and "org.mobileagent.notes" not in p.recent_apps()
    assert p.content_update("content://com.android.calendar/events", {"time": "10:30"}, "_id=1") == 1
    ev = next(r for r in p.content_query("content://com.android.calendar/events") if r["_id"] == "1")
    assert ev["time"] == "10:30" and int(ev["dtstart"]) % 86400_000 == (10 * 3600 + 30 * 60) * 1000
    p.clear_app_data("com.android.contacts")
    assert p.content_query("content://com.android.contacts/contacts") == []
    assert "wifi_on" in p.list_settings("global")
    p.delete_setting("global", "wifi_on")
    assert p.get_setting("global", "wifi_on") is None


def test_virtual_clock_advances_one_second_per_input() -> None:
    p = VirtualPhone(6)
    start = p.now()
    for _ in range(120):
        p.key(24)  # VOLUME_UP: no visible effect, but time passes
    assert (p.now() - start).total_seconds() == 120
    assert VirtualPhone(6).now() == start  # the start itself comes from the seed
