"""A successful run directory read as a recipe: its executed actions, each with the UI tree of
the screen it started from (`steps/NNN-before.xml`), and how the run ended.

Only what the device did counts: failed actions and waits are left out (the replay waits for
each expected screen instead), a question to the human cannot be replayed (the recipe ends
before it, so the model takes over there). The end is the Manager's "finished", `terminate`
success, or the answer text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Recipe", "RecipeError", "RecipeStep", "load_recipe"]


class RecipeError(ValueError):
    """The directory is not a replayable run (missing, failed, or recorded without UI trees)."""


@dataclass
class RecipeStep:
    """One recorded step: the action as executed, in device pixels, and its starting screen."""

    step: int
    action: dict[str, Any]
    points: list[tuple[int, int]]
    device_size: tuple[int, int] | None
    tree: str | None
    thought: str = ""
    description: str = ""

    @property
    def name(self) -> str:
        return str(self.action.get("action", "?"))


@dataclass
class Recipe:
    """The steps of a successful run and its ending."""

    run_dir: Path
    instruction: str
    mode: str
    steps: list[RecipeStep] = field(default_factory=list)
    end: str = "finished"  # "finished" | "answer" | "terminate"
    answer: str | None = None
    final_tree: str | None = None  # the screen the run ended on (when recorded)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.run_dir),
            "instruction": self.instruction,
            "mode": self.mode,
            "steps": [{"step": s.step, "action": s.action, "points": s.points} for s in self.steps],
            "end": self.end,
            "answer": self.answer,
        }


def _events(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
        if isinstance(event, dict):
            out.append(event)
    return out


def _tree(run_dir: Path, step: int, files: dict[int, str]) -> str | None:
    rel = files.get(step, f"steps/{step:03d}-before.xml")
    path = (run_dir / rel).resolve()
    if run_dir.resolve() not in path.parents or not path.is_file():
        return None
    return path.read_text(encoding="utf-8")


def load_recipe(run_dir: str | Path) -> Recipe:
    """Read a run directory; `RecipeError` says why it cannot be replayed.

    A directory edited by hand or damaged (an event of the wrong shape, text that is not UTF-8)
    is a `RecipeError` too: the replay refuses it, and the plan cache counts it as a miss."""
    try:
        return _load(Path(run_dir))
    except RecipeError:
        raise
    except OSError as exc:
        raise RecipeError(f"cannot read {run_dir}: {exc}") from None
    except (ValueError, TypeError, AttributeError, LookupError, OverflowError) as exc:
        raise RecipeError(
            f"{run_dir} is damaged or was edited by hand: {type(exc).__name__}: {str(exc)[:200]}"
        ) from None


def _load(root: Path) -> Recipe:
    events_path, result_path = root / "events.jsonl", root / "result.json"
    if not events_path.is_file() or not result_path.is_file():
        raise RecipeError(f"{root} is not a run directory (no events.jsonl and result.json)")
    try:
        result = json.loads(result_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RecipeError(f"{result_path}: unreadable ({exc})") from None
    if result.get("status") != "succeeded":
        raise RecipeError(
            f"{root} is not a successful run (status {result.get('status')!r}): only a success is a recipe"
        )
    verified = result.get("verified")
    if verified is not None and float(verified) < 1.0:
        raise RecipeError(f"{root} was checked on the device and did not succeed (verified {verified})")
    events = _events(events_path)
    started: dict[str, Any] = next((e["data"] for e in events if e.get("type") == "task.started"), {})
    recipe = Recipe(
        root,
        str(result.get("instruction") or started.get("instruction", "")),
        str(result.get("mode") or started.get("mode", "multi")),
    )
    files = {
        int(e["step"]): str(e["data"].get("file", ""))
        for e in events
        if e.get("type") == "screen.tree" and e.get("step")
    }
    proposed: dict[int, dict[str, Any]] = {}
    last_step = 0
    for e in events:
        step, kind, data = e.get("step"), e.get("type"), e.get("data") or {}
        if not step:
            continue
        last_step = max(last_step, int(step))
        if kind == "action.proposed":
            proposed[int(step)] = data
        elif kind == "action.executed":
            action = dict(data.get("action") or {})
            name = action.get("action")
            if name in ("wait", "ask", "interact", "call_user"):
                continue
            if name == "answer":
                recipe.end, recipe.answer = "answer", str(action.get("text", ""))
                recipe.final_tree = _tree(root, int(step), files)
                break
            if name == "terminate":
                recipe.end = "terminate"
                recipe.final_tree = _tree(root, int(step), files)
                break
            size = data.get("device_size")
            prop = proposed.get(int(step), {})
            recipe.steps.append(
                RecipeStep(
                    int(step),
                    action,
                    [(int(p[0]), int(p[1])) for p in data.get("device_points") or []],
                    (int(size[0]), int(size[1])) if size else None,
                    _tree(root, int(step), files),
                    str(prop.get("thought", "")),
                    str(prop.get("description", "")),
                )
            )
    if recipe.end == "finished":
        recipe.final_tree = _tree(root, last_step, files) if last_step else None
    if recipe.end == "answer" and recipe.answer is None:
        recipe.answer = result.get("answer")
    missing = [s.step for s in recipe.steps if s.tree is None]
    if missing:
        raise RecipeError(
            f"{root} was recorded without the UI tree of step(s) {missing} (steps/NNN-before.xml): "
            "runs recorded by this version of mobile-agent can be replayed"
        )
    if not recipe.steps and recipe.end != "answer":
        raise RecipeError(f"{root} has no action to replay")
    return recipe
