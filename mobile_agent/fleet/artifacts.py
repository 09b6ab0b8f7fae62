"""A fleet task's run artifacts (result.json, report.html), made to say the task's recorded end.

They are stored beside the screenshots (`fleet_blobs`), so every replica serves them; the host's
scratch folder is not readable from a replica. Two ways in:

- `settle_run_dir`: the phone's actor, at the end of a task. The run directory already has both
  files (the agent wrote them); when the recorded end differs (cancelled, the store unreachable)
  they are rewritten to match, and when the run died before writing them they are rebuilt from
  its events. The bytes then go into the store in the same fenced transaction as the end.
- `rebuild_from_store`: the replica that declares a host lost. The host cannot write any more, so
  the result and the report are rebuilt from what it streamed (events and screenshots in the
  store) with the same code that rebuilds a crashed single-machine run (`mobile_agent.rebuild`).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mobile_agent.api.store import TaskRecord
from mobile_agent.rebuild import finish_run, summarize
from mobile_agent.report import write_report

__all__ = [
    "ARTIFACTS",
    "lost_task_artifacts",
    "read_artifacts",
    "rebuild_from_store",
    "run_meta",
    "settle_run_dir",
]

ARTIFACTS = ("result.json", "report.html")


def read_artifacts(run_dir: Path) -> list[tuple[str, bytes]]:
    """The run's artifacts that exist, as (name, bytes) for the store."""
    return [(name, (run_dir / name).read_bytes()) for name in ARTIFACTS if (run_dir / name).is_file()]


def _write_events(run_dir: Path, events: Iterable[Mapping[str, Any]]) -> None:
    lines = (json.dumps(dict(e), ensure_ascii=False) + "\n" for e in events)
    (run_dir / "events.jsonl").write_text("".join(lines), encoding="utf-8")


def settle_run_dir(
    run_dir: Path,
    events: list[dict[str, Any]],
    *,
    status: str,
    reason: str,
    error: str | None,
    meta: dict[str, Any],
    finished_at: float,
) -> list[tuple[str, bytes]]:
    """Make RUN/result.json and RUN/report.html say the end that is recorded; return them."""
    path = run_dir / "result.json"
    body: dict[str, Any] | None = None
    if path.is_file():
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            body = None
    if body is None:  # the run died before writing it: rebuild from its events, as after a crash
        run_dir.mkdir(parents=True, exist_ok=True)
        if not (run_dir / "events.jsonl").is_file():
            _write_events(run_dir, events)
        finish_run(
            run_dir,
            summarize(events),
            status=status,
            reason=reason,
            error=error,
            meta=meta,
            finished_at=finished_at,
        )
    elif (body.get("status"), body.get("reason"), body.get("error")) != (status, reason, error):
        body.update(status=status, reason=reason, error=error)
        path.write_text(json.dumps(body, indent=2, ensure_ascii=False), encoding="utf-8")
        write_report(run_dir)
    return read_artifacts(run_dir)


def rebuild_from_store(
    events: list[dict[str, Any]],
    blobs: Mapping[str, bytes],
    *,
    status: str,
    reason: str,
    error: str | None,
    meta: dict[str, Any],
    finished_at: float,
) -> list[tuple[str, bytes]]:
    """result.json and report.html of a run whose host is gone, from its stored events and PNGs."""
    with tempfile.TemporaryDirectory(prefix="fleet-rebuild-") as tmp:
        run_dir = Path(tmp)
        for name, data in blobs.items():
            target = (run_dir / name).resolve()
            if not target.is_relative_to(run_dir.resolve()) or name in ARTIFACTS:
                continue  # a stored name never leaves the scratch folder
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        _write_events(run_dir, events)
        finish_run(
            run_dir,
            summarize(events),
            status=status,
            reason=reason,
            error=error,
            meta=meta,
            finished_at=finished_at,
        )
        return read_artifacts(run_dir)


def run_meta(rec: TaskRecord) -> dict[str, Any]:
    """What a result.json says of the run besides its outcome."""
    return {
        "instruction": rec.instruction,
        "mode": rec.mode,
        "model": rec.model,
        "device": rec.assigned_device,
    }


def lost_task_artifacts(
    rec: TaskRecord, events: list[dict[str, Any]], blobs: Mapping[str, bytes]
) -> list[tuple[str, bytes]]:
    """`FleetStore.revoke`'s rebuild: the artifacts of a task just ended `host_lost`."""
    return rebuild_from_store(
        events,
        blobs,
        status=rec.status,
        reason=rec.reason or "",
        error=rec.error,
        meta=run_meta(rec),
        finished_at=rec.finished_at or time.time(),
    )
