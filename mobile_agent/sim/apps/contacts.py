"""Contacts: alphabetical list with search, contact details, create/edit (name, phone, email), delete."""

from __future__ import annotations

import functools
from typing import Any

from mobile_agent.sim.apps.base import App, Screen, new_screen
from mobile_agent.sim.providers import Provider
from mobile_agent.sim.seed import SeedContext
from mobile_agent.sim.ui import Button, Divider, ImageView, LinearLayout, Spacer, TextView, View

MESSAGING = "com.android.messaging"


FIRST = [
    "Alice",
    "Bob",
    "Carol",
    "David",
    "Emma",
    "Frank",
    "Grace",
    "Henry",
    "Isabel",
    "Jack",
    "Karen",
    "Liam",
    "Maria",
    "Noah",
    "Olivia",
    "Paul",
    "Rachel",
    "Samuel",
    "Sofia",
    "Thomas",
    "Uma",
    "Victor",
]
LAST = [
    "Anderson",
    "Brown",
    "Chen",
    "Diaz",
    "Evans",
    "Garcia",
    "Harris",
    "Johnson",
    "Kim",
    "Lopez",
    "Miller",
    "Nguyen",
    "Patel",
    "Robinson",
    "Smith",
    "Taylor",
    "Walker",
    "Wilson",
    "Young",
]
CHINESE = [
    ("王芳", "wangfang"),
    ("李娜", "lina"),
    ("张伟", "zhangwei"),
    ("刘洋", "liuyang"),
    ("陈静", "chenjing"),
]

LAST = [
    "Anderson",
    "Brown",
    "Chen",
    "Diaz",
    "Evans",
    "Garcia",
    "Harris",
    "Johnson",
    "Kim",
    "Lopez",
    "Miller",
    "Nguyen",
    "Patel",
    "Robinson",
    "Smith",
    "Taylor",
    "Walker",
    "Wilson",
    "Young",
]
CHINESE = [
    ("王芳", "wangfang"),
    ("李娜", "lina"),
    ("张伟", "zhangwei"),
    ("刘洋", "liuyang"),
    ("陈静", "chenjing"),
]

CHINESE = [
    ("王芳", "wangfang"),
    ("李娜", "lina"),
    ("张伟", "zhangwei"),
    ("刘洋", "liuyang"),
    ("陈静", "chenjing"),
]


