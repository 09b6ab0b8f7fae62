"""Contacts tasks: add (with phone, email, Chinese name), edit a number, delete."""

from __future__ import annotations

import random
from typing import Any

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Step, Task, norm_text
from mobile_agent.bench.tasks import ui
from mobile_agent.bench.tasks.common import (
    CJK_NAMES,
    CONTACTS,
    by_name,
    email_for,
    person,
    phone_number,
    put_contact,
    remove_contact,
    rows,
    same_number,
)

__all__ = [
    "TASKS",
    "AddContact",
    "AddContactChinese",
    "AddContactEmail",
    "DeleteContact",
    "EditContactNumber",
]


class AddContact(Task):
    name = "contacts_add"
    app = "Contacts"
    complexity = 1.2
    goal_template = "Add a new contact named {name} with phone number {number}."

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return {"name": person(rng), "number": phone_number(rng)}

    async def setup(self, adb: AdbShell) -> None:
        await remove_contact(adb, self.params["name"])

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        found = by_name(await rows(adb, CONTACTS), self.params["name"])
        if len(found) != 1 or not same_number(found[0].get("number"), self.params["number"]):
            return 0.0
        want_email = self.params.get("email")
        if want_email and norm_text(found[0].get("email")) != norm_text(want_email):
            return 0.0
        return 1.0

    def solution(self) -> list[Step]:
        return ui.contacts_create(self.params["name"], self.params["number"], self.params.get("email", ""))


class AddContactEmail(AddContact):
    name = "contacts_add_with_email"
    complexity = 1.5
    goal_template = "Create a contact for {name}: phone {number}, email {email}."

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        name = person(rng)
        return {"name": name, "number": phone_number(rng), "email": email_for(name, rng)}


class AddContactChinese(AddContact):
    name = "contacts_add_chinese_name"
    goal_template = "Save a new contact called {name} with the number {number}."

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return {"name": rng.choice(CJK_NAMES), "number": phone_number(rng)}


class EditContactNumber(Task):
    name = "contacts_edit_number"
    app = "Contacts"
    complexity = 2.5  # the old number is deleted one character at a time (no select-all on the phone)
    goal_template = "Change {name}'s phone number to {new}."

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return {"name": person(rng), "old": phone_number(rng), "new": phone_number(rng)}

    async def setup(self, adb: AdbShell) -> None:
        await put_contact(adb, self.params["name"], self.params["old"])

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        found = by_name(await rows(adb, CONTACTS), self.params["name"])
        return 1.0 if len(found) == 1 and same_number(found[0].get("number"), self.params["new"]) else 0.0

    def solution(self) -> list[Step]:
        return ui.contacts_edit_number(self.params["name"], self.params["new"])


class DeleteContact(Task):
    name = "contacts_delete"
    app = "Contacts"
    complexity = 1.0
    goal_template = "Delete the contact {name}."

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return {"name": person(rng), "number": phone_number(rng)}

    async def setup(self, adb: AdbShell) -> None:
        await put_contact(adb, self.params["name"], self.params["number"])

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        rs = await rows(adb, CONTACTS)
        # gone, and nothing else deleted along with it
        return 1.0 if not by_name(rs, self.params["name"]) and len(rs) >= self.others else 0.0

    async def initialize(self, adb: AdbShell) -> None:
        self.others = 0
        await super().initialize(adb)
        self.others = len(await rows(adb, CONTACTS)) - 1

    def solution(self) -> list[Step]:
        return ui.contacts_delete(self.params["name"])


TASKS: list[type[Task]] = [AddContact, AddContactEmail, AddContactChinese, EditContactNumber, DeleteContact]
