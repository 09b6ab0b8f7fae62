"""Files: browse the phone's shared storage (/sdcard) in the virtual file system."""

from __future__ import annotations

import functools
import posixpath

from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.fs import FSError
from mobile_agent.sim.ui import ImageView, LinearLayout, TextView, View


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} kB"
    return f"{n / 1024 / 1024:.1f} MB"


class FilesApp(App):
    package = "com.android.documentsui"
    label = "Files"
    activity = "com.android.documentsui.files.FilesActivity"
    icon = "folder"
    color = (0, 137, 123)

    def build(self, s: Screen) -> View:
        path = s["params"].get("path", "/sdcard")
        fs = self.phone.fs
        try:
            names = fs.listdir(path)
        except FSError:
            names = []
        dirs = [n for n in names if fs.is_dir(posixpath.join(path, n))]
        files = [n for n in names if n not in dirs]
        items: list[View | None] = []
        for n in dirs:
            full = posixpath.join(path, n)
            items.append(
                self.row(
                    n,
                    subtitle="Folder",
                    leading=ImageView("folder", color="primary", width=80, height=80),
                    on_click=functools.partial(self.push, "main", path=full),
                    title_rid=self.rid("item_title"),
                    subtitle_rid=self.rid("item_summary"),
                )
            )
        for n in files:
            st = fs.stat(posixpath.join(path, n))
            items.append(
                self.row(
                    n,
                    subtitle=_size(len(st.data)) if st else "",
                    leading=ImageView("file", color="text2", width=80, height=80),
                    title_rid=self.rid("item_title"),
                    subtitle_rid=self.rid("item_summary"),
                )
            )
        if not items:
            items.append(TextView("No items", color="text2", padding=64, align_text="center"))
        title = "Files" if path == "/sdcard" else posixpath.basename(path)
        crumbs = TextView(
            path.replace("/sdcard", "Internal storage", 1),
            size=34,
            color="text2",
            padding=(48, 0, 48, 16),
            rid=self.rid("breadcrumb"),
        )
        return self.screen(
            self.app_bar(title, up=path != "/sdcard"),
            LinearLayout(crumbs, self.list_view(s, *items, key="dir_list")),
        )
