"""The rollout's progress line: samples done of all, steps per second, ETA (pool and cluster alike)."""

from __future__ import annotations

import time
from collections.abc import Callable

from mobile_agent.rollout.sample import Job

__all__ = ["Progress", "fmt_duration"]


def fmt_duration(s: float) -> str:
    s = int(s)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


class Progress:
    """Counts the samples of this session and prints one line per finished sample."""

    def __init__(self, total: int, todo: int, echo: Callable[[str], None]) -> None:
        self.total, self.todo, self.echo = total, todo, echo
        self.done = self.steps = self.crashed = 0
        self.started = time.monotonic()

    def report(self, job: Job, status: str, steps: int, reason: str = "", where: str = "") -> None:
        self.done += 1
        self.steps += steps
        self.crashed += status == "crashed"
        el = max(time.monotonic() - self.started, 1e-9)
        eta = el / self.done * max(self.todo - self.done, 0)
        self.echo(
            f"[{self.total - self.todo + self.done}/{self.total}] {job.task}#{job.seed} s{job.sample_id} {status}"
            + (f" @{where}" if where else "")
            + f" · {self.steps / el:.2f} steps/s · ETA {fmt_duration(eta)}"
            + (f" · {reason}" if reason else "")
        )
