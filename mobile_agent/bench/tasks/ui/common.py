"""What every app's solution steps share: selectors over the UI tree, fills, row taps, dialogs,
answers read off the screen; and the packages of the apps."""

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
    scroll_move,
    tap,
)
from mobile_agent.bench.grounding import Screen
from mobile_agent.bench.tasks.common import PKG
from mobile_agent.device.uitree import Node

__all__ = [
    "CALENDAR",
    "CLOCK",
    "CONTACTS",
    "GALLERY",
    "MESSAGES",
    "NOTES",
    "SETTINGS",
    "FillField",
    "alpha_scroll",
    "answer_when_visible",
    "both",
    "confirm_dialog",
    "dialog_open",
    "field",
    "fields_hold",
    "fill",
    "has",
    "open_app",
    "rid",
    "tap_row",
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


def dialog_open(s: Screen) -> bool:
    return s.find(rid="android:id/button1") is not None


def confirm_dialog(text: str, pkg: str) -> Tap:
    return Tap(text=text, rid="android:id/button1", where=lambda s: s.package == pkg and dialog_open(s))


def answer_when_visible(value: str | Callable[[Ctx], str], evidence: str, app: str) -> Answer:
    return Answer(
        text="Read the answer on the screen and reply with it",
        value=value,
        evidence=evidence,
        where=lambda s: s.package == PKG[app],
    )
