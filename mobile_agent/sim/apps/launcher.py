"""Launcher3: the home screen grid, the app drawer (swipe up) and the recents cards."""

from __future__ import annotations

import functools

from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.ui import (
    AppIcon,
    Button,
    FrameLayout,
    GridView,
    ImageView,
    LinearLayout,
    Spacer,
    TextView,
    View,
)

HOME_ORDER = [
    "com.android.messaging",
    "com.android.contacts",
    "com.android.gallery3d",
    "com.android.settings",
    "com.android.deskclock",
    "com.android.calendar",
    "org.mobileagent.notes",
    "com.android.documentsui",
]


class Launcher(App):
    package = "com.android.launcher3"
    label = "Launcher"
    activity = "com.android.launcher3.Launcher"
    icon = "apps"

    def root(self) -> Screen:
        from mobile_agent.sim.apps.base import new_screen

        return new_screen("home")

    def _icon(self, pkg: str) -> View:
        app = self.phone.apps[pkg]
        return AppIcon(app.label, app.icon, app.color, lambda: self.phone.open_app(pkg), weight=1, height=250)

    def _apps(self) -> list[str]:
        return [p for p in HOME_ORDER if p in self.phone.apps] + sorted(
            p for p in self.phone.apps if p not in HOME_ORDER and p != self.package
        )

    def build(self, s: Screen) -> View:
        if s["params"].get("drawer"):
            return self._drawer(s)
        pkgs = self._apps()
        rows: list[View | None] = []
        for i in range(0, len(pkgs), 4):
            chunk = [self._icon(p) for p in pkgs[i : i + 4]]
            chunk += [Spacer(weight=1) for _ in range(4 - len(chunk))]
            rows.append(LinearLayout(*chunk, horizontal=True, height=250, margin=(24, 0, 24, 40)))
        date = self.phone.now().strftime("%A, %B %-d")
        return LinearLayout(
            TextView(
                self.phone.now().strftime("%H:%M"),
                size=150,
                color="on_wallpaper",
                align_text="center",
                margin=(0, 90, 0, 0),
                rid=self.rid("clock"),
            ),
            TextView(date, size=46, color="on_wallpaper", align_text="center", rid=self.rid("date")),
            Spacer(weight=1),
            *rows,
            Spacer(height=60),
            LinearLayout(
                Spacer(weight=1),
                AppIcon(
                    "Apps",
                    "apps",
                    (95, 99, 104),
                    self._open_drawer,
                    width=270,
                    height=250,
                    rid=self.rid("all_apps_button"),
                ),
                Spacer(weight=1),
                horizontal=True,
                height=250,
            ),
            TextView(
                "Swipe up to see all apps",
                size=32,
                color="on_wallpaper",
                align_text="center",
                margin=(0, 0, 0, 40),
            ),
            rid=self.rid("workspace"),
        )

    def _open_drawer(self) -> None:
        self.phone.launcher["params"]["drawer"] = True

    def _drawer(self, s: Screen) -> View:
        pkgs = sorted(
            (p for p in self.phone.apps if p != self.package), key=lambda p: self.phone.apps[p].label
        )
        icons = [
            AppIcon(
                self.phone.apps[p].label,
                self.phone.apps[p].icon,
                self.phone.apps[p].color,
                functools.partial(self.phone.open_app, p),
                color="text",
            )
            for p in pkgs
        ]
        return LinearLayout(
            TextView("All apps", size=52, bold=True, padding=(56, 40, 0, 24)),
            GridView(
                *icons,
                columns=4,
                cell_height=300,
                store=s["scroll"],
                key="apps",
                rid=self.rid("apps_list_view"),
                weight=1,
                padding=(16, 16, 16, 0),
            ),
            bg="surface",
            radius=0,
            rid=self.rid("apps_view"),
        )

    def on_swipe(self, s: Screen, x1: int, y1: int, x2: int, y2: int) -> bool:
        """Swipe up on home opens the drawer; swipe down on the drawer's top closes it."""
        dy = y2 - y1
        if abs(dy) < 200 or abs(dy) < abs(x2 - x1):
            return False
        if not s["params"].get("drawer") and dy < 0:
            s["params"]["drawer"] = True
            return True
        if s["params"].get("drawer") and dy > 0 and s["scroll"].get("apps", 0) == 0:
            s["params"]["drawer"] = False
            return True
        return False

    def on_back(self, s: Screen) -> bool:
        if s["params"].get("drawer"):
            s["params"]["drawer"] = False
            return True
        return False

    def build_recents(self, s: Screen) -> View:
        pkgs = self.phone.recent_apps()
        if not pkgs:
            return LinearLayout(
                Spacer(weight=1),
                TextView("No recent items", size=48, color="on_wallpaper", align_text="center"),
                Spacer(weight=1),
                rid=self.rid("overview_panel"),
            )
        cards: list[View] = []
        for p in pkgs:
            app = self.phone.apps[p]
            thumb = self.phone.thumbnail(p, 440)
            cards.append(
                LinearLayout(
                    LinearLayout(
                        ImageView(app.icon, circle=app.color, color=(255, 255, 255), width=76, height=76),
                        TextView(app.label, size=40, bold=True, color="on_wallpaper", weight=1, max_lines=1),
                        horizontal=True,
                        height=100,
                        spacing=20,
                    ),
                    ImageView(
                        picture=thumb,
                        width=440,
                        height=thumb.height,
                        desc=f"Snapshot of {app.label}",
                        border=(255, 255, 255),
                    ),
                    on_click=lambda p=p: self.phone.open_app(p),
                    desc=app.label,
                    text="",
                    rid=self.rid("snapshot"),
                    padding=(30, 0, 30, 0),
                    cls="android.widget.FrameLayout",
                )
            )
        return FrameLayout(
            LinearLayout(
                GridView(
                    *cards,
                    columns=2,
                    cell_height=100 + 978 + 60,
                    store=s["scroll"],
                    key="recents",
                    rid=self.rid("overview_panel"),
                    weight=1,
                    padding=(0, 40, 0, 0),
                ),
                LinearLayout(
                    Spacer(weight=1),
                    Button("Clear all", self._clear_all, style="tonal", rid=self.rid("clear_all")),
                    Spacer(weight=1),
                    horizontal=True,
                    height=170,
                    padding=(0, 22, 0, 22),
                ),
            ),
        )

    def _clear_all(self) -> None:
        self.phone.tasks.clear()
        self.phone.recents.clear()
        self.phone.top = "home"
        self.phone.launcher["params"]["drawer"] = False