class ContactsApp(App):
    package = "com.android.contacts"
    label = "Contacts"
    activity = "com.android.contacts.activities.PeopleActivity"
    icon = "person"
    color = (66, 133, 244)
    providers = (
        Provider(
            table="contacts",
            uris={
                "content://com.android.contacts/contacts": None,
                "content://com.android.contacts/data/phones": None,
                "content://contacts/phones": None,
                "content://contacts/people": None,
            },
            columns=("_id", "display_name", "number", "email"),
        ),
    )
    seed_order = 1  # when it draws from the seed's random stream

    def seed_rows(self, table: str, seed: SeedContext) -> list[dict[str, Any]]:
        rng = seed.rng
        names: list[str] = []
        firsts = rng.sample(FIRST, 12)
        for f in firsts:
            names.append(f"{f} {rng.choice(LAST)}")
        zh, zh_mail = rng.choice(CHINESE)
        contacts: list[dict[str, Any]] = []
        used_numbers: set[str] = set()

        def number(prefix: str, digits: int) -> str:
            while True:
                n = prefix + "".join(str(rng.randint(0, 9)) for _ in range(digits))
                if n not in used_numbers:
                    used_numbers.add(n)
                    return n

        for name in names:
            first, last = name.split(" ", 1)
            contacts.append(
                {
                    "display_name": name,
                    "number": number(f"+1{rng.choice(['415', '650', '212', '312', '206'])}5550", 3),
                    "email": f"{first.lower()}.{last.lower()}@example.com" if rng.random() < 0.8 else "",
                }
            )
        contacts.append({"display_name": zh, "number": number("+86138", 8), "email": f"{zh_mail}@example.cn"})
        contacts.sort(key=lambda c: c["display_name"].casefold())
        for i, c in enumerate(contacts, 1):
            c["_id"] = i
        seed.shared["people"] = names  # the owner's acquaintances, for other apps' seed rows
        return contacts

    def new_row(self, table: str, values: dict[str, Any], type_: int | None) -> dict[str, Any]:
        return {
            "display_name": str(values.get("display_name", values.get("name", ""))),
            "number": str(values.get("number", values.get("phone", ""))),
            "email": str(values.get("email", "")),
        }

    activities = {
        "com.android.contacts.activities.ContactEditorActivity": "edit",
        "com.android.contacts.activities.ContactSelectionActivity": "main",
    }

    def screen_activity(self, s: Screen) -> str:
        return {
            "edit": "com.android.contacts.activities.ContactEditorActivity",
            "detail": "com.android.contacts.activities.QuickContactActivity",
        }.get(s["name"], self.activity)

    def contact(self, cid: Any) -> dict[str, Any] | None:
        return next((c for c in self.table("contacts") if c["_id"] == cid), None)

    def build(self, s: Screen) -> View:
        if s["name"] == "edit":
            return self._edit(s)
        if s["name"] == "detail":
            return self._detail(s)
        return self._list(s)

    # ---- list
    def _list(self, s: Screen) -> View:
        q = self.field(s, "search_field").strip().casefold()
        rows = sorted(self.table("contacts"), key=lambda c: (c["display_name"].casefold(), c["_id"]))
        if q:
            rows = [
                c
                for c in rows
                if q in c["display_name"].casefold()
                or q in c["number"].replace(" ", "").replace("-", "")
                or q in c["email"].casefold()
            ]
        items: list[View | None] = []
        for c in rows:
            cid = c["_id"]
            items.append(
                self.row(
                    c["display_name"] or c["number"],
                    leading=self.avatar(c["display_name"] or "#"),
                    on_click=functools.partial(self.push, "detail", id=cid),
                    title_rid=self.rid("cliv_name_textview"),
                    rid=self.rid("contact_row"),
                    height=168,
                )
            )
        if not items:
            items.append(
                TextView(
                    "No contacts" if not q else "No matching contacts",
                    color="text2",
                    padding=64,
                    align_text="center",
                )
            )
        search = self.edit(
            s,
            "search_field",
            "Search contacts",
            on_submit=lambda: self.focus_on(s, "search_field", ime=False),
        )
        search.margin = (40, 8, 40, 16)
        search.radius = 60
        count = TextView(f"{len(rows)} contacts", size=34, color="text2", padding=(56, 8, 0, 8))
        body = LinearLayout(
            search,
            count,
            self.list_view(s, *items, key="contact_list", weight=1),
        )
        return self.screen(
            self.app_bar("Contacts"),
            body,
            fab=self.fab("Create contact", lambda: self._new(), self.rid("floating_action_button")),
        )

    def _new(self) -> None:
        self.push("edit", id=None, focus="name")

    # ---- editor
    def _edit(self, s: Screen) -> View:
        cid = s["params"].get("id")
        title = "Edit contact" if cid is not None else "Create contact"
        save = Button(
            "Save",
            lambda: self._save(s),
            rid=self.rid("editor_menu_save_button"),
            height=110,
            margin=(0, 0, 24, 0),
        )
        err = s["params"].get("error", "")
        rows: list[View | None] = [
            Spacer(height=24),
            self._labeled("Name", self.edit(s, "name", "Name")),
            self._labeled("Phone", self.edit(s, "phone", "Phone")),
            self._labeled("Email", self.edit(s, "email", "Email", on_submit=lambda: self._save(s))),
            TextView(err, color="error", size=38, padding=(56, 16, 56, 0), rid=self.rid("error"))
            if err
            else None,
        ]
        return self.screen(
            self.app_bar(title, up=True, actions=[save]), self.list_view(s, *rows, key="editor")
        )

    def _labeled(self, label: str, field: View) -> View:
        field.margin = (0, 0, 0, 0)
        field.weight = 1
        return LinearLayout(
            TextView(label, size=36, color="text2", padding=(8, 0, 0, 8)),
            field,
            padding=(48, 16, 48, 16),
        )

    def _save(self, s: Screen) -> None:
        name = self.field(s, "name").strip()
        phone = self.field(s, "phone").strip()
        email = self.field(s, "email").strip()
        if not name and not phone:
            s["params"]["error"] = "Enter a name or a phone number"
            return
        cid = s["params"].get("id")
        c = self.contact(cid) if cid is not None else None
        if c is not None:
            c.update(display_name=name, number=phone, email=email)
            self.pop()
        else:
            row = self.phone.insert_row("contacts", {"display_name": name, "number": phone, "email": email})
            self.replace("detail", id=row["_id"])
        self.toast("Contact saved")

    # ---- details
    def _detail(self, s: Screen) -> View:
        c = self.contact(s["params"].get("id"))
        if c is None:
            return self.screen(
                self.app_bar("Contact", up=True),
                self.list_view(s, TextView("Contact not found", padding=64, color="text2")),
            )
        cid = c["_id"]
        actions = [
            self.action("edit", "Edit contact", lambda: self._open_editor(cid), rid=self.rid("menu_edit")),
            self.action(
                "delete",
                "Delete",
                lambda: self.confirm(
                    s,
                    "Delete this contact?",
                    f"{c['display_name']} will be removed.",
                    "Delete",
                    "delete",
                    cid,
                ),
                rid=self.rid("menu_delete"),
            ),
        ]
        rows: list[View | None] = [
            LinearLayout(
                Spacer(weight=1),
                self.avatar(c["display_name"] or "#", 260),
                Spacer(weight=1),
                horizontal=True,
                height=300,
                margin=(0, 24, 0, 0),
            ),
            TextView(
                c["display_name"],
                size=64,
                align_text="center",
                rid=self.rid("large_title"),
                padding=(48, 16, 48, 16),
            ),
            LinearLayout(
                Spacer(weight=1),
                Button(
                    "Message",
                    lambda: self._message(c["number"]),
                    style="tonal",
                    rid=self.rid("message_button"),
                    enabled=bool(c["number"]),
                ),
                Button("Edit", lambda: self._open_editor(cid), style="tonal", rid=self.rid("edit_button")),
                Spacer(weight=1),
                horizontal=True,
                height=126,
                spacing=32,
                margin=(0, 16, 0, 32),
            ),
            Divider(margin=(48, 0, 48, 0)),
            self.row(
                c["number"] or "No phone number",
                subtitle="Mobile",
                leading=ImageView("phone", color="text2", width=72, height=72),
                title_rid=self.rid("header"),
                subtitle_rid=self.rid("sub_header"),
                on_click=(lambda: self._message(c["number"])) if c["number"] else None,
            ),
            self.row(
                c["email"],
                subtitle="Email",
                leading=ImageView("mail", color="text2", width=72, height=72),
                title_rid=self.rid("header"),
                subtitle_rid=self.rid("sub_header"),
            )
            if c["email"]
            else None,
        ]
        return self.screen(self.app_bar("", up=True, actions=actions), self.list_view(s, *rows, key="detail"))

    def _open_editor(self, cid: int) -> None:
        c = self.contact(cid)
        if c is not None:
            fields = {"name": c["display_name"], "phone": c["number"], "email": c["email"]}
            self.push("edit", id=cid, fields=fields)

    def _message(self, number: str) -> None:
        if number:
            self.phone.open_app(MESSAGING, new_screen("thread", address=number, focus="compose_message_text"))

    def dialog_action(self, s: Screen, action: str, arg: Any) -> None:
        if action == "delete":
            self.phone.tables["contacts"] = [c for c in self.table("contacts") if c["_id"] != arg]
            self.pop()
            self.toast("Contact deleted")
