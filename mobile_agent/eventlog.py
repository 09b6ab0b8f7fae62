"""Reading a run's event log (`RUN/events.jsonl`), the one record both the report and the
server's crash recovery rebuild from; it depends on nothing else in the package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["read_events"]


def read_events(run_dir: str | Path) -> list[dict[str, Any]]:
    """The events of a run directory (a torn last line is skipped)."""
    events: list[dict[str, Any]] = []
    path = Path(run_dir) / "events.jsonl"
    if not path.exists():
        return events
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events
