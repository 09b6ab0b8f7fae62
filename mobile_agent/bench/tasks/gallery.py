"""Gallery tasks: favourite, unfavourite and delete a photo chosen from the phone's own photos."""

from __future__ import annotations

import random
from typing import Any, ClassVar

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Step, Task, TaskSetupError
from mobile_agent.bench.tasks import ui
from mobile_agent.bench.tasks.common import IMAGES, rows

__all__ = ["TASKS", "DeletePhoto", "FavoritePhoto", "UnfavoritePhoto"]


class _Photo(Task):
    app = "Gallery"
    complexity = 1.0
    start_favorite: ClassVar[bool | None] = None

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return {"pick": rng.randint(0, 999), "photo": "(chosen at initialisation)"}

    async def setup(self, adb: AdbShell) -> None:
        photos = sorted(await rows(adb, IMAGES), key=lambda r: int(r.get("_id", "0") or 0))
        if not photos:
            raise TaskSetupError(f"{self.instance_id}: the phone has no photos")
        chosen = photos[self.params["pick"] % len(photos)]
        self.params["photo"] = chosen["_display_name"]
        self.params["count"] = len(photos)
        if self.start_favorite is not None and chosen.get("favorite") != str(int(self.start_favorite)):
            out = await adb.shell(
                f"content update --uri {IMAGES} --bind favorite:i:{int(self.start_favorite)} --where _id={chosen['_id']}"
            )
            if "Unsupported" in out or "Error" in out:
                # the phone has no `content update`: replace the row with the same name and path
                await adb.delete(IMAGES, f"_id={chosen['_id']}")
                await adb.insert(
                    IMAGES,
                    {
                        "_display_name": chosen["_display_name"],
                        "_data": chosen["_data"],
                        "date_added": int(chosen["date_added"]),
                        "favorite": int(self.start_favorite),
                    },
                )

    async def _mine(self, adb: AdbShell) -> list[dict[str, str]]:
        return [r for r in await rows(adb, IMAGES) if r.get("_display_name") == self.params["photo"]]


class FavoritePhoto(_Photo):
    name = "gallery_favorite"
    start_favorite = False
    goal_template = "In the Gallery, mark the photo {photo} as a favourite."

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        mine = await self._mine(adb)
        return 1.0 if mine and mine[0].get("favorite") == "1" else 0.0

    def solution(self) -> list[Step]:
        return ui.gallery_favorite(self.params["photo"], True)


class UnfavoritePhoto(_Photo):
    name = "gallery_unfavorite"
    start_favorite = True
    goal_template = "Remove the photo {photo} from my favourites in the Gallery."

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        mine = await self._mine(adb)
        return 1.0 if mine and mine[0].get("favorite") == "0" else 0.0

    def solution(self) -> list[Step]:
        return ui.gallery_favorite(self.params["photo"], False)


class DeletePhoto(_Photo):
    name = "gallery_delete"
    complexity = 1.2
    goal_template = "Delete the photo {photo} from the Gallery."

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        if await self._mine(adb):
            return 0.0
        # only that photo is gone
        return 1.0 if len(await rows(adb, IMAGES)) == self.params["count"] - 1 else 0.0

    def solution(self) -> list[Step]:
        return ui.gallery_delete(self.params["photo"])


TASKS: list[type[Task]] = [FavoritePhoto, UnfavoritePhoto, DeletePhoto]
