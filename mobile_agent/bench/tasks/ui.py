"""How each app of the virtual phone is operated: solution steps grounded on its UI tree.

Selectors use what a uiautomator dump shows (text, content-desc, resource-id), never fixed
coordinates. This is the one place that knows the apps' screens; tasks only say *what* to do.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mobile_agent.bench.base import (
    Answer,
    Ctx,
    Custom,
    Fill,
    Move,
    OpenApp,
    Step,
    Tap,
    Toggle,
    scroll_move,
    tap,
)
from mobile_agent.bench.grounding import Screen
from mobile_agent.bench.tasks.common import PKG
from mobile_agent.device.uitree import Node

__all__ = [
    "AGENDA",
    "ALARM_LIST",
    "CONTACT_LIST",
    "CONTACT_NAME_RID",
    "CONV_LIST",
    "DISPLAY_ITEMS",
    "GRID",
    "NEW_CONV",
    "NOTES_LIST",
    "NOTE_TITLE_RID",
    "SETTINGS_DISPLAY",
    "SETTINGS_MAIN",
    "FillField",
    "alpha_scroll",
    "answer_on_contact",
    "answer_when_visible",
    "both",
    "calendar_add_event",
    "calendar_delete_event",
    "clock_add_alarm",
    "clock_answer",
    "clock_delete_alarm",
    "clock_toggle_alarm",
    "confirm_dialog",
    "contact_detail",
    "contacts_create",
    "contacts_delete",
    "contacts_edit_number",
    "contacts_open",
    "dialog_open",
    "field",
    "fields_hold",
    "fill",
    "gallery_delete",
    "gallery_favorite",
    "has",
    "messages_open_thread",
    "messages_read_latest",
    "messages_send",
    "messages_unread_answer",
    "note_editor",
    "notes_create",
    "notes_delete",
    "notes_edit",
    "notes_open",
    "open_app",
    "open_thread_steps",
    "rid",
    "settings_brightness",
    "settings_toggle",
    "tap_row",
    "thread_with",
    "title_is",
]

SETTINGS, CONTACTS, MESSAGES = PKG["Settings"], PKG["Contacts"], PKG["Messages"]
CLOCK, NOTES, CALENDAR, GALLERY = PKG["Clock"], PKG["Notes"], PKG["Calendar"], PKG["Gallery"]


def rid(pkg: str, name: str) -> str:
    return f"{pkg}:id/{name}"


def field(pkg: str, key: str) -> Callable[[Screen], Node | None]:
    """The EditText bound to `key` (the sim's fields have resource-id `<pkg>:id/<key>`)."""
    return lambda s: s.find(rid=rid(pkg, key), cls="EditText")


def title_is(text: str) -> Callable[[Screen], bool]:
    """The app bar (toolbar) shows `text`."""

    def pred(s: Screen) -> bool:
        bar = s.find(rid=re.compile(r":id/toolbar$"))
        return bar is not None and any(t.strip() == text for t in bar.texts())

    return pred


def has(
    pkg: str, *, text: str | None = None, rid_name: str | None = None, desc: str | None = None
) -> Callable[[Screen], bool]:
    def pred(s: Screen) -> bool:
        if s.package != pkg:
            return False
        if rid_name is not None and s.find(rid=rid(pkg, rid_name)) is None:
            return False
        if desc is not None and s.find(desc=desc) is None:
            return False
        return text is None or s.find(text) is not None

    return pred


def both(*preds: Callable[[Screen], bool]) -> Callable[[Screen], bool]:
    return lambda s: all(p(s) for p in preds)


def open_app(label: str) -> OpenApp:
    return OpenApp(label, PKG[label])


class FillField(Fill):
    """Fill a field on a screen; when the field is off screen (under the keyboard), reveal it."""

    def ready(self, ctx: Ctx) -> bool:
        return self.where is None or self.where(ctx.screen)

    def act(self, ctx: Ctx) -> Move | None:
        if self.field(ctx.screen) is None:
            if ctx.screen.focused_edit() is not None:
                return Move(
                    {"action": "system_button", "button": "Back"},
                    "The field I need is hidden behind the keyboard; closing the keyboard.",
                    "hide the keyboard",
                )
            return scroll_move(ctx.screen, "The field is not visible; scrolling.")
        return super().act(ctx)


def fill(text: str, pkg: str, key: str, value: str, where: Callable[[Screen], bool]) -> FillField:
    return FillField(text=text, field=field(pkg, key), value=value, where=where)


def fields_hold(pkg: str, values: dict[str, str]) -> Callable[[Screen], bool]:
    def pred(s: Screen) -> bool:
        for key, val in values.items():
            node = field(pkg, key)(s)
            if node is None or node.text != val:
                return False
        return True

    return pred


# ------------------------------------------------------------------------------------ lists


def alpha_scroll(target: str, title_rid: str) -> Callable[[Ctx], Move | None]:
    """Scroll an alphabetical list toward `target` (up or down, judged from the visible rows)."""

    def act(ctx: Ctx) -> Move | None:
        rows = [n.text for n in ctx.screen.find_all(rid=title_rid) if n.text]
        up = not rows or rows[0].casefold() <= target.casefold()
        return scroll_move(ctx.screen, f"'{target}' is not visible; scrolling the list.", up=up)

    return act


def tap_row(
    text: str, target: str, title_rid: str, where: Callable[[Screen], bool], alphabetical: bool = True
) -> Step:
    """Tap the list row titled `target`, scrolling the list to find it."""

    def find(ctx: Ctx) -> Node | None:
        for n in ctx.screen.find_all(rid=title_rid):
            if n.text.strip().casefold() == target.strip().casefold():
                return n
        return None

    def act(ctx: Ctx) -> Move | None:
        node = find(ctx)
        if node is not None:
            return tap(node, f"'{target}' is in the list; opening it.", text)
        if alphabetical:
            return alpha_scroll(target, title_rid)(ctx)
        return scroll_move(ctx.screen, f"'{target}' is not visible; scrolling the list.")

    return Custom(text=text, ready_fn=lambda ctx: where(ctx.screen), act_fn=act)


# --------------------------------------------------------------------------------- Settings

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


def dialog_open(s: Screen) -> bool:
    return s.find(rid="android:id/button1") is not None


def confirm_dialog(text: str, pkg: str) -> Tap:
    return Tap(text=text, rid="android:id/button1", where=lambda s: s.package == pkg and dialog_open(s))


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


def answer_when_visible(value: str | Callable[[Ctx], str], evidence: str, app: str) -> Answer:
    return Answer(
        text="Read the answer on the screen and reply with it",
        value=value,
        evidence=evidence,
        where=lambda s: s.package == PKG[app],
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

ALARM_LIST = both(has(CLOCK, rid_name="fab"), title_is("Alarm"))


def _hhmm(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


def clock_add_alarm(hour: int, minute: int, label: str) -> list[Step]:
    editor = both(has(CLOCK), title_is("Add alarm"))
    values = {"hour": f"{hour:02d}", "minute": f"{minute:02d}"} | ({"label": label} if label else {})
    steps: list[Step] = [
        open_app("Clock"),
        Tap(text="Tap 'Add alarm'", target="Add alarm", rid=rid(CLOCK, "fab"), where=ALARM_LIST),
        fill(f"Set the hour to {hour:02d}", CLOCK, "hour", f"{hour:02d}", editor),
        fill(f"Set the minute to {minute:02d}", CLOCK, "minute", f"{minute:02d}", editor),
    ]
    if label:
        steps.append(fill(f"Enter the label {label}", CLOCK, "label", label, editor))
    steps.append(
        Tap(text="Save the alarm", rid=rid(CLOCK, "save"), where=both(editor, fields_hold(CLOCK, values)))
    )
    return steps


def _alarm_switch(hour: int, minute: int) -> Callable[[Screen], Node | None]:
    return lambda s: s.find(desc=f"{_hhmm(hour, minute)} alarm", cls="Switch")


def clock_toggle_alarm(hour: int, minute: int, on: bool) -> list[Step]:
    find = _alarm_switch(hour, minute)

    def act(ctx: Ctx) -> Move | None:
        sw = find(ctx.screen)
        if sw is None:
            return scroll_move(ctx.screen, f"The {_hhmm(hour, minute)} alarm is not visible; scrolling.")
        return tap(
            sw,
            f"The {_hhmm(hour, minute)} alarm is {'on' if sw.checked else 'off'}; switching it.",
            "flip the switch",
        )

    return [
        open_app("Clock"),
        Custom(
            text=f"Turn the {_hhmm(hour, minute)} alarm {'on' if on else 'off'}",
            ready_fn=lambda ctx: ALARM_LIST(ctx.screen),
            act_fn=act,
        ),
    ]


def clock_delete_alarm(hour: int, minute: int) -> list[Step]:
    t = _hhmm(hour, minute)
    editor = both(
        has(CLOCK),
        title_is("Edit alarm"),
        fields_hold(CLOCK, {"hour": f"{hour:02d}", "minute": f"{minute:02d}"}),
    )
    return [
        open_app("Clock"),
        tap_row(f"Open the {t} alarm", t, rid(CLOCK, "digital_clock"), ALARM_LIST, alphabetical=True),
        Tap(text="Tap Delete", rid=rid(CLOCK, "delete"), where=both(editor, lambda s: not dialog_open(s))),
        confirm_dialog("Confirm the deletion", CLOCK),
    ]


def clock_answer(value: Callable[[Ctx], str]) -> list[Step]:
    return [
        open_app("Clock"),
        Answer(
            text="Read the earliest alarm at the top of the list and answer", value=value, where=ALARM_LIST
        ),
    ]


# ------------------------------------------------------------------------------------ Notes

NOTES_LIST = both(has(NOTES, rid_name="fab_new"), title_is("Notes"))
NOTE_TITLE_RID = rid(NOTES, "note_title")


def note_editor(title: str, new: bool = False) -> Callable[[Screen], bool]:
    bar = "New note" if new else "Edit note"
    return both(
        has(NOTES), title_is(bar), lambda s: new or (field(NOTES, "title")(s) or Node()).text == title
    )


def notes_open(title: str) -> list[Step]:
    return [
        open_app("Notes"),
        tap_row(f"Open the note {title}", title, NOTE_TITLE_RID, NOTES_LIST, alphabetical=False),
    ]


def notes_create(title: str, body: str) -> list[Step]:
    editor = note_editor(title, new=True)
    return [
        open_app("Notes"),
        Tap(text="Tap 'New note'", target="New note", rid=rid(NOTES, "fab_new"), where=NOTES_LIST),
        fill(f"Type the title {title}", NOTES, "title", title, editor),
        fill(f"Type the text: {body}", NOTES, "body", body, editor),
        Tap(
            text="Save the note",
            rid=rid(NOTES, "save"),
            where=both(editor, fields_hold(NOTES, {"title": title, "body": body})),
        ),
    ]


def notes_edit(title: str, body: str) -> list[Step]:
    editor = note_editor(title)
    return [
        *notes_open(title),
        fill(f"Replace the text with: {body}", NOTES, "body", body, editor),
        Tap(
            text="Save the note",
            rid=rid(NOTES, "save"),
            where=both(editor, fields_hold(NOTES, {"body": body})),
        ),
    ]


def notes_delete(title: str) -> list[Step]:
    return [
        *notes_open(title),
        Tap(
            text="Tap Delete",
            rid=rid(NOTES, "delete"),
            where=both(note_editor(title), lambda s: not dialog_open(s)),
        ),
        confirm_dialog("Confirm the deletion", NOTES),
    ]


# --------------------------------------------------------------------------------- Calendar

AGENDA = both(has(CALENDAR, rid_name="floating_action_button"), title_is("Calendar"))


def calendar_add_event(title: str, date: str, hour: int, minute: int) -> list[Step]:
    editor = both(has(CALENDAR), title_is("New event"))
    values = {"title": title, "date": date, "time": _hhmm(hour, minute)}
    return [
        open_app("Calendar"),
        Tap(
            text="Tap 'New event'",
            target="New event",
            rid=rid(CALENDAR, "floating_action_button"),
            where=AGENDA,
        ),
        fill(f"Type the title {title}", CALENDAR, "title", title, editor),
        fill(f"Type the date {date}", CALENDAR, "date", date, editor),
        fill(f"Type the time {_hhmm(hour, minute)}", CALENDAR, "time", _hhmm(hour, minute), editor),
        Tap(
            text="Save the event",
            rid=rid(CALENDAR, "save"),
            where=both(editor, fields_hold(CALENDAR, values)),
        ),
    ]


def calendar_delete_event(title: str, date: str) -> list[Step]:
    def detail(s: Screen) -> bool:
        t = s.find(rid=rid(CALENDAR, "title"))
        return s.package == CALENDAR and t is not None and t.text.strip() == title and not dialog_open(s)

    return [
        open_app("Calendar"),
        tap_row(f"Open the event {title}", title, rid(CALENDAR, "event_title"), AGENDA, alphabetical=False),
        Tap(text="Tap Delete", rid=rid(CALENDAR, "delete"), where=detail),
        confirm_dialog("Confirm the deletion", CALENDAR),
    ]


# ---------------------------------------------------------------------------------- Gallery

GRID = both(has(GALLERY), title_is("Gallery"))


def _photo_view(photo: str) -> Callable[[Screen], bool]:
    return both(
        has(GALLERY, rid_name="photo_view"),
        lambda s: (s.find(rid=rid(GALLERY, "photo_name")) or Node()).text == photo,
    )


def _open_photo(photo: str) -> list[Step]:
    return [
        open_app("Gallery"),
        Tap(text=f"Open the photo {photo}", target=photo, rid=rid(GALLERY, "photo_cell"), where=GRID),
    ]


def gallery_favorite(photo: str, on: bool) -> list[Step]:
    def act(ctx: Ctx) -> Move | None:
        btn = ctx.screen.find(rid=rid(GALLERY, "favorite"))
        if btn is None:
            return None
        return tap(
            btn, f"The heart is {'filled' if btn.checked else 'empty'}; tapping it.", "toggle favourite"
        )

    def done(ctx: Ctx) -> bool:
        btn = ctx.screen.find(rid=rid(GALLERY, "favorite"))
        return btn is not None and btn.checked == on

    return [
        *_open_photo(photo),
        Custom(
            text=f"{'Mark' if on else 'Unmark'} the photo as a favourite",
            ready_fn=lambda ctx: _photo_view(photo)(ctx.screen),
            act_fn=act,
            done_fn=done,
        ),
    ]


def gallery_delete(photo: str) -> list[Step]:
    return [
        *_open_photo(photo),
        Tap(
            text="Tap Delete",
            target="Delete",
            rid=rid(GALLERY, "delete"),
            where=both(_photo_view(photo), lambda s: not dialog_open(s)),
        ),
        confirm_dialog("Confirm the deletion", GALLERY),
    ]
