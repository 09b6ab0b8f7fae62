"""The phone's screen: the View tree of what is in front (built lazily, cached until a change),
its pixels, the uiautomator XML, recents and Back."""

from __future__ import annotations

import io

from PIL import Image

from mobile_agent.sim import render, render_pictures
from mobile_agent.sim.apps.base import dialog_view, new_screen
from mobile_agent.sim.apps.systemui import build_shade
from mobile_agent.sim.geometry import KB_H, NAV_H, STATUS_H, H, W
from mobile_agent.sim.phone_content import PhoneContent
from mobile_agent.sim.phone_state import ADB_IME, LAUNCHER
from mobile_agent.sim.ui import FrameLayout, View, hierarchy_xml

__all__ = ["PhoneScreen"]


class PhoneScreen(PhoneContent):
    """Drawing and reading the screen."""

    def show_recents(self) -> None:
        self.shade = None
        if self.top == "recents":
            prev = self.recents_screen["params"].get("prev", "home")
            self.top = prev if prev in self.tasks or prev == "home" else "home"
        else:
            self._thumbs = {}
            for p in self.recents[-4:]:
                self.thumbnail(p, 440)
            self.recents_screen = new_screen("recents", prev=self.top)
            self.top = "recents"
        self._changed()

    def back(self) -> None:
        """Back as Android does it: dialog, then keyboard, then the app, then the activity stack."""
        s = self.top_screen()
        if self.shade is not None:
            self.shade = None
            self._changed()
            return
        if self.top == "recents":
            self.show_recents()
            return
        if s.get("dialog"):
            s["dialog"] = None
        elif s.get("ime") and s.get("focus"):
            s["ime"] = False
        elif self.top_app().on_back(s):
            pass
        elif self.top == "home":
            pass
        else:
            self.pop_screen(self.top)
        self._changed()

    # ------------------------------------------------------------------ input

    def keyboard_height(self) -> int:
        s = self.top_screen()
        if not (s.get("focus") and s.get("ime")) or s.get("dialog"):
            return 0
        return render.ADB_KB_H if self.current_ime == ADB_IME else KB_H

    # ------------------------------------------------------------------ screen

    def _window(self) -> View:
        """The View tree of what is on screen now (built and laid out lazily, cached until a change)."""
        if self._tree is not None:
            return self._tree
        app = self.top_app()
        s = self.top_screen()
        if self.shade is not None:
            content = build_shade(self, s)
        elif self.top == "recents":
            content = app.build_recents(s)  # type: ignore[attr-defined]
        else:
            content = app.build(s)
        bottom = H - NAV_H - self.keyboard_height()
        content.margin = (0, STATUS_H, 0, H - bottom)
        content.align = ""
        content.width = content.height = None
        kids: list[View] = [content]
        if s.get("dialog"):
            kids.append(dialog_view(s, app))
        root = FrameLayout(*kids)
        root.layout((0, 0, W, H), (0, 0, W, H))
        self._tree = root
        self._tree_pkg = LAUNCHER if self.top in ("home", "recents") else self.top
        if self.shade is not None:
            self._tree_pkg = "com.android.systemui"
        return root

    def screenshot(self) -> Image.Image:
        with self.lock:
            if self._img is not None and self._img[0] == self.version:
                return self._img[1]
            img = self._render()
            self._img = (self.version, img)
            return img

    def _render(self) -> Image.Image:
        if not self.screen_on:
            return Image.new("RGB", (W, H), (0, 0, 0))
        th = render.theme(self.dark)
        tree = self._window()
        on_wallpaper = self.top in ("home", "recents") and self.shade is None
        img = (
            render_pictures.wallpaper(self.dark).copy()
            if on_wallpaper
            else Image.new("RGB", (W, H), th["bg"])
        )
        render.draw_tree(img, tree, th)
        fg = (255, 255, 255) if on_wallpaper else th["text"]
        g = self.settings["global"]
        render.status_bar(
            img,
            self.now().strftime("%H:%M"),
            battery=self.battery,
            wifi=g.get("wifi_on") == "1",
            airplane=g.get("airplane_mode_on") == "1",
            bluetooth=g.get("bluetooth_on") == "1",
            fg=fg,
            bg=None if on_wallpaper else th["appbar"],
        )
        kb = self.keyboard_height()
        if kb:
            if self.current_ime == ADB_IME:
                render.draw_adb_keyboard(img, th)
            else:
                render.draw_keyboard(img, th, self.kb_shift)
        if self.toast:
            render.draw_toast(img, self.toast, H - NAV_H - kb)
        render.nav_bar(img, th, transparent=on_wallpaper)
        return img

    def screenshot_png(self) -> bytes:
        with self.lock:
            if self._png is not None and self._png[0] == self.version:
                return self._png[1]
            buf = io.BytesIO()
            self.screenshot().save(buf, "PNG", compress_level=1)
            data = buf.getvalue()
            self._png = (self.version, data)
            return data

    def dump_hierarchy(self) -> str:
        with self.lock:
            tree = self._window()
            return hierarchy_xml(tree, self._tree_pkg)

    def thumbnail(self, package: str, width: int) -> Image.Image:
        """The recents card picture of an app, taken when recents opened (cached until then)."""
        img = self._thumbs.get(package)
        if img is None or img.width != width:
            img = self.render_app_thumbnail(package, width)
            self._thumbs[package] = img
        return img

    def render_app_thumbnail(self, package: str, width: int) -> Image.Image:
        """A small picture of an app's current screen (for the recents cards)."""
        saved_top, saved_tree = self.top, self._tree
        try:
            self.top = package
            self._tree = None
            img = self._render()
        finally:
            self.top, self._tree = saved_top, saved_tree
        return img.reduce(2).resize((width, int(width * H / W)))

    # ------------------------------------------------------------------ extras the ADB layer may use

    @property
    def keyboard_visible(self) -> bool:
        """Whether the soft keyboard is on screen (`dumpsys input_method` mInputShown)."""
        with self.lock:
            return self.keyboard_height() > 0

    def hide_keyboard(self) -> None:
        with self.lock:
            s = self.top_screen()
            if s.get("ime"):
                s["ime"] = False
                self._changed()
