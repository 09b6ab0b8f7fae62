"""Solution steps for Settings, Contacts and Messages."""

from __future__ import annotations

import re
from collections.abc import Callable

from mobile_agent.bench.base import (
    Answer,
    Ctx,
    Custom,
    Move,
    Step,
    Tap,
    Toggle,
    scroll_move,
    tap,
)
from mobile_agent.bench.grounding import Screen
from mobile_agent.bench.tasks.ui.common import (
    CONTACTS,
    MESSAGES,
    SETTINGS,
    both,
    confirm_dialog,
    dialog_open,
    field,
    fields_hold,
    fill,
    has,
    open_app,
    rid,
    tap_row,
    title_is,
)
from mobile_agent.device.uitree import Node

__all__ = [
    "CONTACT_LIST",
    "CONTACT_NAME_RID",
    "CONV_LIST",
    "DISPLAY_ITEMS",
    "NEW_CONV",
    "SETTINGS_DISPLAY",
    "SETTINGS_MAIN",
    "answer_on_contact",
    "contact_detail",
    "contacts_create",
    "contacts_delete",
    "contacts_edit_number",
    "contacts_open",
    "messages_open_thread",
    "messages_read_latest",
    "messages_send",
    "messages_unread_answer",
    "open_thread_steps",
    "settings_brightness",
    "settings_toggle",
    "thread_with",
]

SETTINGS_MAIN = both(has(SETTINGS), title_is("Settings"))
SETTINGS_DISPLAY = both(has(SETTINGS), title_is("Display"))
DISPLAY_ITEMS = ("Dark theme", "Brightness level")


def settings_toggle(label: str, on: bool) -> list[Step]:
    state = "on" if on else "off"
    steps: list[Step] = [open_app("Settings")]
    if label in DISPLAY_ITEMS:
        steps.append(Tap(text="Open Display settings", target="Display", where=SETTINGS_MAIN))
        steps.append(Toggle(text=f"Turn {label} {state}", label=label, on=on, where=SETTINGS_DISPLAY))
    else:
        steps.append(Toggle(text=f"Turn {label} {state}", label=label, on=on, where=SETTINGS_MAIN))
    return steps


