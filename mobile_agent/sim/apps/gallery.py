"""Gallery: a grid of photos (MediaStore images), a photo view with Favourite and Delete."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.providers import Provider
from mobile_agent.sim.seed import SeedContext
from mobile_agent.sim.ui import FrameLayout, GridView, ImageView, LinearLayout, Spacer, TextView, View

PHOTOS = [
    ("beach", "sea", (120, 190, 235), (250, 225, 120), (40, 110, 170)),
    ("mountain", "mountain", (150, 200, 240), (255, 230, 110), (70, 120, 80)),
    ("sunset", "sun", (250, 150, 90), (255, 220, 120), (110, 60, 90)),
    ("flowers", "flower", (200, 230, 190), (235, 100, 140), (250, 210, 60)),
    ("city", "city", (40, 50, 90), (250, 240, 180), (90, 100, 130)),
    ("pattern", "stripes", (240, 240, 240), (60, 140, 200), (230, 90, 70)),
    ("lake", "sea", (170, 210, 230), (255, 255, 255), (60, 140, 150)),
    ("forest", "mountain", (190, 225, 200), (240, 240, 200), (40, 100, 60)),
]


class GalleryApp(App):
    package = "com.android.gallery3d"
    label = "Gallery"
    activity = "com.android.gallery3d.app.GalleryActivity"
    icon = "gallery"
    color = (219, 68, 55)
    providers = (
        Provider(
            table="images",
            uris={"content://media/external/images/media": None},
            columns=("_id", "_display_name", "_data", "date_added", "favorite"),
            cleared_by_pm_clear=False,  # the media store, not the gallery's own data
        ),
    )
    seed_order = 6  # when it draws from the seed's random stream

    def seed_rows(self, table: str, seed: SeedContext) -> list[dict[str, Any]]:
        images = []
        for i, (subject, kind, bg, fg, fg2) in enumerate(PHOTOS, 1):
            jitter = [max(0, min(255, c + seed.rng.randint(-20, 20))) for c in bg]
            added = seed.now - 86400 * (len(PHOTOS) - i) - seed.rng.randint(0, 3600)
            stamp = dt.datetime.fromtimestamp(added, dt.UTC).strftime("%m%d")
            name = f"{subject}_{stamp}.jpg"
            images.append(
                {
                    "_id": i,
                    "_display_name": name,
                    "_data": f"/sdcard/DCIM/Camera/{name}",
                    "date_added": added,
                    "favorite": 0,
                    "spec": {"kind": kind, "bg": jitter, "fg": list(fg), "fg2": list(fg2)},
                }
            )
        return images

    def new_row(self, table: str, values: dict[str, Any], type_: int | None) -> dict[str, Any]:
        name = str(values.get("_display_name", f"IMG_{self.phone.clock}.jpg"))
        return {
            "_display_name": name,
            "_data": str(values.get("_data", f"/sdcard/Pictures/{name}")),
            "date_added": int(values.get("date_added", self.phone.clock)),
            "favorite": int(values.get("favorite", 0)),
            "spec": {"kind": "stripes", "bg": [200, 200, 200], "fg": [120, 120, 220], "fg2": [220, 120, 120]},
        }

    def rows_deleted(self, table: str, rows: list[dict[str, Any]]) -> None:
        for r in rows:  # the media store deletes the file with the row
            if self.phone.fs.exists(r["_data"]):
                self.phone.fs.remove(r["_data"])

    def image(self, iid: Any) -> dict[str, Any] | None:
        return next((i for i in self.table("images") if i["_id"] == iid), None)

    def build(self, s: Screen) -> View:
        if s["name"] == "photo":
            return self._photo(s)
        imgs = sorted(self.table("images"), key=lambda i: (i["date_added"], i["_id"]), reverse=True)
        cells: list[View | None] = []
        for im in imgs:
            iid = im["_id"]
            thumb = FrameLayout(
                ImageView(
                    picture=im.get("spec", {}),
                    desc=im["_display_name"],
                    rid=self.rid("thumbnail"),
                    width=None,
                    height=None,
                ),
                ImageView(
                    "heart",
                    color=(235, 64, 90),
                    width=64,
                    height=64,
                    align="top right",
                    margin=(0, 8, 8, 0),
                    desc="Favorite",
                )
                if im["favorite"]
                else None,
                weight=1,
            )
            cells.append(
                LinearLayout(
                    thumb,
                    TextView(
                        im["_display_name"],
                        size=26,
                        color="text2",
                        max_lines=1,
                        align_text="center",
                        height=56,
                        rid=self.rid("title"),
                    ),
                    margin=(8, 8, 8, 8),
                    on_click=lambda iid=iid: self.push("photo", id=iid),
                    desc=im["_display_name"],
                    rid=self.rid("photo_cell"),
                )
            )
        if not cells:
            body: View = TextView("No photos", color="text2", padding=64, align_text="center")
        else:
            body = GridView(
                *cells,
                columns=3,
                cell_height=420,
                store=s["scroll"],
                key="grid",
                rid=self.rid("gallery_grid"),
                padding=(16, 8, 16, 8),
            )
        return self.screen(
            self.app_bar("Gallery"),
            LinearLayout(
                TextView(f"{len(imgs)} photos", size=34, color="text2", padding=(48, 0, 0, 8)), body
            ),
        )

    def _photo(self, s: Screen) -> View:
        im = self.image(s["params"].get("id"))
        if im is None:
            return self.screen(
                self.app_bar("Photo", up=True),
                self.list_view(s, TextView("Photo not found", padding=64, color="text2")),
            )
        fav = bool(im["favorite"])
        fav_btn = ImageView(
            "heart" if fav else "heart_outline",
            desc="Favorite",
            rid=self.rid("favorite"),
            on_click=lambda: im.__setitem__("favorite", 0 if fav else 1),
            checkable=True,
            checked=fav,
            color=(235, 64, 90) if fav else "text",
        )
        delete = self.action(
            "delete",
            "Delete",
            lambda: self.confirm(s, "Delete this photo?", im["_display_name"], "Delete", "delete", im["_id"]),
            rid=self.rid("delete"),
        )
        added = dt.datetime.fromtimestamp(im["date_added"], dt.UTC).strftime("%b %-d, %Y %H:%M")
        body = LinearLayout(
            ImageView(
                picture=im.get("spec", {}),
                desc=im["_display_name"],
                rid=self.rid("photo_view"),
                width=1080,
                height=1080,
            ),
            TextView(im["_display_name"], size=40, padding=(48, 24, 48, 0), rid=self.rid("photo_name")),
            TextView(
                f"{added}  ·  {im['_data']}",
                size=32,
                color="text2",
                padding=(48, 8, 48, 0),
                rid=self.rid("photo_details"),
            ),
            Spacer(weight=1),
        )
        return self.screen(self.app_bar(im["_display_name"], up=True, actions=[fav_btn, delete]), body)

    def dialog_action(self, s: Screen, action: str, arg: Any) -> None:
        if action == "delete":
            im = self.image(arg)
            if im is not None:
                self.phone.tables["images"] = [i for i in self.table("images") if i["_id"] != arg]
                if self.phone.fs.exists(im["_data"]):
                    self.phone.fs.remove(im["_data"])
            self.pop()
            self.toast("Photo deleted")
