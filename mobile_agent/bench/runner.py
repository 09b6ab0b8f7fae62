"""`run_bench`: every task instance n times on P virtual phones, verified from device state.

Each run: restore the phone to its baseline snapshot, `initialize` the task over adb (rejecting
an instance whose initial state already passes), run the real agent (the oracle or a real model
over the OpenAI HTTP API, the phone over ADB), then read success back from the phone. A record
is appended to `results.jsonl` (flushed and fsynced) the moment a run ends, so an interrupted
benchmark resumes with `resume=True` without losing or repeating a finished run.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Task, TaskSetupError
from mobile_agent.bench.progress import EventPrinter, ProgressPrinter
from mobile_agent.bench.report import summarize, write_html, write_json
from mobile_agent.bench.tasks import ALL_TASKS
from mobile_agent.redact import redact
from mobile_agent.trajectory import mark_verified

if TYPE_CHECKING:
    from mobile_agent.bench.oracle import Oracle

__all__ = [
    "RESULTS",
    "BenchOptions",
    "Frame",
    "Mode",
    "PhoneState",
    "Progress",
    "RecordWriter",
    "load_records",
    "run_bench",
    "run_one",
    "select_tasks",
]

RESULTS = "results.jsonl"
Mode = Literal["multi", "single"]  # AgentConfig.mode
Frame = Literal["resized", "norm1000"]  # AgentConfig.frame
Progress = ProgressPrinter  # called with each run's record the moment it is written


class PhoneState(Protocol):
    """What the runner needs of a virtual phone: a snapshot to put it back to before every run."""

    def snapshot(self) -> dict[str, Any]: ...

    def restore(self, snap: dict[str, Any]) -> None: ...


@dataclass
class BenchOptions:
    tasks: str = "*"
    seeds: int = 1
    n: int = 1
    k: int = 1
    base_url: str | None = None
    model: str | None = None
    mode: Mode = "multi"
    parallel: int = 1
    out_dir: Path = Path("bench-out")
    error_rate: float = 0.0
    resume: bool = False
    frame: Frame = "resized"
    seed: int = 0  # the virtual phones' seed and the oracle's error seed
    task_timeout_s: float | None = None
    agent_options: dict[str, Any] = field(default_factory=dict)  # extra AgentConfig settings
    keep_runs: bool = True
    cache: Path | None = None  # the plan cache folder (`mobile-agent run --cache`), or None
    extra: dict[str, Any] = field(default_factory=dict)


def select_tasks(pattern: str) -> list[type[Task]]:
    """Templates matching `pattern`: comma-separated exact names, globs, or else substrings."""
    pats = [p.strip() for p in (pattern or "*").split(",") if p.strip()] or ["*"]
    names = {cls.name for cls in ALL_TASKS}
    out: list[type[Task]] = []
    for cls in ALL_TASKS:
        for p in pats:
            if any(c in p for c in "*?["):
                hit = fnmatch.fnmatchcase(cls.name, p)
            else:
                hit = cls.name == p if p in names else p in cls.name
            if hit:
                out.append(cls)
                break
    return out


def load_records(path: Path) -> list[dict[str, Any]]:
    """Finished records; a line cut short by a kill is ignored."""
    if not path.is_file():
        return []
    out: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and "instance" in rec:
            out.append(rec)
    return out


class RecordWriter:
    """Append-only JSONL; each record is flushed and fsynced before the next run starts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()

    async def append(self, record: dict[str, Any]) -> None:
        async with self._lock:
            line = json.dumps(record, ensure_ascii=False) + "\n"
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())


def _usage_numbers(result: Any) -> tuple[int, int]:
    """(model calls, tokens) from a RunResult's `usage`, whatever its exact shape."""
    usage = getattr(result, "usage", None)
    if usage is None:
        return 0, 0
    if not isinstance(usage, dict):
        usage = {
            k: getattr(usage, k)
            for k in dir(usage)
            if not k.startswith("_") and not callable(getattr(usage, k))
        }
    calls = usage.get("calls", usage.get("model_calls", 0)) or 0
    tokens = usage.get("total_tokens")
    if tokens is None:
        tokens = (usage.get("prompt_tokens") or 0) + (usage.get("completion_tokens") or 0)
    if isinstance(calls, dict):
        calls = sum(calls.values())
    return int(calls), int(tokens or 0)


