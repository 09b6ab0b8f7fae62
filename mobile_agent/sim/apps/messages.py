"""Messages: conversation list, a conversation's bubbles with a compose bar, new conversation.

Sent texts land in the `sms` table (type 2) with `address` = the recipient's number as stored in
Contacts (or as typed, without spaces/dashes), and the body exactly as typed.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from mobile_agent.sim.apps.base import App, Screen, new_screen
from mobile_agent.sim.providers import Provider
from mobile_agent.sim.seed import SeedContext
from mobile_agent.sim.ui import ImageView, LinearLayout, TextView, View

NUMBER_RE = re.compile(r"^\+?[\d\s\-().]{3,}$")


CHATS = [
    [
        ("in", "Hey! Are we still on for lunch tomorrow?"),
        ("out", "Yes, 12:30 at the usual place"),
        ("in", "Perfect, see you there"),
    ],
    [("out", "Did you get the documents I sent?"), ("in", "Got them, thanks. I'll review tonight.")],
    [
        ("in", "Can you pick up some milk on the way home?"),
        ("out", "Sure, anything else?"),
        ("in", "Eggs and bread please"),
    ],
    [("in", "Happy birthday!! 🎉"), ("out", "Thank you so much!")],
    [("in", "The meeting moved to 3pm"), ("out", "Thanks for letting me know")],
    [("in", "周末一起去爬山吗？"), ("out", "好啊，几点出发？"), ("in", "早上八点")],
    [("out", "Running 10 minutes late, sorry"), ("in", "No problem")],
]


class MessagesApp(App):
    package = "com.android.messaging"
    label = "Messages"
    activity = "com.android.messaging.ui.conversationlist.ConversationListActivity"
    icon = "message"
    color = (26, 115, 232)
    providers = (
        Provider(
            table="sms",
            uris={"content://sms": None, "content://sms/inbox": 1, "content://sms/sent": 2},
            columns=("_id", "thread_id", "address", "date", "read", "type", "body"),
            newest_first=("date", "_id"),
        ),
    )
    seed_order = 2  # when it draws from the seed's random stream

    def seed_rows(self, table: str, seed: SeedContext) -> list[dict[str, Any]]:
        rng, now, contacts = seed.rng, seed.now, seed.tables["contacts"]
        sms: list[dict[str, Any]] = []
        threads: dict[str, int] = {}
        chat_contacts = [*rng.sample(contacts[:-1], 5), contacts[-1]]
        t = now - 86400 * 3
        chats = list(CHATS)
        rng.shuffle(chats)
        chat_zh = next(c for c in CHATS if any("周末" in b for _, b in c))
        chats = [*[c for c in chats if c is not chat_zh][:5], chat_zh]
        for contact, chat in zip(chat_contacts, chats, strict=True):
            t += rng.randint(3600, 20000)
            addr = contact["number"]
            threads.setdefault(addr, len(threads) + 1)
            for direction, body in chat:
                t += rng.randint(30, 900)
                sms.append(
                    {
                        "thread_id": threads[addr],
                        "address": addr,
                        "date": t * 1000,
                        "read": 1,
                        "type": 1 if direction == "in" else 2,
                        "body": body,
                    }
                )
        code = f"{rng.randint(100000, 999999)}"
        code_addr = "72837"
        threads[code_addr] = len(threads) + 1
        sms.append(
            {
                "thread_id": threads[code_addr],
                "address": code_addr,
                "date": (now - 120) * 1000,
                "read": 0,
                "type": 1,
                "body": f"Your code is {code}. It expires in 10 minutes. Do not share it.",
            }
        )
        sms.sort(key=lambda m: m["date"])
        for i, m in enumerate(sms, 1):
            m["_id"] = i
        seed.shared["threads"] = threads
        seed.shared["verification_code"] = code
        return sms

    def new_row(self, table: str, values: dict[str, Any], type_: int | None) -> dict[str, Any]:
        addr = str(values.get("address", ""))
        typ = int(values.get("type", type_ or 1))
        return {
            "thread_id": self.phone.thread_id(addr),
            "address": addr,
            "date": int(values.get("date", self.phone.now_ms())),
            "read": int(values.get("read", 1 if typ == 2 else 0)),
            "type": typ,
            "body": str(values.get("body", "")),
        }

    def clear_data(self) -> None:
        super().clear_data()
        self.phone.threads = {}

    activities = {
        "com.android.messaging.ui.conversation.ConversationActivity": "new",
        "com.android.messaging.ui.ConversationListActivity": "main",
    }

    def screen_activity(self, s: Screen) -> str:
        if s["name"] in ("thread", "new"):
            return "com.android.messaging.ui.conversation.ConversationActivity"
        return self.activity

    def build(self, s: Screen) -> View:
        if s["name"] == "thread":
            return self._thread(s)
        if s["name"] == "new":
            return self._new(s)
        return self._list(s)

    def name_for(self, address: str) -> str:
        c = self.phone.contact_for(address)
        return c["display_name"] if c else address

    def _stamp(self, ms: int) -> str:
        t = dt.datetime.fromtimestamp(ms // 1000, dt.UTC)
        if t.date() == self.phone.now().date():
            return t.strftime("%H:%M")
        return t.strftime("%b %-d")

    # ---- conversation list
    def _list(self, s: Screen) -> View:
        latest: dict[int, dict[str, Any]] = {}
        unread: dict[int, int] = {}
        for m in self.table("sms"):
            tid = m["thread_id"]
            if tid not in latest or (m["date"], m["_id"]) >= (latest[tid]["date"], latest[tid]["_id"]):
                latest[tid] = m
            if m["type"] == 1 and not m["read"]:
                unread[tid] = unread.get(tid, 0) + 1
        convs = sorted(latest.values(), key=lambda m: (m["date"], m["_id"]), reverse=True)
        items: list[View | None] = []
        for m in convs:
            addr = m["address"]
            name = self.name_for(addr)
            snippet = ("You: " if m["type"] == 2 else "") + m["body"]
            row = self.row(
                name,
                subtitle=snippet,
                leading=self.avatar(name),
                trailing=TextView(
                    self._stamp(m["date"]), size=32, color="text2", width=150, align_text="right"
                ),
                on_click=functools.partial(self._open, addr),
                title_rid=self.rid("conversation_name"),
                subtitle_rid=self.rid("conversation_snippet"),
                rid=self.rid("swipeableContent"),
                height=190,
            )
            if unread.get(m["thread_id"]):
                row.children[1].children[0].bold = True  # type: ignore[attr-defined]
            items.append(row)
        if not items:
            items.append(TextView("No conversations yet", color="text2", padding=64, align_text="center"))
        body = self.list_view(s, *items, key="conversation_list", rid=self.rid("list"))
        fab = self.fab(
            "Start chat",
            lambda: self.push("new", focus="recipient_text_view"),
            self.rid("start_new_conversation_button"),
            text="Start chat",
        )
        return self.screen(self.app_bar("Messages"), body, fab=fab)

    def _open(self, address: str) -> None:
        for m in self.table("sms"):
            if m["type"] == 1 and self.phone.thread_id(m["address"]) == self.phone.thread_id(address):
                m["read"] = 1
        self.push("thread", address=address)

    # ---- one conversation
    def _compose_bar(self, s: Screen, on_send: Any) -> View:
        field = self.edit(s, "compose_message_text", "Text message", on_submit=on_send)
        field.weight = 1
        field.radius = 60
        return LinearLayout(
            field,
            ImageView(
                "send",
                desc="Send SMS",
                on_click=on_send,
                rid=self.rid("send_message_button"),
                color="on_primary",
                circle="primary",
                width=132,
                height=132,
            ),
            horizontal=True,
            padding=(32, 16, 24, 16),
            spacing=16,
            bg="appbar",
            rid=self.rid("compose_bar"),
        )

    def _thread(self, s: Screen) -> View:
        addr = s["params"]["address"]
        tid = self.phone.thread_id(addr)
        msgs = sorted(
            (m for m in self.table("sms") if m["thread_id"] == tid), key=lambda m: (m["date"], m["_id"])
        )
        bubbles: list[View | None] = []
        for m in msgs:
            out = m["type"] == 2
            text = TextView(
                m["body"],
                size=42,
                color="on_bubble_out" if out else "text",
                bg="bubble_out" if out else "bubble_in",
                radius=44,
                padding=(40, 24, 40, 24),
                rid=self.rid("message_text"),
            )
            w = min(800, text.measure_width())
            text.width = w
            text.align = "right" if out else ""
            stamp = TextView(
                self._stamp(m["date"]),
                size=28,
                color="text2",
                align_text="right" if out else "left",
                rid=self.rid("message_status"),
            )
            bubbles.append(
                LinearLayout(text, stamp, padding=(40, 12, 40, 12), rid=self.rid("message_content"))
            )
        body = self.list_view(
            s, *bubbles, key="message_list", rid=self.rid("message_list"), stick_bottom=True
        )
        return self.screen(
            self.app_bar(self.name_for(addr), up=True),
            body,
            bottom=self._compose_bar(s, lambda: self._send(s)),
        )

    def _send(self, s: Screen, address: str | None = None) -> None:
        body = self.field(s, "compose_message_text")
        addr = address or s["params"].get("address", "")
        if not body.strip() or not addr:
            return
        self.phone.insert_row("sms", {"address": addr, "body": body, "type": 2, "read": 1})
        s["fields"]["compose_message_text"] = ""
        s["scroll"].pop("message_list", None)  # jump to the newest message

    # ---- new conversation
    def resolve(self, text: str) -> str | None:
        """A recipient typed in the To field: a contact's name (exact, then unique prefix) or a number."""
        t = text.strip().rstrip(",").strip()
        if not t:
            return None
        contacts = self.table("contacts")
        exact = [c for c in contacts if c["display_name"].casefold() == t.casefold()]
        if exact:
            return exact[0]["number"] or None
        if NUMBER_RE.match(t):
            cleaned = re.sub(r"[\s\-().]", "", t)
            c = self.phone.contact_for(cleaned)
            return c["number"] if c else cleaned
        pref = [c for c in contacts if c["display_name"].casefold().startswith(t.casefold())]
        if len(pref) == 1:
            return pref[0]["number"] or None
        return None

    def _new(self, s: Screen) -> View:
        q = self.field(s, "recipient_text_view").strip().casefold()
        contacts = sorted(self.table("contacts"), key=lambda c: c["display_name"].casefold())
        if q:
            contacts = [c for c in contacts if q in c["display_name"].casefold() or q in c["number"]]
        to = self.edit(
            s,
            "recipient_text_view",
            "Type name or phone number",
            on_submit=lambda: self.focus_on(s, "compose_message_text"),
        )
        to.weight = 1
        to_row = LinearLayout(
            TextView("To", size=42, color="text2", width=90, align_text="center"),
            to,
            horizontal=True,
            padding=(32, 8, 40, 16),
        )
        items: list[View | None] = [
            self.row(
                c["display_name"],
                subtitle=c["number"],
                leading=self.avatar(c["display_name"]),
                on_click=functools.partial(self._pick, c["number"]),
                title_rid=self.rid("contact_name"),
                subtitle_rid=self.rid("contact_details"),
                rid=self.rid("contact_picker_item"),
            )
            for c in contacts
            if c["number"]
        ]
        err = s["params"].get("error", "")
        body = LinearLayout(
            to_row,
            TextView(err, color="error", size=36, padding=(56, 0, 56, 8), rid=self.rid("error"))
            if err
            else None,
            self.list_view(s, *items, key="contact_list", rid=self.rid("contact_list"), weight=1),
        )
        return self.screen(
            self.app_bar("New conversation", up=True),
            body,
            bottom=self._compose_bar(s, lambda: self._send_new(s)),
        )

    def _pick(self, number: str) -> None:
        self.replace("thread", address=number, focus="compose_message_text")

    def _send_new(self, s: Screen) -> None:
        addr = self.resolve(self.field(s, "recipient_text_view"))
        if addr is None:
            s["params"]["error"] = "Enter a contact name or a phone number"
            self.focus_on(s, "recipient_text_view")
            return
        if not self.field(s, "compose_message_text").strip():
            self.focus_on(s, "compose_message_text")
            return
        self._send(s, addr)
        self.phone.pop_screen(self.package)
        self.phone.push_screen(self.package, new_screen("thread", address=addr))
