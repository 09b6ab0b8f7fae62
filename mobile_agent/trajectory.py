"""The run directory: a bus subscriber that records everything as it happens.

Layout (the contract): `RUN/events.jsonl` (one event a line, flushed as it comes),
`RUN/steps/NNN-before.png` and `NNN-after.png`, `NNN-before.xml` (the UI tree each step started
from: what `mobile-agent replay` checks the screen against), `RUN/result.json` and `RUN/report.html`
(self-contained). `finish()` writes the last two; call it in a `finally` so a failed or
cancelled run leaves a complete directory too.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from mobile_agent.bus import Event, EventType
from mobile_agent.report import write_report

__all__ = ["TrajectoryWriter", "mark_verified", "new_run_dir", "slugify", "write_result"]


def slugify(text: str, max_len: int = 32) -> str:
    """A short file-name-safe form of an instruction ("Turn on Wi-Fi" -> "turn-on-wi-fi")."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "task"


def new_run_dir(runs_dir: str | Path, instruction: str) -> Path:
    """Create `runs_dir/YYYYmmdd-HHMMSS-<slug>-<shortid>` (with its steps/ folder)."""
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{slugify(instruction)}-{secrets.token_hex(3)}"
    path = Path(runs_dir) / name
    (path / "steps").mkdir(parents=True, exist_ok=False)
    return path


class TrajectoryWriter:
    """Subscribe it to a bus (`bus.subscribe(writer)`); then `finish(result)` at the end."""

    def __init__(self, run_dir: str | Path, meta: dict[str, Any] | None = None) -> None:
        self.run_dir = Path(run_dir)
        (self.run_dir / "steps").mkdir(parents=True, exist_ok=True)
        self.meta = dict(meta or {})
        self._events = open(self.run_dir / "events.jsonl", "a", encoding="utf-8")
        self._started = time.time()
        self.finished = False

    def __call__(self, event: Event) -> None:
        if self._events.closed:
            return
        self._events.write(json.dumps(event.to_json(), ensure_ascii=False) + "\n")
        self._events.flush()
        blob = event.blobs.get("png") if event.type == EventType.SCREEN else None
        if event.type == EventType.UI_TREE:  # the UI tree a replay checks the screen against
            blob = event.blobs.get("xml")
        if blob is not None:
            ext = "xml" if event.type == EventType.UI_TREE else "png"
            rel = str(
                event.data.get("file")
                or f"steps/{event.step or 0:03d}-{event.data.get('phase', 'screen')}.{ext}"
            )
            target = (self.run_dir / rel).resolve()
            if self.run_dir.resolve() in target.parents:
                target.parent.mkdir(parents=True, exist_ok=True)
                # whole or not at all: a crash mid-write must not leave a torn screenshot
                partial = target.with_name(target.name + ".part")
                partial.write_bytes(blob)
                os.replace(partial, target)

    def finish(self, result: dict[str, Any]) -> Path:
        """Write result.json and report.html; safe to call once the run has ended in any way."""
        if not self._events.closed:
            self._events.close()
        write_result(self.run_dir, result, self.meta, started_at=self._started, finished_at=time.time())
        self.finished = True
        return self.run_dir


def write_result(
    run_dir: str | Path,
    result: dict[str, Any],
    meta: dict[str, Any],
    *,
    started_at: float,
    finished_at: float,
) -> Path:
    """Write RUN/result.json (the one schema of a run's result) and RUN/report.html.

    `result` has RunResult's JSON fields; `meta` the run's instruction, mode, model and device.
    Used at the end of a run, and when a server rebuilds a crashed run from its event log.
    """
    run_dir = Path(run_dir)
    body = {
        "status": result.get("status", "failed"),
        "reason": result.get("reason", ""),
        "error": result.get("error"),
        "steps": result.get("steps", 0),
        "answer": result.get("answer"),
        "output": result.get("output"),  # the validated structured answer, when one was asked for
        "claimed_success": bool(result.get("claimed_success", False)),
        "verified": result.get("verified"),
        "timings": result.get("timings", {}),
        "usage": result.get("usage", {}),
        "instruction": result.get("instruction") or meta.get("instruction", ""),
        "mode": result.get("mode") or meta.get("mode", ""),
        "model": meta.get("model"),
        "device": meta.get("device"),
        "started_at": started_at,
        "finished_at": finished_at,
    }
    (run_dir / "result.json").write_text(json.dumps(body, indent=2, ensure_ascii=False), encoding="utf-8")
    try:
        write_report(run_dir)
    except Exception as exc:  # a report bug must not lose the run; leave a minimal page
        (run_dir / "report.html").write_text(
            f"<!doctype html><meta charset=utf-8><title>run</title><p>report failed: {html.escape(repr(exc))}</p>",
            encoding="utf-8",
        )
    return run_dir


def mark_verified(run_dir: str | Path, score: float, detail: str = "") -> None:
    """Record an external verdict (a benchmark's check of the device state) in a finished run.

    Updates result.json's `verified` (0..1; the agent's own claim stays beside it) and
    re-renders report.html so the page shows it too.
    """
    path = Path(run_dir) / "result.json"
    body = json.loads(path.read_text(encoding="utf-8"))
    body["verified"] = float(score)
    if detail:
        body["verified_detail"] = detail
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False), encoding="utf-8")
    write_report(Path(run_dir))
