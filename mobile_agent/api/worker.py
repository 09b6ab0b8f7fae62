"""Running one task: what the scheduler hands a runner, what it gets back, and the real runner.

The scheduler owns queueing, leases, persistence and status; a runner only runs the agent on the
leased phone. `agent_runner` is the real one (the multi-agent `Agent` on an ADB device); tests
and embedders may pass another coroutine with the same signature to `create_app`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mobile_agent.bus import Bus
from mobile_agent.human import HumanChannel
from mobile_agent.output import OutputSpec

from .store import TaskRecord


@dataclass
class TaskContext:
    """Everything a runner needs for one task on one leased device."""

    task: TaskRecord
    serial: str
    bus: Bus
    out_dir: Path
    human: HumanChannel
    cancel: asyncio.Event
    max_steps: int
    max_seconds: float
    human_timeout_s: float = 600.0
    adb_server: tuple[str, int] | None = None  # (host, port); None: found from the environment
    cache_dir: Path | None = None  # the server's plan cache (MOBILE_AGENT_CACHE_DIR), if any

    def plan_cache(self) -> Path | None:
        """The cache this task uses: none when the task opted out or wants a structured answer
        (a replay gives the recorded answer text, not a validated value)."""
        if self.task.use_cache is False or self.task.output_schema is not None:
            return None
        return self.cache_dir


@dataclass
class TaskOutcome:
    """How a task ended (the fields of `mobile_agent.agent.RunResult` the API keeps)."""

    status: str
    reason: str | None = None
    answer: str | None = None
    steps: int = 0
    run_dir: Path | None = None
    timings: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    claimed_success: bool | None = None
    error: str | None = None  # a short kind: device_disconnected, model_unavailable, human_timeout...
    output: Any = None  # the validated structured answer, as JSON data
    extra: dict[str, Any] = field(default_factory=dict)


TaskRunner = Callable[[TaskContext], Awaitable[Any]]


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        return _jsonable(value.model_dump())
    if hasattr(value, "__dataclass_fields__"):
        return _jsonable({k: getattr(value, k) for k in value.__dataclass_fields__})
    if isinstance(value, Path):
        return str(value)
    return repr(value)


def to_outcome(result: Any) -> TaskOutcome:
    """Accept a TaskOutcome or anything shaped like RunResult."""
    if isinstance(result, TaskOutcome):
        return result
    status = str(getattr(result, "status", "failed"))
    usage = getattr(result, "usage", None)
    if usage is not None and not isinstance(usage, dict):
        usage = _jsonable(usage)
        if not isinstance(usage, dict):
            usage = {"value": usage}
    timings = getattr(result, "timings", None)
    run_dir = getattr(result, "run_dir", None)
    return TaskOutcome(
        status=status,
        reason=getattr(result, "reason", None),
        answer=getattr(result, "answer", None),
        steps=int(getattr(result, "steps", 0) or 0),
        run_dir=Path(run_dir) if run_dir else None,
        timings=_jsonable(timings) if timings is not None else None,
        usage=usage,
        claimed_success=getattr(result, "claimed_success", None),
        error=getattr(result, "error", None),
        output=_jsonable(OutputSpec.to_json(getattr(result, "output", None))),
    )


async def agent_runner(ctx: TaskContext) -> Any:
    """The real runner: the multi-agent `Agent` on the leased device, through the API's adb server."""
    from mobile_agent.agent import Agent
    from mobile_agent.config import load_config

    config = load_config(
        mode=ctx.task.mode,
        model=ctx.task.model,
        # the API's channel times out first and says so; this is the runner's backstop
        human_timeout_s=ctx.human_timeout_s + 5,
    )
    from mobile_agent.device.adb import AdbDevice

    host, port = ctx.adb_server or (None, None)
    # Not opened here: the Agent opens it inside the run, so a device error is a recorded failure.
    device = AdbDevice(ctx.serial, adb_host=host, adb_port=port)
    agent = Agent(device, config=config, human=ctx.human)
    try:
        return await agent.run(
            ctx.task.instruction,
            bus=ctx.bus,
            out_dir=ctx.out_dir,
            max_steps=ctx.max_steps,
            max_seconds=ctx.max_seconds,
            cancel=ctx.cancel,
            check_setup=False,  # a task's set-up failure is recorded as its result (device health)
            output=ctx.task.output_schema,
            cache=ctx.plan_cache(),
        )
    finally:
        await device.close()