def settings_brightness(percent: int) -> list[Step]:
    def act(ctx: Ctx) -> Move | None:
        bar = ctx.screen.find(rid=rid(SETTINGS, "brightness_seekbar"))
        if bar is None:
            return None
        x1, y1, x2, y2 = bar.bounds
        pad = 48
        x = round(x1 + pad + percent / 100 * (x2 - x1 - 2 * pad))
        x = min(max(x, x1 + pad), x2 - pad - 1)
        return Move(
            {"action": "click", "coordinate": [x, (y1 + y2) // 2]},
            f"The brightness slider runs from 0% at its left end to 100% at its right; tapping at {percent}%.",
            f"set brightness to {percent}%",
        )

    return [
        open_app("Settings"),
        Tap(text="Open Display settings", target="Display", where=SETTINGS_MAIN),
        Custom(
            text=f"Set the brightness slider to {percent}%",
            ready_fn=lambda ctx: (
                SETTINGS_DISPLAY(ctx.screen)
                and ctx.screen.find(rid=rid(SETTINGS, "brightness_seekbar")) is not None
            ),
            act_fn=act,
        ),
    ]


# --------------------------------------------------------------------------------- Contacts

CONTACT_LIST = both(has(CONTACTS, rid_name="floating_action_button"), title_is("Contacts"))
CONTACT_NAME_RID = rid(CONTACTS, "cliv_name_textview")


def contact_detail(name: str) -> Callable[[Screen], bool]:
    def pred(s: Screen) -> bool:
        t = s.find(rid=rid(CONTACTS, "large_title"))
        return s.package == CONTACTS and t is not None and t.text.strip() == name

    return pred


def contacts_open(name: str) -> list[Step]:
    return [open_app("Contacts"), tap_row(f"Open the contact {name}", name, CONTACT_NAME_RID, CONTACT_LIST)]


def contacts_create(name: str, number: str, email: str) -> list[Step]:
    editor = both(has(CONTACTS), title_is("Create contact"))
    values = {"name": name, "phone": number} | ({"email": email} if email else {})
    steps: list[Step] = [
        open_app("Contacts"),
        Tap(text="Tap 'Create contact'", target="Create contact", where=CONTACT_LIST),
        fill(f"Enter the name {name}", CONTACTS, "name", name, editor),
        fill(f"Enter the phone number {number}", CONTACTS, "phone", number, editor),
    ]
    if email:
        steps.append(fill(f"Enter the email {email}", CONTACTS, "email", email, editor))
    steps.append(
        Tap(
            text="Save the contact",
            rid=rid(CONTACTS, "editor_menu_save_button"),
            where=both(editor, fields_hold(CONTACTS, values)),
        )
    )
    return steps


def contacts_edit_number(name: str, number: str) -> list[Step]:
    editor = both(
        has(CONTACTS), title_is("Edit contact"), lambda s: (field(CONTACTS, "name")(s) or Node()).text == name
    )
    return [
        *contacts_open(name),
        Tap(text="Tap Edit", rid=rid(CONTACTS, "edit_button"), where=contact_detail(name)),
        fill(f"Replace the phone number with {number}", CONTACTS, "phone", number, editor),
        Tap(
            text="Save the contact",
            rid=rid(CONTACTS, "editor_menu_save_button"),
            where=both(editor, fields_hold(CONTACTS, {"phone": number})),
        ),
    ]


def contacts_delete(name: str) -> list[Step]:
    return [
        *contacts_open(name),
        Tap(
            text="Tap Delete",
            rid=rid(CONTACTS, "menu_delete"),
            where=both(contact_detail(name), lambda s: not dialog_open(s)),
        ),
        confirm_dialog("Confirm the deletion", CONTACTS),
    ]


def answer_on_contact(name: str, value: str, evidence: str | re.Pattern[str]) -> Answer:
    return Answer(
        text=f"Answer with {name}'s details", value=value, evidence=evidence, where=contact_detail(name)
    )


# --------------------------------------------------------------------------------- Messages

CONV_LIST = both(has(MESSAGES, rid_name="start_new_conversation_button"), title_is("Messages"))
NEW_CONV = both(has(MESSAGES), title_is("New conversation"))


def thread_with(name: str) -> Callable[[Screen], bool]:
    return both(has(MESSAGES, rid_name="compose_message_text"), title_is(name))


def open_thread_steps(name: str) -> list[Step]:
    return [
        open_app("Messages"),
        tap_row(
            f"Open the conversation with {name}",
            name,
            rid(MESSAGES, "conversation_name"),
            CONV_LIST,
            alphabetical=False,
        ),
    ]


def messages_send(name: str, body: str, thread: bool = False) -> list[Step]:
    compose = rid(MESSAGES, "compose_message_text")
    if thread:
        reach = open_thread_steps(name)
    else:
        reach = [
            open_app("Messages"),
            Tap(text="Tap 'Start chat'", rid=rid(MESSAGES, "start_new_conversation_button"), where=CONV_LIST),
            fill(f"Type {name} in the To field", MESSAGES, "recipient_text_view", name, NEW_CONV),
            tap_row(f"Pick {name} from the list", name, rid(MESSAGES, "contact_name"), NEW_CONV),
        ]
    return [
        *reach,
        fill(f"Type the message: {body}", MESSAGES, "compose_message_text", body, thread_with(name)),
        Tap(
            text="Send the message",
            rid=rid(MESSAGES, "send_message_button"),
            where=both(thread_with(name), lambda s: (s.find(rid=compose) or Node()).text == body),
        ),
    ]


def messages_open_thread(name: str, evidence: str) -> list[Step]:
    return open_thread_steps(name)


def messages_read_latest(sender: str, code: str) -> list[Step]:
    """Open the newest conversation (the one whose snippet holds the code)."""

    def act(ctx: Ctx) -> Move | None:
        for n in ctx.screen.find_all(rid=rid(MESSAGES, "conversation_snippet")):
            if code in n.text:
                return tap(
                    n, "The newest conversation holds the code; opening it.", "open the latest message"
                )
        return scroll_move(ctx.screen, "Looking for the latest message.", up=False)

    return [
        open_app("Messages"),
        Custom(text="Open the latest message", ready_fn=lambda ctx: CONV_LIST(ctx.screen), act_fn=act),
    ]


def messages_unread_answer(value: Callable[[Ctx], str]) -> list[Step]:
    return [
        open_app("Messages"),
        Answer(text="Count the unread conversations (bold) and answer", value=value, where=CONV_LIST),
    ]


# ------------------------------------------------------------------------------------ Clock
