"""Notes: a list of notes; create, open to edit, delete (with a confirm dialog).

Back from the editor keeps what was typed (like Google Keep): a changed, non-empty note is saved.
"""

from __future__ import annotations

import functools
from typing import Any

from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.providers import Provider
from mobile_agent.sim.seed import SeedContext
from mobile_agent.sim.ui import Button, TextView, View

NOTES = [
    ("Shopping list", "Milk\nEggs\nBread\nCoffee beans"),
    ("Meeting notes", "Discuss Q3 roadmap\nBudget review on Friday"),
    ("Gift ideas", "Book for Dad\nScarf for Mom"),
    ("Travel checklist", "Passport\nCharger\nSunscreen"),
    ("Recipe", "Pasta: boil 10 min, add sauce and basil"),
]


class NotesApp(App):
    package = "org.mobileagent.notes"
    label = "Notes"
    activity = "org.mobileagent.notes.MainActivity"
    icon = "note"
    color = (244, 180, 0)
    providers = (
        Provider(
            table="notes",
            uris={"content://org.mobileagent.notes/notes": None},
            columns=("_id", "title", "body", "modified"),
        ),
    )
    seed_order = 3  # when it draws from the seed's random stream

    def seed_rows(self, table: str, seed: SeedContext) -> list[dict[str, Any]]:
        return [
            {"_id": i, "title": title, "body": body, "modified": (seed.now - 86400 * (5 - i)) * 1000}
            for i, (title, body) in enumerate(seed.rng.sample(NOTES, 3), 1)
        ]

    def new_row(self, table: str, values: dict[str, Any], type_: int | None) -> dict[str, Any]:
        return {
            "title": str(values.get("title", "")),
            "body": str(values.get("body", "")),
            "modified": int(values.get("modified", self.phone.now_ms())),
        }

    activities = {"org.mobileagent.notes.EditActivity": "edit"}

    def screen_activity(self, s: Screen) -> str:
        return "org.mobileagent.notes.EditActivity" if s["name"] == "edit" else self.activity

    def note(self, nid: Any) -> dict[str, Any] | None:
        return next((n for n in self.table("notes") if n["_id"] == nid), None)

    def build(self, s: Screen) -> View:
        if s["name"] == "edit":
            return self._edit(s)
        notes = sorted(self.table("notes"), key=lambda n: (n["modified"], n["_id"]), reverse=True)
        items: list[View | None] = []
        for n in notes:
            nid = n["_id"]
            first = n["body"].split("\n", 1)[0]
            items.append(
                self.row(
                    n["title"] or first or "(empty)",
                    subtitle=first if n["title"] else "",
                    on_click=functools.partial(self._open, nid),
                    on_long_click=functools.partial(self._ask_delete, s, n),
                    title_rid=self.rid("note_title"),
                    subtitle_rid=self.rid("note_snippet"),
                    rid=self.rid("note_item"),
                    height=180,
                )
            )
        if not items:
            items.append(
                TextView("No notes yet. Tap + to add one.", color="text2", padding=64, align_text="center")
            )
        return self.screen(
            self.app_bar("Notes"),
            self.list_view(s, *items, key="notes_list"),
            fab=self.fab("New note", lambda: self.push("edit", id=None, focus="title"), self.rid("fab_new")),
        )

    def _open(self, nid: int) -> None:
        n = self.note(nid)
        if n is not None:
            self.push("edit", id=nid, fields={"title": n["title"], "body": n["body"]})

    def _ask_delete(self, s: Screen, n: dict[str, Any]) -> None:
        self.confirm(
            s, "Delete this note?", n["title"] or "This note will be deleted.", "Delete", "delete", n["_id"]
        )

    def _edit(self, s: Screen) -> View:
        nid = s["params"].get("id")
        n = self.note(nid)
        actions: list[View] = []
        if n is not None:
            actions.append(
                self.action("delete", "Delete", lambda: self._ask_delete(s, n), rid=self.rid("delete"))
            )
        actions.append(
            Button(
                "Save",
                lambda: self._save(s, close=True),
                rid=self.rid("save"),
                height=110,
                margin=(8, 0, 24, 0),
            )
        )
        title = self.edit(s, "title", "Title", size=56, bold=True, bg=None)
        title.margin = (24, 16, 24, 0)
        body = self.edit(s, "body", "Note", multiline=True, bg=None)
        body.margin = (24, 0, 24, 0)
        return self.screen(
            self.app_bar("Edit note" if n else "New note", up=True, actions=actions),
            self.list_view(s, title, body, key="editor"),
        )

    def _save(self, s: Screen, close: bool) -> None:
        title = self.field(s, "title")
        body = self.field(s, "body")
        n = self.note(s["params"].get("id"))
        if n is not None:
            if (n["title"], n["body"]) != (title, body):
                n.update(title=title, body=body, modified=self.phone.now_ms())
        elif title.strip() or body.strip():
            row = self.phone.insert_row("notes", {"title": title, "body": body})
            s["params"]["id"] = row["_id"]
        if close:
            self.pop()
            self.toast("Note saved")

    def on_back(self, s: Screen) -> bool:
        if s["name"] == "edit":
            self._save(s, close=False)
        return False

    def dialog_action(self, s: Screen, action: str, arg: Any) -> None:
        if action == "delete":
            self.phone.tables["notes"] = [n for n in self.table("notes") if n["_id"] != arg]
            if s["name"] == "edit":
                self.pop()
            self.toast("Note deleted")
