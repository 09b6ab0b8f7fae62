"""What `Agent.run` does with a recipe to replay or a plan cache to consult.

The session is the run's prelude (`Runner(prelude=...)`): with a cache it reads the starting
screen's UI tree, looks the key up and replays a hit; with a recipe it replays that. A miss
or a divergence hands over to the model from the step reached. After the run, a success that
was not a clean replay of the cached entry is stored under the key.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mobile_agent.device.base import DeviceError
from mobile_agent.llm.base import ChatResponse, Message, ModelUnavailable
from mobile_agent.loop.result import End
from mobile_agent.replay.cache import CacheKey, PlanCache
from mobile_agent.replay.player import Player
from mobile_agent.replay.recipe import Recipe, RecipeError, load_recipe

if TYPE_CHECKING:
    from mobile_agent.loop.runner import Runner

__all__ = ["NoModel", "ReplaySession"]

log = logging.getLogger(__name__)


class NoModel:
    """The model of a replay with none configured: any call says so (the replay never calls it)."""

    name = "none"

    async def chat(
        self, messages: list[Message], *, max_tokens: int | None = None, temperature: float | None = None
    ) -> ChatResponse:
        raise ModelUnavailable("no model is configured (pass --base-url and --model to let one take over)")

    async def aclose(self) -> None:
        return None


class ReplaySession:
    """One run's replay: from a recipe, or from a cache lookup on the starting screen."""

    def __init__(
        self,
        *,
        recipe: Recipe | str | Path | None = None,
        cache: PlanCache | str | Path | None = None,
        instruction: str = "",
        mode: str = "multi",
        can_hand_over: bool = True,
        timeout_s: float = 10.0,
    ) -> None:
        if recipe is not None and not isinstance(recipe, Recipe):
            recipe = load_recipe(recipe)  # RecipeError (a ValueError) before anything runs
        self.recipe: Recipe | None = recipe
        self.cache = PlanCache(cache) if cache is not None and not isinstance(cache, PlanCache) else cache
        self.instruction = instruction
        self.mode = mode
        self.can_hand_over = can_hand_over
        self.timeout_s = timeout_s
        self.key: CacheKey | None = None
        self.hit = False
        self.player: Player | None = None

    async def __call__(self, runner: Runner) -> End | None:
        if self.cache is not None and self.recipe is None:
            try:
                start = await runner.observe.ui_tree()
                self.key = self.cache.key(self.instruction, self.mode, start)
            except (DeviceError, ValueError) as exc:
                runner.bus.publish(
                    "replay.cache",
                    {"hit": False, "message": f"cache not used: no UI tree of the starting screen ({exc})"},
                )
                return None
            self.recipe = self.cache.lookup(self.key)
            self.hit = self.recipe is not None
            runner.bus.publish(
                "replay.cache",
                {
                    "hit": self.hit,
                    "key": self.key.digest,
                    "message": f"cache hit ({self.key.digest}): replaying the stored run"
                    if self.hit
                    else f"cache miss ({self.key.digest}): the model plans this run",
                },
            )
        if self.recipe is None:
            return None
        self.player = Player(self.recipe, can_hand_over=self.can_hand_over, timeout_s=self.timeout_s)
        return await self.player(runner)

    @property
    def clean_replay(self) -> bool:
        """The whole recipe replayed with no divergence."""
        return self.player is not None and self.player.diverged_at is None

    def after_run(self, result: Any, run_dir: Path | None) -> Path | None:
        """Store a successful run in the cache (unless it was a clean replay of the entry itself)."""
        if self.cache is None or self.key is None or run_dir is None or result.status != "succeeded":
            return None
        if self.hit and self.clean_replay:
            return None
        try:
            return self.cache.store(self.key, run_dir)
        except (RecipeError, OSError) as exc:  # the run stands; only the cache misses it
            log.warning("the run was not stored in the cache %s: %s", self.cache.root, exc)
            return None
