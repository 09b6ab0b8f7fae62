"""The App base class and the common pieces of Material-ish screens (app bar, rows, FAB, fields).

An app keeps no state of its own: its data lives in `phone.tables` and its navigation in the
phone's task stack as plain screen dicts (`{"name": ..., "fields": {}, "focus": None, ...}`), so a
snapshot is a deepcopy. `build(screen)` turns the top screen into a fresh View tree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Protocol

from mobile_agent.sim import fonts
from mobile_agent.sim.fs import VirtualFS
from mobile_agent.sim.providers import Provider
from mobile_agent.sim.seed import SeedContext
from mobile_agent.sim.ui import (
    Button,
    EditText,
    FrameLayout,
    Handler,
    ImageView,
    LinearLayout,
    RecyclerView,
    Scrim,
    Switch,
    TextView,
    View,
)

Screen = dict[str, Any]

APPBAR_H = 168
ROW_H = 176


class AppHost(Protocol):
    """What an app may use of the phone it runs on (`VirtualPhone` is the one implementation)."""

    apps: dict[str, App]
    tables: dict[str, list[dict[str, Any]]]
    threads: dict[str, int]  # SMS address -> thread id
    settings: dict[str, dict[str, str]]
    props: dict[str, str]
    fs: VirtualFS
    clock: int
    battery: int
    toast: str
    top: str  # "home" | "recents" | package
    tasks: dict[str, list[Screen]]
    recents: list[str]
    launcher: Screen
    shade: Screen | None

    @property
    def dark(self) -> bool: ...
    def now(self) -> dt.datetime: ...
    def now_ms(self) -> int: ...
    def setting_on(self, namespace: str, key: str) -> bool: ...
    def set_toggle(self, key: str, on: bool) -> None: ...
    def open_app(self, package: str, screen: Screen | None = None) -> None: ...
    def push_screen(self, package: str, screen: Screen) -> None: ...
    def pop_screen(self, package: str) -> None: ...
    def back(self) -> None: ...
    def recent_apps(self) -> list[str]: ...
    def thumbnail(self, package: str, width: int) -> Any: ...
    def insert_row(self, table: str, values: dict[str, Any], type_: int | None = None) -> dict[str, Any]: ...
    def thread_id(self, address: str) -> int: ...
    def contact_for(self, address: str) -> dict[str, Any] | None: ...


class App:
    """One app: what it declares (package, activity, label, icon, content providers) and how it
    draws and reacts. A new app is one module with a subclass and one line in `apps/__init__.py`."""

    package = ""
    label = ""
    activity = ""
    icon = "apps"
    color: tuple[int, int, int] = (90, 90, 90)
    # extra activities that `am start -n` may name -> the screen they open
    activities: ClassVar[dict[str, str]] = {}
    # the content providers whose rows this app owns (URIs, columns; see providers.py)
    providers: ClassVar[tuple[Provider, ...]] = ()

    # when its seed rows draw from the seed's random stream: a new app draws after the built-in
    # ones, so every existing seed keeps its data
    seed_order: int = 1000

    def __init__(self, phone: AppHost) -> None:
        self.phone = phone

    # ---- seed data
    def seed_rows(self, table: str, seed: SeedContext) -> list[dict[str, Any]]:
        """The rows a freshly seeded phone has in one of this app's tables (with `_id`)."""
        return []

    def seed_tables(self, seed: SeedContext) -> dict[str, list[dict[str, Any]]]:
        return {p.table: self.seed_rows(p.table, seed) for p in self.providers}

    # ---- content provider hooks
    def new_row(self, table: str, values: dict[str, Any], type_: int | None) -> dict[str, Any]:
        """A row for `content insert` (or the app itself) with Android's defaults, without `_id`."""
        raise KeyError(table)

    def row_updated(self, table: str, row: dict[str, Any], values: dict[str, str]) -> None:
        """`content update` changed `row` (derived columns follow here)."""

    def rows_deleted(self, table: str, rows: list[dict[str, Any]]) -> None:
        """`content delete` removed `rows` (files they name go here)."""

    def clear_data(self) -> None:
        """`pm clear`: the app's own rows are gone."""
        for provider in self.providers:
            if provider.cleared_by_pm_clear:
                self.phone.tables[provider.table] = []

    # ---- hooks an app overrides
    def root(self) -> Screen:
        return new_screen("main")

    def build(self, s: Screen) -> View:
        return TextView(self.label)

    def dialog_action(self, s: Screen, action: str, arg: Any) -> None:
        """The confirm button of a dialog opened with `confirm()` was pressed."""

    def on_back(self, s: Screen) -> bool:
        """Called before the default Back (pop the screen); True when handled."""
        return False

    def screen_activity(self, s: Screen) -> str:
        return self.activity

    # ---- helpers
    def rid(self, name: str) -> str:
        return f"{self.package}:id/{name}"

    def table(self, name: str) -> list[dict[str, Any]]:
        return self.phone.tables[name]

    def push(self, name: str, **params: Any) -> None:
        self.phone.push_screen(self.package, new_screen(name, **params))

    def replace(self, name: str, **params: Any) -> None:
        self.phone.pop_screen(self.package)
        self.push(name, **params)

    def pop(self) -> None:
        self.phone.pop_screen(self.package)

    def toast(self, text: str) -> None:
        self.phone.toast = text

    def confirm(self, s: Screen, title: str, message: str, button: str, action: str, arg: Any = None) -> None:
        s["dialog"] = {"title": title, "message": message, "button": button, "action": action, "arg": arg}
        s["ime"] = False

    def field(self, s: Screen, key: str) -> str:
        return str(s["fields"].get(key, ""))

    def focus_on(self, s: Screen, key: str | None, ime: bool = True) -> None:
        s["focus"] = key
        s["ime"] = ime and key is not None

    def edit(
        self,
        s: Screen,
        key: str,
        hint: str,
        *,
        multiline: bool = False,
        on_submit: Handler = None,
        desc: str = "",
        **kw: Any,
    ) -> EditText:
        """A text field bound to the screen's `fields[key]`; rid is `<package>:id/<key>`."""
        return EditText(
            s["fields"],
            key,
            hint=hint,
            multiline=multiline,
            focused=s.get("focus") == key,
            # long-pressed text is selected (highlighted); typing replaces it, DEL clears it
            selected=s.get("select_all") == key and bool(s["fields"].get(key)),
            on_focus=lambda: self.focus_on(s, key),
            on_submit=on_submit,
            rid=self.rid(key),
            desc=desc,
            **kw,
        )

    # ---- common layouts
    def app_bar(self, title: str, *, up: bool = False, actions: Sequence[View] | None = None) -> View:
        kids: list[View | None] = []
        if up:
            kids.append(
                ImageView(
                    "up",
                    desc="Navigate up",
                    on_click=self.phone.back,
                    color="text",
                    width=132,
                    height=132,
                    margin=(12, 0, 0, 0),
                )
            )
        kids.append(
            TextView(
                title,
                size=56 if not up else 52,
                weight=1,
                max_lines=1,
                padding=(36 if up else 48, 0, 24, 0),
                height=APPBAR_H,
            )
        )
        kids.extend(actions or [])
        return LinearLayout(
            *kids,
            horizontal=True,
            height=APPBAR_H,
            bg="appbar",
            rid=self.rid("toolbar"),
            padding=(0, 0, 16, 0),
        )

    def action(self, icon: str, desc: str, on_click: Handler, rid: str = "") -> ImageView:
        return ImageView(icon, desc=desc, on_click=on_click, color="text", width=132, height=132, rid=rid)

    def screen(self, bar: View, body: View, fab: View | None = None, bottom: View | None = None) -> View:
        col = LinearLayout(bar, body, bottom, bg="bg")
        body.weight = body.weight or 1
        return FrameLayout(col, fab, rid="android:id/content")

    def fab(self, desc: str, on_click: Handler, rid: str, text: str = "") -> View:
        if text:
            return LinearLayout(
                ImageView("plus", color="on_tonal", width=64, height=64, margin=(40, 0, 16, 0)),
                TextView(text, size=40, bold=True, color="on_tonal", padding=(0, 0, 48, 0)),
                horizontal=True,
                width=40 + 64 + 16 + fonts.text_width(text, 40, True) + 48,
                height=168,
                bg="tonal",
                radius=48,
                on_click=on_click,
                rid=rid,
                desc=desc,
                align="bottom right",
                margin=(0, 0, 48, 56),
                cls="android.widget.Button",
            )
        return ImageView(
            "plus",
            desc=desc,
            on_click=on_click,
            rid=rid,
            width=180,
            height=180,
            circle=None,
            color="on_tonal",
            bg="tonal",
            radius=52,
            align="bottom right",
            margin=(0, 0, 48, 56),
            icon_size=150,
        )

    def row(
        self,
        title: str,
        *,
        subtitle: str = "",
        leading: View | None = None,
        trailing: View | None = None,
        on_click: Handler = None,
        on_long_click: Handler = None,
        title_rid: str = "android:id/title",
        subtitle_rid: str = "android:id/summary",
        rid: str = "",
        desc: str = "",
        height: int = ROW_H,
    ) -> View:
        texts = LinearLayout(
            TextView(title, size=44, max_lines=1, rid=title_rid),
            TextView(subtitle, size=36, color="text2", max_lines=1, rid=subtitle_rid) if subtitle else None,
            weight=1,
            padding=(0, 0, 24, 0),
            cls="android.widget.RelativeLayout",
        )
        inner_h = 56 * (2 if subtitle else 1) + 8
        pad_v = max(0, (height - inner_h) // 2)
        texts.padding = (0, pad_v, 24, pad_v)
        return LinearLayout(
            leading,
            texts,
            trailing,
            horizontal=True,
            height=height,
            padding=(48, 0, 40, 0),
            on_click=on_click,
            on_long_click=on_long_click,
            rid=rid,
            desc=desc,
            spacing=36,
        )

    def avatar(self, name: str, size: int = 110) -> ImageView:
        letter = (name.strip()[:1] or "#").upper()
        palette = [
            (66, 133, 244),
            (219, 68, 55),
            (244, 160, 0),
            (15, 157, 88),
            (171, 71, 188),
            (0, 172, 193),
            (255, 112, 67),
            (92, 107, 192),
        ]
        color = palette[sum(map(ord, name)) % len(palette)]
        return ImageView(letter=letter, circle=color, color=(255, 255, 255), width=size, height=size)

    def switch_row(
        self,
        title: str,
        checked: bool,
        on_toggle: Callable[[], None],
        *,
        subtitle: str = "",
        icon: str = "",
        enabled: bool = True,
    ) -> View:
        lead = ImageView(icon, color="text2", width=72, height=72) if icon else None
        r = self.row(
            title,
            subtitle=subtitle,
            leading=lead,
            trailing=Switch(checked, rid=self.rid("switch_widget"), enabled=enabled),
            on_click=on_toggle if enabled else None,
        )
        return r

    def list_view(
        self, s: Screen, *rows: View | None, key: str = "list", rid: str = "", **kw: Any
    ) -> RecyclerView:
        return RecyclerView(*rows, store=s["scroll"], key=key, rid=rid or self.rid(key), **kw)

    def button(self, text: str, on_click: Handler, rid: str = "", style: str = "filled", **kw: Any) -> Button:
        return Button(text, on_click, rid=rid, style=style, **kw)


def new_screen(name: str, **params: Any) -> Screen:
    """A screen state: its name, parameters, field values, scroll offsets, focus and dialog."""
    fields = params.pop("fields", {})
    focus = params.pop("focus", None)
    return {
        "name": name,
        "params": params,
        "fields": dict(fields),
        "scroll": {},
        "focus": focus,
        "ime": focus is not None,
        "dialog": None,
    }


def dialog_view(s: Screen, app: App) -> View:
    """An AlertDialog: scrim over the window, a card with title, message, Cancel and the action."""
    d = s["dialog"]

    def cancel() -> None:
        s["dialog"] = None

    def ok() -> None:
        s["dialog"] = None
        app.dialog_action(s, d["action"], d.get("arg"))

    card = LinearLayout(
        TextView(d["title"], size=52, rid="android:id/alertTitle", padding=(0, 0, 0, 24)),
        TextView(
            d.get("message", ""), size=40, color="text2", rid="android:id/message", padding=(0, 0, 0, 40)
        )
        if d.get("message")
        else None,
        LinearLayout(
            View(weight=1),
            Button("Cancel", cancel, style="text", rid="android:id/button2"),
            Button(d["button"], ok, style="text", rid="android:id/button1"),
            horizontal=True,
            height=126,
            spacing=16,
        ),
        bg="card",
        radius=48,
        padding=(64, 64, 40, 40),
        width=900,
        align="center wrap",
        cls="android.widget.FrameLayout",
        rid="android:id/parentPanel",
    )
    return Scrim(card, on_click=cancel)
