"""Solution steps for Clock, Notes, Calendar and Gallery."""

from __future__ import annotations

from collections.abc import Callable

from mobile_agent.bench.base import (
    Answer,
    Ctx,
    Custom,
    Move,
    Step,
    Tap,
    scroll_move,
    tap,
)
from mobile_agent.bench.grounding import Screen
from mobile_agent.bench.tasks.ui.common import (
    CALENDAR,
    CLOCK,
    GALLERY,
    NOTES,
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
    "AGENDA",
    "ALARM_LIST",
    "GRID",
    "NOTES_LIST",
    "NOTE_TITLE_RID",
    "calendar_add_event",
    "calendar_delete_event",
    "clock_add_alarm",
    "clock_answer",
    "clock_delete_alarm",
    "clock_toggle_alarm",
    "gallery_delete",
    "gallery_favorite",
    "note_editor",
    "notes_create",
    "notes_delete",
    "notes_edit",
    "notes_open",
]

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
