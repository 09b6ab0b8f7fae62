"""Notes tasks: create (plain, Chinese, quotes), edit a body, delete."""

from __future__ import annotations

import random
from typing import Any, ClassVar

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Step, Task, norm_text
from mobile_agent.bench.tasks import ui
from mobile_agent.bench.tasks.common import NOTES, WORDS, delete_where, rows

__all__ = [
    "BODIES",
    "CJK",
    "QUOTED",
    "TASKS",
    "CreateNote",
    "CreateNoteChinese",
    "CreateNoteQuotes",
    "DeleteNote",
    "EditNote",
]

BODIES = ("Buy milk, eggs and bread", "Call the {w} office on Monday", "Ideas for the {w} trip")
CJK = (("购物清单", "牛奶、鸡蛋和面包"), ("会议记录", "下周一上午十点开会"), ("旅行计划", "去杭州看西湖"))
QUOTED = ('Remember "the {w} rule"', "Don't forget Sam's {w} keys", 'She said: "call me back"')


def _note(rs: list[dict[str, str]], title: str) -> list[dict[str, str]]:
    return [r for r in rs if norm_text(r.get("title")) == norm_text(title)]


class CreateNote(Task):
    name = "notes_create"
    app = "Notes"
    complexity = 1.2
    goal_template = 'Create a note titled "{title}" with the text: {body}'
    pool: ClassVar[tuple[str, ...]] = BODIES

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        w = rng.choice(WORDS)
        return {"title": f"{w.capitalize()} {rng.randint(2, 99)}", "body": rng.choice(cls.pool).format(w=w)}

    async def setup(self, adb: AdbShell) -> None:
        t = self.params["title"]
        await delete_where(adb, NOTES, lambda r: norm_text(r.get("title")) == norm_text(t))

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        found = _note(await rows(adb, NOTES), self.params["title"])
        return 1.0 if any(r.get("body", "").strip() == self.params["body"].strip() for r in found) else 0.0

    def solution(self) -> list[Step]:
        return ui.notes_create(self.params["title"], self.params["body"])


class CreateNoteChinese(CreateNote):
    name = "notes_create_chinese"

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        title, body = rng.choice(CJK)
        return {"title": title, "body": body}


class CreateNoteQuotes(CreateNote):
    name = "notes_create_quotes"
    pool = QUOTED


class EditNote(Task):
    name = "notes_edit_body"
    app = "Notes"
    complexity = 3.0  # the old text is deleted one character at a time (no select-all on the phone)
    goal_template = 'In the note "{title}", replace the text with: {body}'

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        w = rng.choice(WORDS)
        return {
            "title": f"{w.capitalize()} list",
            "old": f"old {w} text",
            "body": f"Updated {w} plan for {rng.randint(2, 28)} May",
        }

    async def setup(self, adb: AdbShell) -> None:
        t = self.params["title"]
        await delete_where(adb, NOTES, lambda r: norm_text(r.get("title")) == norm_text(t))
        await adb.insert(NOTES, {"title": t, "body": self.params["old"]})

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        found = _note(await rows(adb, NOTES), self.params["title"])
        return 1.0 if len(found) == 1 and found[0].get("body", "").strip() == self.params["body"] else 0.0

    def solution(self) -> list[Step]:
        return ui.notes_edit(self.params["title"], self.params["body"])


class DeleteNote(Task):
    name = "notes_delete"
    app = "Notes"
    complexity = 1.0
    goal_template = 'Delete the note "{title}".'

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        w = rng.choice(WORDS)
        return {"title": f"Old {w} note", "body": f"Nothing important about {w}"}

    async def setup(self, adb: AdbShell) -> None:
        t = self.params["title"]
        await delete_where(adb, NOTES, lambda r: norm_text(r.get("title")) == norm_text(t))
        await adb.insert(NOTES, {"title": t, "body": self.params["body"]})

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        return 0.0 if _note(await rows(adb, NOTES), self.params["title"]) else 1.0

    def solution(self) -> list[Step]:
        return ui.notes_delete(self.params["title"])


TASKS: list[type[Task]] = [CreateNote, CreateNoteChinese, CreateNoteQuotes, EditNote, DeleteNote]
