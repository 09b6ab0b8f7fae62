"""A run's result rebuilt from its event log, for a run whose process died before it could write one.

A run directory keeps every event as it happens (`events.jsonl`) and every screenshot; result.json
and report.html are written at the end. When the process is killed (`kill -9`, power loss), the
end never comes. `summarize` recomputes from the events what the runner would have reported (the
completed steps, timings, token usage, the answer, the run's metadata) and `finish_run` writes
result.json and report.html in the normal schema, so the run reads like any stopped run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mobile_agent.bus import EventType
from mobile_agent.trajectory import write_result

__all__ = ["RunSummary", "append_event_line", "finish_run", "summarize"]


@dataclass
class RunSummary:
    """What the event log says about a run."""

    steps: int = 0  # steps that finished (a step cut short by the crash does not count)
    timings: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] = field(default_factory=dict)
    answer: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # instruction, mode, model, device
    started_at: float | None = None
    finished_at: float | None = None  # the time of the last event: when the run really stopped


def summarize(events: list[dict[str, Any]]) -> RunSummary:
    """Steps, timings and usage as the runner computes them, from the events alone."""
    out = RunSummary()
    model_s: dict[str, float] = {}
    per_role: dict[str, dict[str, int]] = {}
    image_tokens = 0
    step_timings: list[dict[str, Any]] = []
    device_s = settle_s = 0.0
    for ev in events:
        kind, data = ev.get("type"), ev.get("data") or {}
        if kind == EventType.TASK_STARTED:
            out.started_at = ev.get("ts")
            out.meta = {k: data.get(k) for k in ("instruction", "mode", "model", "device") if k in data}
        elif kind == EventType.MODEL_CALL:
            role = str(data.get("role") or ev.get("role") or "?")
            model_s[role] = model_s.get(role, 0.0) + float(data.get("latency_s") or 0)
            u = per_role.setdefault(
                role, {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "image_tokens": 0}
            )
            u["calls"] += 1
            u["prompt_tokens"] += int(data.get("prompt_tokens") or 0)
            u["completion_tokens"] += int(data.get("completion_tokens") or 0)
            u["image_tokens"] += int(data.get("image_tokens") or 0)
            image_tokens += int(data.get("image_tokens") or 0)
        elif kind == EventType.STEP_FINISHED:
            timing = dict(data.get("timings") or {})
            step_timings.append({"step": ev.get("step"), **timing})
            device_s += float(timing.get("device_s") or 0)
            settle_s += float(timing.get("settle_s") or 0)
        elif kind == EventType.ANSWER:
            out.answer = data.get("text")
        if ev.get("ts") is not None:
            out.finished_at = float(ev["ts"])
    out.steps = len({t["step"] for t in step_timings})
    overheads = sorted(float(t.get("overhead_s") or 0) for t in step_timings)
    total = (out.finished_at or 0) - (out.started_at or out.finished_at or 0)
    out.timings = {
        "total_s": round(total, 4),
        "model_s": {k: round(v, 4) for k, v in model_s.items()},
        "model_total_s": round(sum(model_s.values()), 4),
        "device_s": round(device_s, 4),
        "settle_s": round(settle_s, 4),
        "overhead_median_s": overheads[len(overheads) // 2] if overheads else None,
        "steps": step_timings,
    }
    out.usage = {
        "per_role": per_role,
        "prompt_tokens": sum(u["prompt_tokens"] for u in per_role.values()),
        "completion_tokens": sum(u["completion_tokens"] for u in per_role.values()),
        "calls": sum(u["calls"] for u in per_role.values()),
        "image_tokens": image_tokens,
    }
    return out


def append_event_line(run_dir: Path, event: dict[str, Any]) -> None:
    """Add one event to RUN/events.jsonl, after a torn last line if the crash left one."""
    path = run_dir / "events.jsonl"
    with open(path, "ab") as f:
        if f.tell() > 0:
            with open(path, "rb") as r:
                r.seek(-1, 2)
                if r.read(1) != b"\n":
                    f.write(b"\n")
        f.write((json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8"))


def finish_run(
    run_dir: Path,
    summary: RunSummary,
    *,
    status: str,
    reason: str,
    error: str | None = None,
    meta: dict[str, Any] | None = None,
    finished_at: float,
) -> None:
    """Write result.json and report.html for a run that ended without writing them."""
    meta = {**(meta or {}), **{k: v for k, v in summary.meta.items() if v}}
    result = {
        "status": status,
        "reason": reason,
        "error": error,
        "steps": summary.steps,
        "answer": summary.answer,
        "claimed_success": False,
        "timings": summary.timings,
        "usage": summary.usage,
        "instruction": meta.get("instruction") or "",
        "mode": meta.get("mode") or "",
    }
    run_dir.mkdir(parents=True, exist_ok=True)
    started = summary.started_at if summary.started_at is not None else finished_at
    write_result(run_dir, result, meta, started_at=started, finished_at=finished_at)