async def run_one(
    task: Task,
    attempt: int,
    serial: str,
    phone: PhoneState | None,
    baseline: dict[str, Any] | None,
    opts: BenchOptions,
    oracle: Oracle | None,
    base_url: str,
    on_event: EventPrinter | None = None,
) -> dict[str, Any]:
    """One run of one task instance on one phone; returns its record."""
    from mobile_agent.agent import Agent
    from mobile_agent.config import AgentConfig

    adb = AdbShell(serial)
    rec: dict[str, Any] = task.describe() | {"attempt": attempt, "mode": opts.mode, "serial": serial}
    if phone is not None and baseline is not None:
        await asyncio.to_thread(phone.restore, baseline)  # the phone takes its own lock
    try:
        await task.initialize(adb)
    except TaskSetupError as exc:
        return rec | {"status": "void", "reason": str(exc), "verified": 0.0}
    token = oracle.register(task, serial, adb) if oracle is not None else None
    model = token or opts.model or "gui-owl-7b"
    run_root = opts.out_dir / "runs" / f"{task.instance_id.replace('#', '-')}-a{attempt}"
    config = AgentConfig(
        base_url=base_url,
        model=model,
        mode=opts.mode,
        frame=opts.frame,
        policy="allow",
        runs_dir=run_root,
        max_steps=task.max_steps,
        **opts.agent_options,
    )
    started = time.monotonic()
    status, reason, answer, steps, claimed, run_dir = "error", "", None, 0, False, None
    calls = tokens = 0
    try:
        agent = Agent(serial, config=config)
        if on_event is not None:
            agent.subscribe(lambda ev: on_event(task.instance_id, ev))
        per_step = 15.0 if oracle is not None else 60.0
        timeout = opts.task_timeout_s or max(60.0, per_step * task.max_steps)
        result = await agent.run(
            task.goal, out_dir=run_root, max_steps=task.max_steps, max_seconds=timeout, cache=opts.cache
        )
        status, reason, answer = str(result.status), str(result.reason or ""), result.answer
        steps, claimed = int(result.steps), bool(result.claimed_success)
        run_dir = str(result.run_dir) if result.run_dir else None
        calls, tokens = _usage_numbers(result)
    except Exception as exc:  # a crash of the framework is a failed run, recorded with its reason
        status, reason = "error", f"{type(exc).__name__}: {exc}"
    seconds = time.monotonic() - started
    try:
        verified = float(await task.is_successful(adb, answer=answer))
    except Exception as exc:
        verified, reason = 0.0, f"{reason}; verifier error: {type(exc).__name__}: {exc}"
    if run_dir is not None:
        with contextlib.suppress(OSError, ValueError):
            mark_verified(run_dir, verified, f"read from the device state by {task.name}")
    injected = 0
    if oracle is not None and token is not None:
        sess = oracle.unregister(token)
        injected = sess.injected if sess is not None else 0
    with contextlib.suppress(Exception):
        await task.tear_down(adb)
    return rec | {
        "status": status,
        "reason": reason,
        "answer": answer,
        "verified": verified,
        "claimed_success": claimed,
        "steps": steps,
        "seconds": round(seconds, 3),
        "model_calls": calls,
        "tokens": tokens,
        "run_dir": run_dir,
        "injected_errors": injected,
    }


