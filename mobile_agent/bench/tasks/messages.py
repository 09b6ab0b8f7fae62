"""Messages tasks: send a text to a contact (plain, quotes, emoji, Chinese), reply in a thread."""

from __future__ import annotations

import random
from typing import Any, ClassVar

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Step, Task
from mobile_agent.bench.tasks import ui
from mobile_agent.bench.tasks.common import (
    WORDS,
    person,
    phone_now_ms,
    phone_number,
    put_contact,
    receive_sms,
    sent_bodies_elsewhere,
    sent_to,
)

__all__ = [
    "CHINESE",
    "EMOJI",
    "PLAIN",
    "QUOTES",
    "TASKS",
    "ReplyInThread",
    "SendText",
    "SendTextChinese",
    "SendTextEmoji",
    "SendTextQuotes",
]

PLAIN = (
    "See you at {w} tomorrow",
    "Running late, start without me",
    "Can you bring the {w} notes",
    "Thanks for the {w} tips",
)
QUOTES = ('He said "see you at 5" and left', "It's the 'blue' {w} folder", 'Meet at "The Oak" at noon')
EMOJI = ("Happy birthday! 🎉🎂", "Great job on the {w} 👍", "Coffee later? ☕")
CHINESE = ("明天下午三点见", "我已经到了，你在哪里？", "谢谢你的帮助！")


class SendText(Task):
    """Send `body` to `name`; a text to anyone else with the same body fails the task."""

    name = "messages_send_text"
    app = "Messages"
    complexity = 1.2
    goal_template = "Send a text message to {name} saying: {body}"
    pool: ClassVar[tuple[str, ...]] = PLAIN

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return {
            "name": person(rng),
            "number": phone_number(rng),
            "body": rng.choice(cls.pool).format(w=rng.choice(WORDS)),
        }

    async def setup(self, adb: AdbShell) -> None:
        await put_contact(adb, self.params["name"], self.params["number"])

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        body = self.params["body"].strip()
        if any(b.strip() == body for b in await sent_bodies_elsewhere(adb, self.params["number"])):
            return 0.0
        return 1.0 if any(b.strip() == body for b in await sent_to(adb, self.params["number"])) else 0.0

    def solution(self) -> list[Step]:
        return ui.messages_send(self.params["name"], self.params["body"])


class SendTextQuotes(SendText):
    name = "messages_send_quotes"
    pool = QUOTES


class SendTextEmoji(SendText):
    name = "messages_send_emoji"
    pool = EMOJI


class SendTextChinese(SendText):
    name = "messages_send_chinese"
    pool = CHINESE


class ReplyInThread(SendText):
    """A conversation exists (an incoming text); reply in it."""

    name = "messages_reply"
    complexity = 1.0
    goal_template = "Reply to {name}'s last message with: {body}"

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        p = super().generate_params(rng)
        p["incoming"] = f"Are we still on for the {rng.choice(WORDS)} meeting?"
        p["body"] = rng.choice(("Yes, see you there", "Sorry, I can't make it", "Yes! 👍"))
        return p

    async def setup(self, adb: AdbShell) -> None:
        await super().setup(adb)
        await receive_sms(
            adb, self.params["number"], self.params["incoming"], date_ms=await phone_now_ms(adb)
        )

    def solution(self) -> list[Step]:
        return ui.messages_send(self.params["name"], self.params["body"], thread=True)


TASKS: list[type[Task]] = [SendText, SendTextQuotes, SendTextEmoji, SendTextChinese, ReplyInThread]
