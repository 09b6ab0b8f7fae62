"""The plan cache: successful runs kept as recipes, found again by instruction and app state.

Key: SHA-256 of the normalised instruction (case-folded, spaces collapsed), the mode, and a
fingerprint of the starting screen's UI tree: the app in front plus the sorted sets of resource
ids and of the texts / descriptions of clickable nodes, status bar left out (so the clock
ticking does not change it, but another app or another page does). An entry is a folder
`DIR/<key>/` with `entry.json` (the key's parts) and `recipe/` (the run's events.jsonl,
result.json and the steps' UI trees; no screenshots): plain files, shareable between hosts.
Writers build the folder under a temporary name and rename it into place, so a reader never
sees half an entry and concurrent writers cannot mix theirs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mobile_agent.replay.match import SYSTEM_UI, parse_tree
from mobile_agent.replay.recipe import Recipe, RecipeError, load_recipe

__all__ = ["CacheKey", "PlanCache", "fingerprint", "normalise"]

_RECIPE_FILES = ("events.jsonl", "result.json")


def normalise(instruction: str) -> str:
    """The instruction as the key sees it: case-folded, whitespace collapsed, trimmed."""
    return re.sub(r"\s+", " ", instruction).strip().casefold()


def fingerprint(xml: str) -> dict[str, Any]:
    """What identifies the starting app state in a UI tree (see the module docstring)."""
    screen = parse_tree(xml)
    nodes = [n for n in screen.nodes if n.package != SYSTEM_UI]
    return {
        "package": screen.package,
        "ids": sorted({n.rid for n in nodes if n.rid}),
        "labels": sorted({n.text or n.desc for n in nodes if n.clickable and (n.text or n.desc)}),
    }


@dataclass(frozen=True)
class CacheKey:
    instruction: str
    mode: str
    screen: dict[str, Any]

    @property
    def digest(self) -> str:
        body = json.dumps([normalise(self.instruction), self.mode, self.screen], sort_keys=True)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]


class PlanCache:
    """A cache folder (created when first written)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"the cache {self.root} is not a folder")

    def key(self, instruction: str, mode: str, start_xml: str) -> CacheKey:
        return CacheKey(instruction, mode, fingerprint(start_xml))

    def lookup(self, key: CacheKey) -> Recipe | None:
        """The recipe stored under the key, or None (a damaged entry counts as a miss)."""
        folder = self.root / key.digest / "recipe"
        if not folder.is_dir():
            return None
        try:
            return load_recipe(folder)
        except (RecipeError, OSError, ValueError):
            return None

    def store(self, key: CacheKey, run_dir: str | Path) -> Path:
        """Keep a finished successful run under the key (replacing an older entry); the entry's path.

        `RecipeError` when the run is not a recipe. Atomic: built aside, renamed into place."""
        load_recipe(run_dir)  # only a replayable run goes in
        src = Path(run_dir)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".tmp-{key.digest}-{secrets.token_hex(4)}"
        try:
            (tmp / "recipe" / "steps").mkdir(parents=True)
            for name in _RECIPE_FILES:
                shutil.copyfile(src / name, tmp / "recipe" / name)
            for tree in sorted((src / "steps").glob("*.xml")):
                shutil.copyfile(tree, tmp / "recipe" / "steps" / tree.name)
            entry = {
                "instruction": key.instruction,
                "normalised": normalise(key.instruction),
                "mode": key.mode,
                "screen": key.screen,
                "stored_at": time.time(),
                "host": socket.gethostname(),
                "source_run": src.name,
            }
            (tmp / "entry.json").write_text(json.dumps(entry, indent=2, ensure_ascii=False), encoding="utf-8")
            final = self.root / key.digest
            old = None
            if final.exists():  # replace: move the old entry aside first, then swap in
                old = self.root / f".old-{key.digest}-{secrets.token_hex(4)}"
                try:
                    os.rename(final, old)
                except OSError:
                    old = None
            try:
                os.rename(tmp, final)
            except OSError:  # another writer won the race: its entry stands
                shutil.rmtree(tmp, ignore_errors=True)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
            return final
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