async def run_bench(
    tasks_pattern: str = "*",
    seeds: int = 1,
    n: int = 1,
    k: int = 1,
    base_url: str | None = None,
    mode: Mode = "multi",
    parallel: int = 1,
    out_dir: str | Path = "bench-out",
    error_rate: float = 0.0,
    resume: bool = False,
    *,
    model: str | None = None,
    frame: Frame = "resized",
    seed: int = 0,
    task_timeout_s: float | None = None,
    agent_options: dict[str, Any] | None = None,
    progress: Progress | None = None,
    on_event: EventPrinter | None = None,
    cache: str | Path | None = None,
) -> dict[str, Any]:
    """Run the benchmark; returns the summary (also written to OUT/results.json and report.html)."""
    from mobile_agent.bench.oracle import OracleServer
    from mobile_agent.sim import SimServer, connect_adb, default_phone_factory

    if k > n:
        raise ValueError(f"pass@{k} needs n >= k attempts per instance (got n={n})")
    opts = BenchOptions(
        tasks=tasks_pattern,
        seeds=seeds,
        n=n,
        k=k,
        base_url=base_url,
        model=model,
        mode=mode,
        parallel=parallel,
        out_dir=Path(out_dir),
        error_rate=error_rate,
        resume=resume,
        frame=frame,
        seed=seed,
        task_timeout_s=task_timeout_s,
        agent_options=dict(agent_options or {}),
        cache=Path(cache) if cache is not None else None,
    )
    templates = select_tasks(tasks_pattern)
    if not templates:
        raise ValueError(f"no task matches {tasks_pattern!r}")
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    path = opts.out_dir / RESULTS
    if path.exists() and not resume:
        path.replace(path.with_suffix(".jsonl.prev"))
    done = {(r["instance"], int(r.get("attempt", 0))) for r in load_records(path)} if resume else set()
    jobs: asyncio.Queue[tuple[Task, int]] = asyncio.Queue()
    total = 0
    for cls in templates:
        for s in range(seeds):
            for attempt in range(n):
                inst = cls.from_seed(s)
                if (inst.instance_id, attempt) in done:
                    continue
                jobs.put_nowait((inst, attempt))
                total += 1
    writer = RecordWriter(path)
    started = time.monotonic()
    oracle_server: OracleServer | None = None
    if base_url is None:
        oracle_server = OracleServer(frame=frame, error_rate=error_rate, seed=seed).start()
        url = oracle_server.base_url
    else:
        url = base_url
    oracle = oracle_server.oracle if oracle_server is not None else None
    # every phone gets the same seed, so an instance means the same thing on whichever phone runs it
    sim = SimServer(
        count=max(1, min(parallel, total or 1)),
        port=0,
        seed=seed,
        phone_factory=lambda _i_seed, **kw: default_phone_factory(seed, **kw),
    ).start()
    serials: list[str] = list(sim.serials)
    try:
        for serial in serials:
            await asyncio.to_thread(connect_adb, serial)
        phones: list[PhoneState] = list(sim.phones)
        baselines = [await asyncio.to_thread(p.snapshot) for p in phones]  # the phone takes its own lock

        async def worker(i: int) -> None:
            while True:
                try:
                    task, attempt = jobs.get_nowait()
                except asyncio.QueueEmpty:
                    return
                rec = await run_one(
                    task, attempt, serials[i], phones[i], baselines[i], opts, oracle, url, on_event
                )
                await writer.append(rec)
                if progress is not None:
                    progress(rec)

        await asyncio.gather(*(worker(i) for i in range(len(serials))))
    finally:
        for serial in serials:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(_disconnect, serial)
        sim.stop()
        if oracle_server is not None:
            oracle_server.stop()
    wall = time.monotonic() - started
    meta = {
        "tasks": tasks_pattern,
        "templates": len(templates),
        "seeds": seeds,
        "n": n,
        "mode": mode,
        "parallel": parallel,
        "error_rate": error_rate,
        "oracle": base_url is None,
        "frame": frame,
        "base_url": redact(base_url) if base_url else "in-process oracle",  # results are shared
        "model": model or ("oracle" if base_url is None else ""),
        "wall_seconds": round(wall, 2),
        "runs_this_session": total,
        "resumed": resume,
        "agent_options": dict(agent_options or {}),
    }
    summary = summarize(load_records(path), k, meta)
    write_json(summary, opts.out_dir / "results.json")
    write_html(summary, opts.out_dir / "report.html")
    return summary


def _disconnect(serial: str) -> None:
    import adbutils

    from mobile_agent.device.adb_host import adb_server_address

    host, port = adb_server_address()
    adbutils.AdbClient(host=host, port=port).disconnect(serial)
