"""How a run ended and what it cost: `RunResult`, the per-step clock, the run's totals.

Also the one place an exception is named as a short error kind (`model_unavailable`,
`device_disconnected`, ...), so the result, the error events and the API agree on the words.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mobile_agent.device.base import DeviceDisconnected, DeviceError, DeviceNotFound
from mobile_agent.human import HumanTimeout
from mobile_agent.llm.base import ModelError, ModelTimeout, ModelUnavailable
from mobile_agent.llm.frame_check import FrameMismatch

__all__ = ["End", "Meter", "RunResult", "RunTotals", "StepClock", "Stop", "error_kind"]


@dataclass
class RunResult:
    """How a run ended. `claimed_success` is the agent's own belief; verification is separate."""

    status: str  # "succeeded" | "failed" | "cancelled"
    reason: str
    answer: str | None = None
    steps: int = 0
    run_dir: Path | None = None
    timings: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] = field(default_factory=dict)
    claimed_success: bool = False
    error: str | None = None  # a short kind: model_unavailable, device_disconnected, step_budget...
    instruction: str = ""
    mode: str = "multi"
    output: Any = None  # the validated structured answer (a model instance when one was given)

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "error": self.error,
            "answer": self.answer,
            "steps": self.steps,
            "claimed_success": self.claimed_success,
            "run_dir": str(self.run_dir) if self.run_dir else None,
            "timings": self.timings,
            "usage": self.usage,
            "instruction": self.instruction,
            "mode": self.mode,
            "output": self.output.model_dump(mode="json")
            if hasattr(self.output, "model_dump")
            else self.output,
        }


@dataclass(frozen=True)
class End:
    """The loop's verdict before it becomes a `RunResult`."""

    status: str
    reason: str
    error: str | None = None
    claimed: bool = False


class Stop(Exception):
    """Raised anywhere inside a step to end the run with `end` (a guard tripped, a role gave up)."""

    def __init__(self, end: End) -> None:
        super().__init__(end.reason)
        self.end = end


@dataclass
class StepClock:
    """Where one step's wall time went: model calls (per role and in flight), device, settle."""

    model_s: dict[str, float] = field(default_factory=dict)
    device_s: float = 0.0
    settle_s: float = 0.0
    model_wall_s: float = 0.0  # time with at least one model call in flight (concurrent calls once)
    started: float = field(default_factory=time.perf_counter)
    _inflight: int = 0
    _inflight_since: float = 0.0

    def call_started(self) -> None:
        if self._inflight == 0:
            self._inflight_since = time.perf_counter()
        self._inflight += 1

    def call_ended(self) -> None:
        self._inflight -= 1
        if self._inflight == 0:
            self.model_wall_s += time.perf_counter() - self._inflight_since

    def as_dict(self) -> dict[str, Any]:
        wall = time.perf_counter() - self.started
        model = sum(self.model_s.values())
        return {
            "wall_s": round(wall, 4),
            "model_s": {k: round(v, 4) for k, v in self.model_s.items()},
            "model_total_s": round(model, 4),
            "model_wall_s": round(self.model_wall_s, 4),
            "device_s": round(self.device_s, 4),
            "settle_s": round(self.settle_s, 4),
            "overhead_s": round(max(0.0, wall - self.model_wall_s - self.settle_s), 4),
        }


@dataclass
class RunTotals:
    """The run's sums: model time per role, device and settle time, every step's timings."""

    model_s: dict[str, float] = field(default_factory=dict)
    device_s: float = 0.0
    settle_s: float = 0.0
    steps: list[dict[str, Any]] = field(default_factory=list)

    def add_model(self, role: str, seconds: float) -> None:
        self.model_s[role] = self.model_s.get(role, 0.0) + seconds

    def end_step(self, step: int, clock: StepClock) -> dict[str, Any]:
        """Close one step: keep its timings, add its device and settle time; return the timings."""
        timing = clock.as_dict()
        self.steps.append({"step": step, **timing})
        self.device_s += clock.device_s
        self.settle_s += clock.settle_s
        return timing

    def as_dict(self, total_s: float) -> dict[str, Any]:
        overheads = sorted(t["overhead_s"] for t in self.steps)
        return {
            "total_s": round(total_s, 4),
            "model_s": {k: round(v, 4) for k, v in self.model_s.items()},
            "model_total_s": round(sum(self.model_s.values()), 4),
            "device_s": round(self.device_s, 4),
            "settle_s": round(self.settle_s, 4),
            "overhead_median_s": overheads[len(overheads) // 2] if overheads else None,
            "steps": self.steps,
        }


@dataclass
class Meter:
    """The clock of the step in progress and the run's totals, shared by every part of the loop."""

    clock: StepClock = field(default_factory=StepClock)
    totals: RunTotals = field(default_factory=RunTotals)

    def new_step(self) -> StepClock:
        self.clock = StepClock()
        return self.clock

    def end_step(self, step: int) -> dict[str, Any]:
        return self.totals.end_step(step, self.clock)


def error_kind(exc: BaseException) -> str:
    """The short kind of a failure, as `RunResult.error` and error events name it."""
    if isinstance(exc, FrameMismatch):  # a ModelUnavailable that needs another fix
        return "frame_mismatch"
    if isinstance(exc, ModelUnavailable):
        return "model_unavailable"
    if isinstance(exc, ModelTimeout):
        return "model_timeout"
    if isinstance(exc, ModelError):
        return "model_error"
    if isinstance(exc, DeviceDisconnected):
        return "device_disconnected"
    if isinstance(exc, DeviceNotFound):
        return "device_not_found"
    if isinstance(exc, DeviceError):
        return "device_error"
    if isinstance(exc, HumanTimeout):
        return "human_timeout"
    return "internal"
