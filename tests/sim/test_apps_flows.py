"""One flow per app, driven the way an agent would: find nodes in the XML dump, tap their centres, type."""

# ruff: noqa: E741
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from mobile_agent.sim.phone import VirtualPhone


def nodes(p: VirtualPhone) -> list[ET.Element]:
    return list(ET.fromstring(p.dump_hierarchy().encode("utf-8")).iter("node"))


def find(p: VirtualPhone, **attrs: str) -> ET.Element | None:
    for n in nodes(p):
        if all(n.get(k.replace("_", "-")) == v for k, v in attrs.items()):
            return n
    return None


def find_all(p: VirtualPhone, **attrs: str) -> list[ET.Element]:
    return [n for n in nodes(p) if all(n.get(k.replace("_", "-")) == v for k, v in attrs.items())]


def tap(p: VirtualPhone, **attrs: str) -> ET.Element:
    n = find(p, **attrs)
    assert n is not None, f"no node with {attrs}"
    l, t, r, b = map(int, re.findall(r"\d+", n.get("bounds", "")))
    p.tap((l + r) // 2, (t + b) // 2)
    return n


def open_app(p: VirtualPhone, label: str) -> None:
    p.key(3)
    tap(p, text=label)


def test_contacts_add_search_edit_delete() -> None:
    p = VirtualPhone(11)
    open_app(p, "Contacts")
    tap(p, content_desc="Create contact")
    assert find(p, resource_id="com.android.contacts:id/name", focused="true") is not None
    p.input_text("Zhang Wei 张伟")
    p.key(66)
    p.input_text("+8613900001111")
    p.key(66)
    p.input_text("zw@example.cn")
    tap(p, resource_id="com.android.contacts:id/editor_menu_save_button")
    assert find(p, resource_id="com.android.contacts:id/large_title", text="Zhang Wei 张伟") is not None
    rows = p.content_query("content://com.android.contacts/contacts")
    assert {
        "display_name": "Zhang Wei 张伟",
        "number": "+8613900001111",
        "email": "zw@example.cn",
    }.items() <= next(r for r in rows if r["display_name"] == "Zhang Wei 张伟").items()
    # edit the phone number
    tap(p, resource_id="com.android.contacts:id/edit_button")
    tap(p, resource_id="com.android.contacts:id/phone")
    for _ in range(4):
        p.key(67)
    p.input_text("2222")
    tap(p, text="Save")
    assert any(r["number"] == "+8613900002222" for r in p.content_query("content://contacts/phones"))
    # search from the list
    p.key(4)
    tap(p, resource_id="com.android.contacts:id/search_field")
    p.input_text("张伟")
    names = [n.get("text") for n in find_all(p, resource_id="com.android.contacts:id/cliv_name_textview")]
    assert names == ["Zhang Wei 张伟"]
    tap(p, text="Zhang Wei 张伟")
    tap(p, content_desc="Delete")
    tap(p, resource_id="android:id/button1")
    assert not any(
        r["display_name"] == "Zhang Wei 张伟" for r in p.content_query("content://contacts/phones")
    )


def test_contacts_editor_refuses_an_empty_contact() -> None:
    p = VirtualPhone(11)
    open_app(p, "Contacts")
    n = len(p.content_query("content://com.android.contacts/contacts"))
    tap(p, content_desc="Create contact")
    tap(p, text="Save")
    assert find(p, resource_id="com.android.contacts:id/error") is not None
    assert len(p.content_query("content://com.android.contacts/contacts")) == n


def test_messages_compose_to_contact_by_name_and_enter() -> None:
    p = VirtualPhone(12)
    contact = p.content_query("content://com.android.contacts/contacts")[2]
    open_app(p, "Messages")
    tap(p, text="Start chat")
    assert find(p, resource_id="com.android.messaging:id/recipient_text_view", focused="true") is not None
    p.input_text(contact["display_name"])
    p.key(66)  # Enter in the To field moves to the message field
    assert find(p, resource_id="com.android.messaging:id/compose_message_text", focused="true") is not None
    body = "See you at 7 🎉 晚上见"
    p.input_text(body)
    tap(p, content_desc="Send SMS")
    sent = p.content_query("content://sms/sent")[0]
    assert sent["address"] == contact["number"] and sent["body"] == body and sent["type"] == "2"
    assert p.focus()[1] == "com.android.messaging.ui.conversation.ConversationActivity"
    assert find(p, resource_id="com.android.messaging:id/message_text", text=body) is not None
    p.key(4)
    assert p.focus()[1] == "com.android.messaging.ui.conversationlist.ConversationListActivity"
    assert (
        find(p, resource_id="com.android.messaging:id/conversation_snippet", text="You: " + body) is not None
    )


def test_messages_compose_to_a_number_and_reply_in_thread() -> None:
    p = VirtualPhone(12)
    open_app(p, "Messages")
    tap(p, text="Start chat")
    p.input_text("+1 (415) 555-0199")
    tap(p, resource_id="com.android.messaging:id/compose_message_text")
    p.input_text("hello")
    p.key(66)  # Enter in the single-line compose field sends
    sent = p.content_query("content://sms/sent")[0]
    assert (sent["address"], sent["body"]) == ("+14155550199", "hello")
    p.content_insert("content://sms/inbox", {"address": "+14155550199", "body": "hi back"})
    assert find(p, resource_id="com.android.messaging:id/message_text", text="hi back") is not None


def test_messages_opening_a_thread_marks_it_read() -> None:
    p = VirtualPhone(12)
    code = next(m for m in p.content_query("content://sms/inbox") if m["read"] == "0")
    open_app(p, "Messages")
    tap(p, resource_id="com.android.messaging:id/conversation_name", text=code["address"])
    assert find(p, resource_id="com.android.messaging:id/message_text", text=code["body"]) is not None
    assert next(m for m in p.content_query("content://sms/inbox") if m["_id"] == code["_id"])["read"] == "1"


def test_contact_message_button_opens_compose() -> None:
    p = VirtualPhone(12)
    c = p.content_query("content://com.android.contacts/contacts")[0]
    open_app(p, "Contacts")
    tap(p, text=c["display_name"])
    tap(p, resource_id="com.android.contacts:id/message_button")
    assert p.focus()[0] == "com.android.messaging"
    p.input_text("ok")
    tap(p, content_desc="Send SMS")
    assert p.content_query("content://sms/sent")[0]["address"] == c["number"]


def test_settings_wifi_bluetooth_brightness_dark() -> None:
    p = VirtualPhone(13)
    open_app(p, "Settings")
    tap(p, text="Wi-Fi")
    assert p.get_setting("global", "wifi_on") == "0"
    row_switches = find_all(p, resource_id="com.android.settings:id/switch_widget")
    assert row_switches[0].get("checked") == "false" and row_switches[0].get("checkable") == "true"
    tap(p, text="Wi-Fi")
    assert p.get_setting("global", "wifi_on") == "1"
    tap(p, text="Display")
    old = int(p.get_setting("system", "screen_brightness") or 0)
    tap(p, content_desc="Increase brightness")
    assert int(p.get_setting("system", "screen_brightness") or 0) == min(255, old + 25)
    bar = find(p, resource_id="com.android.settings:id/brightness_seekbar")
    assert bar is not None
    _l, t, r, b = map(int, re.findall(r"\d+", bar.get("bounds", "")))
    p.tap(r - 48, (t + b) // 2)  # the right end of the track: maximum
    assert p.get_setting("system", "screen_brightness") == "255"
    tap(p, text="Dark theme")
    assert p.get_setting("secure", "ui_night_mode") == "2"
    tap(p, content_desc="Navigate up")
    tap(p, text="About phone")
    assert find(p, text="Virtual Phone") is not None and find(p, text="14") is not None


def test_clock_add_alarm_toggle_and_edit() -> None:
    p = VirtualPhone(14)
    open_app(p, "Clock")
    n = len(p.content_query("content://com.android.deskclock/alarms"))
    tap(p, content_desc="Add alarm")
    tap(p, resource_id="com.android.deskclock:id/hour")
    p.input_text("6")
    tap(p, content_desc="Increase hour")  # 6 -> 7
    tap(p, resource_id="com.android.deskclock:id/minute")
    p.input_text("45")
    tap(p, resource_id="com.android.deskclock:id/label")
    p.input_text("Run 🏃")
    tap(p, resource_id="com.android.deskclock:id/save")
    rows = p.content_query("content://com.android.deskclock/alarms")
    assert len(rows) == n + 1
    new = next(r for r in rows if r["label"] == "Run 🏃")
    assert (new["hour"], new["minutes"], new["enabled"]) == ("7", "45", "1")
    assert find(p, resource_id="com.android.deskclock:id/digital_clock", text="07:45") is not None
    tap(p, content_desc="07:45 alarm")
    assert (
        next(r for r in p.content_query("content://com.android.deskclock/alarms") if r["_id"] == new["_id"])[
            "enabled"
        ]
        == "0"
    )
    tap(p, text="07:45")
    tap(p, resource_id="com.android.deskclock:id/minute")
    p.key(67)
    p.key(67)
    p.input_text("99")
    tap(p, text="Save")
    assert find(p, resource_id="com.android.deskclock:id/error") is not None  # 99 minutes refused
    p.key(67)
    p.key(67)
    p.input_text("50")
    tap(p, text="Save")
    assert (
        next(r for r in p.content_query("content://com.android.deskclock/alarms") if r["_id"] == new["_id"])[
            "minutes"
        ]
        == "50"
    )


def test_notes_create_edit_delete() -> None:
    p = VirtualPhone(15)
    open_app(p, "Notes")
    tap(p, content_desc="New note")
    p.input_text("Packing")
    tap(p, resource_id="org.mobileagent.notes:id/body")
    p.input_text("Tent")
    p.key(66)
    p.input_text("Stove")
    tap(p, text="Save")
    row = next(r for r in p.content_query("content://org.mobileagent.notes/notes") if r["title"] == "Packing")
    assert row["body"] == "Tent\nStove"
    tap(p, text="Packing")
    tap(p, resource_id="org.mobileagent.notes:id/body")
    p.input_text(" x2")
    p.key(4)  # hide the keyboard
    p.key(4)  # leave the editor: saved like Keep does
    row2 = next(r for r in p.content_query("content://org.mobileagent.notes/notes") if r["_id"] == row["_id"])
    assert row2["body"] == "Tent\nStove x2"
    assert int(row2["modified"]) > int(row["modified"])
    tap(p, text="Packing")
    tap(p, content_desc="Delete")
    assert find(p, text="Delete this note?") is not None
    tap(p, resource_id="android:id/button1")
    assert not [r for r in p.content_query("content://org.mobileagent.notes/notes") if r["_id"] == row["_id"]]
    assert p.focus()[1] == "org.mobileagent.notes.MainActivity"


def test_calendar_add_event_validates_and_saves() -> None:
    p = VirtualPhone(16)
    open_app(p, "Calendar")
    tap(p, content_desc="New event")
    p.input_text("Flight to Tokyo")
    p.key(66)
    p.input_text("2024-13-01")
    p.key(66)
    p.input_text("9:05")
    p.key(66)  # Enter in the last field saves
    assert find(p, resource_id="com.android.calendar:id/error") is not None
    tap(p, resource_id="com.android.calendar:id/date")
    for _ in range(5):
        p.key(67)
    p.input_text("07-01")
    tap(p, resource_id="com.android.calendar:id/save")
    ev = next(
        r for r in p.content_query("content://com.android.calendar/events") if r["title"] == "Flight to Tokyo"
    )
    assert (ev["date"], ev["time"], ev["dtstart"]) == ("2024-07-01", "09:05", "1719824700000")
    assert int(ev["dtend"]) - int(ev["dtstart"]) == 3600_000
    tap(p, text="Flight to Tokyo")
    tap(p, resource_id="com.android.calendar:id/delete")
    tap(p, resource_id="android:id/button1")
    assert not [
        r for r in p.content_query("content://com.android.calendar/events") if r["title"] == "Flight to Tokyo"
    ]


def test_gallery_favourite_and_delete() -> None:
    p = VirtualPhone(17)
    open_app(p, "Gallery")
    cells = find_all(p, resource_id="com.android.gallery3d:id/photo_cell")
    name = cells[0].get("content-desc", "")
    row = next(
        r for r in p.content_query("content://media/external/images/media") if r["_display_name"] == name
    )
    assert p.fs.exists(row["_data"]) and p.fs.read(row["_data"])[:2] == b"\xff\xd8"
    tap(p, content_desc=name)
    tap(p, resource_id="com.android.gallery3d:id/favorite")
    assert (
        next(r for r in p.content_query("content://media/external/images/media") if r["_id"] == row["_id"])[
            "favorite"
        ]
        == "1"
    )
    assert find(p, resource_id="com.android.gallery3d:id/favorite", checked="true") is not None
    tap(p, content_desc="Delete")
    tap(p, resource_id="android:id/button1")
    assert not [r for r in p.content_query("content://media/external/images/media") if r["_id"] == row["_id"]]
    assert not p.fs.exists(row["_data"])
    assert len(find_all(p, resource_id="com.android.gallery3d:id/photo_cell")) == len(cells) - 1


def test_files_browses_the_virtual_fs() -> None:
    p = VirtualPhone(18)
    p.fs.write("/sdcard/Download/report.pdf", b"%PDF" * 300, mtime=0)
    open_app(p, "Files")
    tap(p, text="Download")
    assert find(p, text="report.pdf") is not None and find(p, text="1.2 kB") is not None
    p.key(4)
    tap(p, text="DCIM")
    tap(p, text="Camera")
    assert any(
        n.get("text", "").endswith(".jpg")
        for n in find_all(p, resource_id="com.android.documentsui:id/item_title")
    )
