"""Information retrieval: the agent answers with `answer`; judged against the phone's state."""

from __future__ import annotations

import random
import re
from typing import Any

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.answers import answer_contains
from mobile_agent.bench.base import Step, Task
from mobile_agent.bench.tasks import ui
from mobile_agent.bench.tasks.common import (
    ALARMS,
    NOTES,
    SMS_INBOX,
    delete_where,
    email_for,
    fmt_time,
    person,
    phone_now_ms,
    phone_number,
    put_contact,
    receive_sms,
    rows,
)

__all__ = [
    "TASKS",
    "ContactEmail",
    "ContactPhone",
    "EarliestAlarm",
    "LatestCode",
    "NoteContent",
    "UnreadCount",
]


def _digits_pattern(number: str) -> re.Pattern[str]:
    """The number as displayed with any separators between its digits."""
    return re.compile(r"[\s().+-]*".join(re.escape(d) for d in number))


class ContactPhone(Task):
    name = "info_contact_phone"
    app = "Contacts"
    answers = True
    complexity = 0.8
    goal_template = "What is {name}'s phone number?"

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return {"name": person(rng), "number": phone_number(rng)}

    async def setup(self, adb: AdbShell) -> None:
        await put_contact(adb, self.params["name"], self.params["number"])

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        return 1.0 if answer_contains(answer, self.params["number"], "digits") else 0.0

    def solution(self) -> list[Step]:
        num = self.params["number"]
        return [
            *ui.contacts_open(self.params["name"]),
            ui.answer_on_contact(self.params["name"], num, _digits_pattern(num)),
        ]


class ContactEmail(ContactPhone):
    name = "info_contact_email"
    goal_template = "What is the email address of my contact {name}?"

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        name = person(rng)
        return {"name": name, "number": phone_number(rng), "email": email_for(name, rng)}

    async def setup(self, adb: AdbShell) -> None:
        await put_contact(adb, self.params["name"], self.params["number"], self.params["email"])

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        return 1.0 if answer_contains(answer, self.params["email"], "email") else 0.0

    def solution(self) -> list[Step]:
        email = self.params["email"]
        return [
            *ui.contacts_open(self.params["name"]),
            ui.answer_on_contact(self.params["name"], email, email),
        ]


class EarliestAlarm(Task):
    """Alarms are added at setup; the expected answer is the earliest alarm on the phone."""

    name = "info_earliest_alarm"
    app = "Clock"
    answers = True
    complexity = 0.8
    goal_template = "What time is my earliest alarm? Answer in HH:MM."

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        times = sorted({(rng.randint(4, 11), rng.choice([0, 10, 15, 25, 30, 45])) for _ in range(3)})
        return {"alarms": [fmt_time(h, m) for h, m in times]}

    async def setup(self, adb: AdbShell) -> None:
        for t in self.params["alarms"]:
            h, m = (int(v) for v in t.split(":"))
            await adb.insert(ALARMS, {"hour": h, "minutes": m, "enabled": 1, "label": ""})

    async def expected(self, adb: AdbShell) -> str:
        times = [(int(r["hour"]), int(r["minutes"])) for r in await rows(adb, ALARMS) if r.get("hour")]
        h, m = min(times)
        return fmt_time(h, m)

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        return 1.0 if answer_contains(answer, await self.expected(adb), "time") else 0.0

    async def oracle_state(self, adb: AdbShell) -> dict[str, Any]:
        return {"expected": await self.expected(adb)}

    def solution(self) -> list[Step]:
        return ui.clock_answer(lambda ctx: ctx.state["expected"])


class UnreadCount(Task):
    """Unread texts are added at setup; the count is read from the inbox at initialisation."""

    name = "info_unread_count"
    app = "Messages"
    answers = True
    complexity = 0.8
    goal_template = "How many unread text messages do I have? Answer with a number."

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return {"senders": [phone_number(rng) for _ in range(rng.randint(1, 3))]}

    async def setup(self, adb: AdbShell) -> None:
        now = await phone_now_ms(adb)
        for i, number in enumerate(self.params["senders"]):
            await receive_sms(adb, number, f"Message number {i + 1} for you", read=False, date_ms=now + i)

    async def initialize(self, adb: AdbShell) -> None:
        await super().initialize(adb)
        self.count = sum(1 for r in await rows(adb, SMS_INBOX) if r.get("read") == "0")

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        return 1.0 if answer_contains(answer, str(getattr(self, "count", -1)), "number") else 0.0

    def solution(self) -> list[Step]:
        return ui.messages_unread_answer(lambda ctx: str(ctx.task.count))  # type: ignore[attr-defined]


class LatestCode(Task):
    name = "info_latest_code"
    app = "Messages"
    answers = True
    complexity = 0.8
    goal_template = "What is the verification code in my latest text message?"

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return {"code": str(rng.randint(100000, 999999)), "sender": phone_number(rng)}

    async def setup(self, adb: AdbShell) -> None:
        body = f"Your verification code is {self.params['code']}. Do not share it."
        await receive_sms(adb, self.params["sender"], body, date_ms=await phone_now_ms(adb) + 60_000)

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        return 1.0 if answer_contains(answer, self.params["code"], "digits") else 0.0

    def solution(self) -> list[Step]:
        code = self.params["code"]
        return [
            *ui.messages_read_latest(self.params["sender"], code),
            ui.answer_when_visible(code, code, "Messages"),
        ]


class NoteContent(Task):
    name = "info_note_content"
    app = "Notes"
    answers = True
    complexity = 0.8
    goal_template = 'What does my note titled "{title}" say?'

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return {"title": f"Locker {rng.randint(10, 99)}", "body": f"Combination {rng.randint(1000, 9999)}"}

    async def setup(self, adb: AdbShell) -> None:
        t = self.params["title"]
        await delete_where(adb, NOTES, lambda r: r.get("title") == t)
        await adb.insert(NOTES, {"title": t, "body": self.params["body"]})

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        return 1.0 if answer_contains(answer, self.params["body"]) else 0.0

    def solution(self) -> list[Step]:
        body = self.params["body"]
        return [*ui.notes_open(self.params["title"]), ui.answer_when_visible(body, body, "Notes")]


TASKS: list[type[Task]] = [ContactPhone, ContactEmail, EarliestAlarm, UnreadCount, LatestCode, NoteContent]
