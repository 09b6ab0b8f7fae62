"""Reading a run's event log (`RUN/events.jsonl`), the one record both the report and the
server's crash recovery rebuild from; it depends on nothing else in the package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["read_events", "recorded_answers"]


def read_events(run_dir: str | Path) -> list[dict[str, Any]]:
    """The events of a run directory (a torn last line is skipped).

    Read as bytes and split on newlines only: a crash can cut a line inside a UTF-8 character, and
    text written with `ensure_ascii=False` may hold U+2028 or U+0085, which `str.splitlines`
    would take for line ends."""
    events: list[dict[str, Any]] = []
    path = Path(run_dir) / "events.jsonl"
    if not path.exists():
        return events
    for line in path.read_bytes().split(b"\n"):
        try:
            events.append(json.loads(line.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
    return events


def recorded_answers(run_dir: str | Path) -> dict[str, list[str]]:
    """Per-role raw answers of a recorded run (its `model.call` events), in order; "*" for no role.

    Strict, unlike `read_events`: a replay of a damaged log would answer the wrong questions.
    """
    path = Path(run_dir) / "events.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"no events.jsonl in {run_dir}")
    answers: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON ({exc})") from None
            if event.get("type") != "model.call":
                continue
            data = event.get("data") or {}
            role = data.get("role") or event.get("role")
            raw = data.get("raw")
            if raw is None:
                continue
            answers.setdefault(str(role).lower() if role else "*", []).append(str(raw))
    return answers
