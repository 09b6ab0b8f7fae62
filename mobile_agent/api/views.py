"""A task as the API shows it: the stored record, brought up to date by the scheduler."""

from __future__ import annotations

from datetime import UTC, datetime

from .scheduler import Scheduler
from .schemas import TaskView
from .store import TaskRecord

__all__ = ["task_view"]


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts is not None else None


def task_view(rec: TaskRecord, scheduler: Scheduler) -> TaskView:
    """The record, with the running task's live step count and the queued task's position."""
    running = scheduler.running.get(rec.id)
    steps = rec.steps
    if running is not None:
        steps = max(steps, running.bus.state.step)
    queued = scheduler.queued_ids()
    return TaskView(
        id=rec.id,
        instruction=rec.instruction,
        status=rec.status,  # type: ignore[arg-type]
        reason=rec.reason,
        answer=rec.answer,
        steps=steps,
        max_steps=rec.max_steps,
        max_seconds=rec.max_seconds,
        mode=rec.mode,
        model=rec.model,
        device=rec.assigned_device or rec.device,
        requested_device=rec.device,
        created_at=_iso(rec.created_at) or "",
        started_at=_iso(rec.started_at),
        finished_at=_iso(rec.finished_at),
        run_dir=rec.run_dir,
        timings=rec.timings,
        usage=rec.usage,
        claimed_success=rec.claimed_success,
        error=rec.error,
        pending_request=rec.pending_request,  # type: ignore[arg-type]
        queue_position=queued.index(rec.id) if rec.id in queued else None,
        # the running job's flag is gone once it ends, and a queued task never had one
        cancel_requested=rec.status == "cancelled" or bool(running and running.cancel_requested),
        output_schema=rec.output_schema,
        output=rec.output,
    )
