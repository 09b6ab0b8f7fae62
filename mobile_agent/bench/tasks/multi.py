"""Multi-app tasks: information carried from one app to another."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Ctx, Step, Task, gated, norm_text, not_seen, seen
from mobile_agent.bench.tasks import ui
from mobile_agent.bench.tasks.common import (
    CONTACTS,
    EVENTS,
    NOTES,
    by_name,
    delete_where,
    person,
    phone_now_ms,
    phone_number,
    receive_sms,
    remove_contact,
    rows,
    same_number,
    sent_bodies_elsewhere,
    sent_to,
)

__all__ = ["TASKS", "CodeToNote", "ContactThenText", "EventFromMessage"]


class CodeToNote(Task):
    name = "multi_code_to_note"
    app = "Messages+Notes"
    complexity = 2.0
    goal_template = (
        'Find the verification code in my latest text message and save it in a new note titled "{title}".'
    )

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return {
            "code": str(rng.randint(100000, 999999)),
            "sender": phone_number(rng),
            "title": f"Code {rng.randint(10, 99)}",
        }

    async def setup(self, adb: AdbShell) -> None:
        t = self.params["title"]
        await delete_where(adb, NOTES, lambda r: norm_text(r.get("title")) == norm_text(t))
        body = f"{self.params['code']} is your login code. It expires in 10 minutes."
        await receive_sms(adb, self.params["sender"], body, date_ms=await phone_now_ms(adb) + 60_000)

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        t = self.params["title"]
        notes = [r for r in await rows(adb, NOTES) if norm_text(r.get("title")) == norm_text(t)]
        return 1.0 if any(self.params["code"] in (r.get("body") or "") for r in notes) else 0.0

    def facts(self) -> list[tuple[str, str, str]]:
        code = self.params["code"]
        return [("code", f"The verification code is {code}", f"{code} is your login code")]

    def solution(self) -> list[Step]:
        read = [
            gated(s, not_seen("code"))
            for s in ui.messages_read_latest(self.params["sender"], self.params["code"])
        ]
        write = [gated(s, seen("code")) for s in ui.notes_create(self.params["title"], self.params["code"])]
        return read + write


class ContactThenText(Task):
    name = "multi_add_contact_then_text"
    app = "Contacts+Messages"
    complexity = 2.5
    goal_template = "Add {name} to my contacts with the number {number}, then send them a text saying: {body}"

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return {
            "name": person(rng),
            "number": phone_number(rng),
            "body": rng.choice(("Hi, it's me!", "Welcome aboard 🚀", "Nice to meet you")),
        }

    async def setup(self, adb: AdbShell) -> None:
        await remove_contact(adb, self.params["name"])

    async def oracle_state(self, adb: AdbShell) -> dict[str, Any]:
        found = by_name(await rows(adb, CONTACTS), self.params["name"])
        return {"contact": bool(found) and same_number(found[0].get("number"), self.params["number"])}

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        p = self.params
        found = by_name(await rows(adb, CONTACTS), p["name"])
        contact = len(found) == 1 and same_number(found[0].get("number"), p["number"])
        if any(b.strip() == p["body"] for b in await sent_bodies_elsewhere(adb, p["number"])):
            return 0.0
        texted = any(b.strip() == p["body"] for b in await sent_to(adb, p["number"]))
        return (contact + texted) / 2.0

    def solution(self) -> list[Step]:
        p = self.params

        def has(ctx: Ctx) -> bool:
            return bool(ctx.state.get("contact"))

        add = [gated(s, lambda c: not has(c)) for s in ui.contacts_create(p["name"], p["number"], "")]
        text = [gated(s, has) for s in ui.messages_send(p["name"], p["body"])]
        return add + text


class EventFromMessage(Task):
    name = "multi_event_from_message"
    app = "Messages+Calendar"
    complexity = 2.5
    goal_template = (
        '{name} texted me a time to meet. Create a calendar event titled "{title}" at that date and time.'
    )

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        h, m = rng.randint(9, 20), rng.choice([0, 30])
        return {
            "name": person(rng),
            "number": phone_number(rng),
            "title": rng.choice(("Coffee", "Dinner", "Project sync")),
            "offset": rng.randint(1, 10),
            "date": "(set at initialisation)",
            "time": f"{h:02d}:{m:02d}",
            "hour": h,
            "minute": m,
        }

    async def setup(self, adb: AdbShell) -> None:
        p = self.params
        from mobile_agent.bench.tasks.calendar import phone_today
        from mobile_agent.bench.tasks.common import put_contact

        p["date"] = (await phone_today(adb) + timedelta(days=p["offset"])).isoformat()
        await put_contact(adb, p["name"], p["number"])
        await delete_where(adb, EVENTS, lambda r: norm_text(r.get("title")) == norm_text(p["title"]))
        await receive_sms(
            adb,
            p["number"],
            f"Can we meet on {p['date']} at {p['time']}?",
            date_ms=await phone_now_ms(adb) + 60_000,
        )

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        p = self.params
        for r in await rows(adb, EVENTS):
            if (
                norm_text(r.get("title")) == norm_text(p["title"])
                and r.get("date") == p["date"]
                and r.get("time") == p["time"]
            ):
                return 1.0
        return 0.0

    def facts(self) -> list[tuple[str, str, str]]:
        p = self.params
        return [("when", f"{p['name']} proposed {p['date']} at {p['time']}", f"{p['date']} at {p['time']}")]

    def solution(self) -> list[Step]:
        p = self.params
        read = [gated(s, not_seen("when")) for s in ui.messages_open_thread(p["name"], p["date"])]
        make = [
            gated(s, seen("when"))
            for s in ui.calendar_add_event(p["title"], p["date"], p["hour"], p["minute"])
        ]
        return read + make


TASKS: list[type[Task]] = [CodeToNote, ContactThenText, EventFromMessage]
