"""One sample of one task instance on one virtual phone, written to its own folder.

The folder `samples/<task>-<seed>-s<sample>/` holds the images the model was sent, the agent's
run directory, and `sample.json`, written last (temp file + rename): a folder without it is an
unfinished sample that a resumed rollout deletes and runs again, so nothing is counted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Task, TaskSetupError
from mobile_agent.bench.oracle import Oracle
from mobile_agent.eventlog import read_events
from mobile_agent.rollout.recorder import ACTION_ROLES, Recorder, SampleSession

__all__ = ["SAMPLE_FILE", "Job", "SampleSettings", "run_sample", "sample_dir"]

SAMPLE_FILE = "sample.json"


@dataclass(frozen=True)
class Job:
    task: str
    seed: int  # the instance's parameter seed
    sample_id: int


@dataclass(frozen=True)
class SampleSettings:
    """What every sample of a rollout shares (picklable: it crosses into worker processes)."""

    out_dir: str
    policy: str  # "oracle" | "model"
    error_rate: float
    seed: int
    mode: str
    frame: str
    temperature: float | None
    model: str
    task_timeout_s: float | None = None


def sample_dir(out: str | Path, job: Job) -> Path:
    return Path(out) / "samples" / f"{job.task}-{job.seed}-s{job.sample_id}"


def _atomic_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def _action_steps(run_dir: Path | None) -> list[int]:
    """The agent's step number of each answered action call, in order (from events.jsonl)."""
    if run_dir is None:
        return []
    return [
        int(e.get("step") or 0)
        for e in read_events(run_dir)
        if e.get("type") == "model.call" and (e.get("data") or {}).get("role", e.get("role")) in ACTION_ROLES
    ]


def _infra_error(kind: str | None) -> bool:
    """An ending caused by the model server, the device or the framework (not the policy)."""
    return bool(kind) and (kind.startswith(("model_", "device_")) or kind == "internal")  # type: ignore[union-attr]


def _status(agent_error: str | None, upstream_errors: int, verified: float | None) -> str:
    if verified is None:
        return "excluded"  # the verifier itself failed (the oracle's labels use it too): never scored
    if upstream_errors or _infra_error(agent_error):
        return "error"  # the model server or the framework failed: not the policy's failure
    return "success" if verified >= 1.0 else "failure"


async def run_sample(
    task: Task,
    job: Job,
    serial: str,
    recorder: Recorder,
    settings: SampleSettings,
    restore: Any,
) -> dict[str, Any]:
    """Roll out one sample and write its folder; returns the record (also in sample.json)."""
    from mobile_agent.agent import Agent
    from mobile_agent.config import AgentConfig

    folder = sample_dir(settings.out_dir, job)
    if folder.exists():
        shutil.rmtree(folder)  # an unfinished sample from a killed run
    (folder / "images").mkdir(parents=True)
    adb = AdbShell(serial)
    started = time.perf_counter()
    await asyncio.to_thread(restore)
    rec: dict[str, Any] = {
        "task": task.name,
        "instance_id": task.instance_id,
        "seed": job.seed,
        "sample_id": job.sample_id,
        "goal": task.goal,
        "params": task.params,
        "max_steps": task.max_steps,
    }
    try:
        await task.initialize(adb)
    except TaskSetupError as exc:
        rec |= {"status": "void", "reason": str(exc), "verified": None, "calls": []}
        _atomic_json(folder / SAMPLE_FILE, rec)
        return rec
    except Exception as exc:  # setup checks the verifier (an already-passing state is void)
        why = f"{type(exc).__name__}: {exc}"
        rec |= {"status": "excluded", "reason": f"setup or verifier error: {why}", "verifier_error": why}
        rec |= {"verified": None, "calls": []}
        _atomic_json(folder / SAMPLE_FILE, rec)
        return rec
    token = f"rollout/{task.instance_id}/s{job.sample_id}"
    oracle = None
    if settings.policy == "oracle":
        # one oracle per sample, seeded by the sample: its injected errors do not depend on the
        # order in which samples ran, so a resumed rollout replays exactly the same samples
        oracle = Oracle(
            frame=settings.frame, error_rate=settings.error_rate, seed=settings.seed * 100_003 + job.sample_id
        )
    sess = SampleSession(token, task, adb, oracle)
    if oracle is not None:
        sess.oracle_token = oracle.register(task, serial, adb)
    recorder.open(sess)
    run_root = folder / "run"
    config = AgentConfig(
        base_url=recorder.base_url,
        model=token,
        mode=settings.mode,  # type: ignore[arg-type]
        frame=settings.frame,  # type: ignore[arg-type]
        policy="allow",
        runs_dir=run_root,
        max_steps=task.max_steps,
        temperature=settings.temperature,
        retries=1,
    )
    agent_status, reason, answer, steps, claimed, run_dir, agent_error = (
        "failed",
        "",
        None,
        0,
        False,
        None,
        None,
    )
    timings: dict[str, Any] = {}
    try:
        agent = Agent(serial, config=config)
        per_step = 15.0 if oracle is not None else 60.0
        timeout = settings.task_timeout_s or max(60.0, per_step * task.max_steps)
        result = await agent.run(task.goal, out_dir=run_root, max_steps=task.max_steps, max_seconds=timeout)
        agent_status, reason, answer = str(result.status), str(result.reason or ""), result.answer
        steps, claimed = int(result.steps), bool(result.claimed_success)
        agent_error = result.error
        run_dir = Path(result.run_dir) if result.run_dir else None
        timings = dict(getattr(result, "timings", None) or {})
    except Exception as exc:  # a crash of the framework: an error sample, with its reason
        agent_error, reason = "internal", f"{type(exc).__name__}: {exc}"
    finally:
        recorder.close(token)
    injected = 0
    if oracle is not None:
        osess = oracle.unregister(sess.oracle_token)
        injected = osess.injected if osess is not None else 0
    verified: float | None
    verifier_error = ""
    try:
        verified = float(await task.is_successful(adb, answer=answer))
    except Exception as exc:
        verified, verifier_error = None, f"{type(exc).__name__}: {exc}"
    with contextlib.suppress(Exception):
        await task.tear_down(adb)
    t_write = time.perf_counter()
    step_of = iter(_action_steps(run_dir))
    calls = []
    for call in sess.calls:
        names = []
        for i, data in enumerate(call.images):
            name = f"images/{call.index:03d}-{i}.png"
            (folder / name).write_bytes(data)
            names.append(name)
        d = call.as_dict() | {"images": names, "step": None}
        if call.role in ACTION_ROLES and not call.error:
            d["step"] = next(step_of, None)
        calls.append(d)
    rec |= {
        "status": _status(agent_error, sess.upstream_errors, verified),
        "verified": verified,
        "verifier_error": verifier_error,
        "agent_status": agent_status,
        "agent_error": agent_error,
        "reason": reason,
        "answer": answer,
        "claimed_success": claimed,
        "steps": steps,
        "injected_errors": injected,
        "upstream_errors": sess.upstream_errors,
        "calls": calls,
        "timings": {
            "wall_s": round(time.perf_counter() - started, 4),
            "model_s": round(sum(c.model_s for c in sess.calls), 4),
            "label_s": round(sum(c.label_s for c in sess.calls), 4),
            "device_s": timings.get("device_s", 0.0),
            "settle_s": timings.get("settle_s", 0.0),
        },
    }
    rec["timings"]["write_s"] = round(time.perf_counter() - t_write, 4)
    _atomic_json(folder / SAMPLE_FILE, rec)
    return rec
