"""What the task templates share: content URIs, columns, packages, name pools, adb helpers."""

from __future__ import annotations

import random
from typing import Any

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import digits, norm_text
from mobile_agent.sim.apps import ALL_APPS

__all__ = [
    "ALARMS",
    "CJK_NAMES",
    "COLUMNS",
    "CONTACTS",
    "EVENTS",
    "FIRST",
    "IMAGES",
    "LAST",
    "NOTES",
    "PKG",
    "SMS",
    "SMS_INBOX",
    "SMS_SENT",
    "WORDS",
    "by_name",
    "delete_where",
    "email_for",
    "fmt_time",
    "fmt_time_12",
    "person",
    "phone_now_ms",
    "phone_number",
    "put_contact",
    "receive_sms",
    "remove_contact",
    "rows",
    "same_number",
    "sent_bodies_elsewhere",
    "sent_to",
]

CONTACTS = "content://com.android.contacts/contacts"
SMS = "content://sms"
SMS_INBOX = "content://sms/inbox"
SMS_SENT = "content://sms/sent"
ALARMS = "content://com.android.deskclock/alarms"
NOTES = "content://org.mobileagent.notes/notes"
EVENTS = "content://com.android.calendar/events"
IMAGES = "content://media/external/images/media"

# What `content query` prints for each URI, and each app's package by its label: read from the
# virtual phone's app declarations (one table: the apps), not repeated here.
COLUMNS: dict[str, tuple[str, ...]] = {
    uri: provider.columns for app in ALL_APPS for provider in app.providers for uri in provider.uris
}
PKG = {app.label: app.package for app in ALL_APPS if app.label and app.package}

# Names unlikely to collide with a phone's seeded contacts; setup removes any namesake anyway.
FIRST = (
    "Ingrid",
    "Tobias",
    "Marisol",
    "Kwame",
    "Yuki",
    "Soren",
    "Anouk",
    "Dmitri",
    "Priya",
    "Lorcan",
    "Odile",
    "Rafael",
)
LAST = (
    "Okafor",
    "Lindqvist",
    "Haddad",
    "Moreau",
    "Tanaka",
    "Brennan",
    "Castillo",
    "Novak",
    "Iyer",
    "Fitzgerald",
)
CJK_NAMES = ("王小明", "李华", "赵敏", "孙丽", "周杰", "吴磊")
WORDS = (
    "groceries",
    "dentist",
    "budget",
    "garden",
    "holiday",
    "project",
    "birthday",
    "library",
    "plumber",
    "recipe",
)


async def rows(adb: AdbShell, uri: str) -> list[dict[str, str]]:
    return await adb.query(uri, COLUMNS.get(uri, ()))


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def phone_number(rng: random.Random) -> str:
    return f"555{rng.randint(1000000, 9999999)}"


def email_for(name: str, rng: random.Random) -> str:
    first, _, last = name.lower().partition(" ")
    return f"{first}.{last}{rng.randint(1, 99)}@example.com"


def by_name(rs: list[dict[str, str]], name: str) -> list[dict[str, str]]:
    return [r for r in rs if norm_text(r.get("display_name")) == norm_text(name)]


async def delete_where(adb: AdbShell, uri: str, pred: Any) -> None:
    """Delete the rows matching `pred` one `_id` at a time (portable `--where _id=N`)."""
    for r in await rows(adb, uri):
        if pred(r):
            await adb.delete(uri, f"_id={r['_id']}")


async def put_contact(adb: AdbShell, name: str, number: str, email: str = "") -> None:
    """Make `name` the one contact of that name, with this number and email."""
    await delete_where(adb, CONTACTS, lambda r: norm_text(r.get("display_name")) == norm_text(name))
    values: dict[str, Any] = {"display_name": name, "number": number}
    if email:
        values["email"] = email
    await adb.insert(CONTACTS, values)


async def remove_contact(adb: AdbShell, name: str) -> None:
    await delete_where(adb, CONTACTS, lambda r: norm_text(r.get("display_name")) == norm_text(name))


def same_number(a: str | None, b: str | None) -> bool:
    da, db = digits(a), digits(b)
    return bool(da) and (da == db or (len(da) >= 7 and len(db) >= 7 and da[-10:] == db[-10:]))


async def sent_to(adb: AdbShell, number: str) -> list[str]:
    """Bodies of the sent messages to `number`."""
    return [
        r.get("body", "")
        for r in await rows(adb, SMS)
        if r.get("type") == "2" and same_number(r.get("address"), number)
    ]


async def sent_bodies_elsewhere(adb: AdbShell, number: str) -> list[str]:
    return [
        r.get("body", "")
        for r in await rows(adb, SMS)
        if r.get("type") == "2" and not same_number(r.get("address"), number)
    ]


async def receive_sms(
    adb: AdbShell, number: str, body: str, read: bool = False, date_ms: int | None = None
) -> None:
    values: dict[str, Any] = {"address": number, "body": body, "type": 1, "read": int(read)}
    if date_ms is not None:
        values["date"] = date_ms
    await adb.insert(SMS_INBOX, values)


async def phone_now_ms(adb: AdbShell) -> int:
    """The phone's own clock (`date +%s`) in ms: inserted messages sort against the phone's time."""
    out = (await adb.shell("date +%s")).strip()
    try:
        return int(out.split()[0]) * 1000
    except (ValueError, IndexError):
        import time

        return int(time.time() * 1000)


def fmt_time(h: int, m: int) -> str:
    return f"{h:02d}:{m:02d}"


def fmt_time_12(h: int, m: int) -> str:
    suffix = "AM" if h < 12 else "PM"
    h12 = h % 12 or 12
    return f"{h12}:{m:02d} {suffix}"
