"""Start-up recovery of tasks a previous server left running (it was killed, or the host went down).

Such a task ends `interrupted`, like a task of a server stopped cleanly, with nothing lost that
is on disk: the events the crash kept out of the store are copied from the run's events.jsonl,
the steps, timings and usage are rebuilt from the event log (`mobile_agent.rebuild`), and the run
directory gets its result.json and report.html. The store's row then shows the same numbers.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from mobile_agent.bus import EventType
from mobile_agent.eventlog import read_events
from mobile_agent.rebuild import append_event_line, finish_run, summarize

from .store import ACTIVE, TaskRecord, TaskStore

__all__ = ["mark_interrupted", "recover_task"]

log = logging.getLogger(__name__)


def _run_dir(runs_dir: Path, rec: TaskRecord) -> Path | None:
    """The task's run directory, only if it lies inside the runs directory."""
    path = (runs_dir / (rec.run_dir or rec.id)).resolve()
    return path if path.is_relative_to(runs_dir.resolve()) and path != runs_dir.resolve() else None


def recover_task(store: TaskStore, rec: TaskRecord, runs_dir: Path, reason: str) -> bool:
    """Finish `rec` as interrupted with its result rebuilt; False if it was no longer active."""
    run_dir = _run_dir(runs_dir, rec)
    stored = store.events(rec.id)
    last = max((e["seq"] for e in stored), default=0)
    on_disk = read_events(run_dir) if run_dir is not None else []
    missing = [e for e in on_disk if isinstance(e.get("seq"), int) and e["seq"] > last]
    if missing:  # published, written to events.jsonl, not yet in the store when the server died
        store.add_events(rec.id, missing)
        log.info("task %s: %d events recovered from its events.jsonl", rec.id, len(missing))
    events = stored + missing
    summary = summarize(events)
    finished = summary.finished_at or rec.started_at or time.time()
    data: dict[str, Any] = {
        "status": "interrupted",
        "reason": reason,
        "error": None,
        "answer": summary.answer,
        "steps": summary.steps,
        "claimed_success": False,
        "timings": {k: v for k, v in summary.timings.items() if k != "steps"},
        "usage": summary.usage,
    }
    if not events or events[-1].get("type") != EventType.TASK_FINISHED:
        seq = (events[-1]["seq"] if events else 0) + 1
        event = {
            "seq": seq,
            "ts": finished,
            "type": EventType.TASK_FINISHED,
            "step": None,
            "role": None,
            "data": data,
        }
        store.add_events(rec.id, [event])
        if run_dir is not None and run_dir.is_dir():
            append_event_line(run_dir, event)
    if run_dir is not None:
        meta = {
            "instruction": rec.instruction,
            "mode": rec.mode,
            "model": rec.model,
            "device": rec.assigned_device,
        }
        finish_run(run_dir, summary, status="interrupted", reason=reason, meta=meta, finished_at=finished)
    return store.update_task(
        rec.id,
        only_if_status=ACTIVE,
        status="interrupted",
        reason=reason,
        answer=summary.answer,
        steps=summary.steps,
        timings=summary.timings,
        usage=summary.usage,
        finished_at=finished,
        pending_request=None,
    )


def mark_interrupted(store: TaskStore, task_id: str, reason: str) -> bool:
    """The fallback when the result cannot be rebuilt: the status and a task.finished event only."""
    changed = store.update_task(
        task_id,
        only_if_status=ACTIVE,
        status="interrupted",
        reason=reason,
        finished_at=time.time(),
        pending_request=None,
    )
    if changed:
        data = {"status": "interrupted", "reason": reason, "answer": None, "steps": None}
        store.append_event(task_id, EventType.TASK_FINISHED, data)
    return changed
