"""Replay and the plan cache: a successful run directory is a recipe (docs/replay.md).

Framework code: it never imports the virtual phone or the benchmark.
"""

from mobile_agent.replay.cache import PlanCache
from mobile_agent.replay.recipe import Recipe, RecipeError, load_recipe

__all__ = ["PlanCache", "Recipe", "RecipeError", "load_recipe"]
