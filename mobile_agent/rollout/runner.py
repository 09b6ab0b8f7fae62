"""`run_rollout`: k samples of each task instance on virtual phones, in a pool of processes here
or on the actors of a Ray cluster (`--cluster`, `mobile_agent.rollout.cluster`).

Each worker (`mobile_agent.rollout.worker`) owns one virtual phone and one recording model
server, and takes jobs (task, instance seed, sample id) one at a time; before every sample the
phone goes back to its baseline snapshot. A sample's folder is complete once its
`sample.json` exists, so a rollout killed at any moment resumes (same command, same folder)
by running only the samples without one; a folder made by another configuration is refused.
When every sample is done, the dataset is exported (`mobile_agent.rollout.dataset`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import multiprocessing as mp
import re
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mobile_agent.bench.tasks import ALL_TASKS
from mobile_agent.redact import redact
from mobile_agent.rollout.progress import Progress
from mobile_agent.rollout.sample import SAMPLE_FILE, Job, SampleSettings, sample_dir

__all__ = ["CONFIG_FILE", "RolloutConfigError", "RolloutOptions", "pending_jobs", "run_rollout", "select"]

CONFIG_FILE = "rollout.json"


class RolloutConfigError(ValueError):
    """The output folder holds a rollout of another configuration, or the options are unusable."""


@dataclass
class RolloutOptions:
    out_dir: str
    tasks: str = ".*"  # a regular expression searched in task names
    seeds: int = 1  # instances per task template (parameter seeds 0..seeds-1)
    k: int = 8  # samples per instance
    policy: str = "oracle"  # "oracle" or "model" (with base_url and model)
    error_rate: float = 0.0
    base_url: str | None = None
    model: str | None = None
    temperature: float | None = None
    mode: str = "single"
    frame: str = "resized"
    seed: int = 0
    parallel: int | None = None  # phones at once: 1 on this machine, every free CPU of a --cluster
    task_timeout_s: float | None = None
    cluster: str | None = None  # a Ray address: the samples run on the cluster's nodes

    def fingerprint(self) -> dict[str, Any]:
        """What makes two rollouts the same dataset (where and how fast it runs does not)."""
        d = asdict(self)
        for key in ("out_dir", "parallel", "task_timeout_s", "cluster"):
            d.pop(key)
        if d.get("base_url"):  # written to rollout.json, the summary and the dataset card
            d["base_url"] = redact(d["base_url"])
        return d


def select(pattern: str) -> list[str]:
    """Task template names matching the regular expression (searched, not anchored)."""
    try:
        rx = re.compile(pattern or ".*")
    except re.error as exc:
        raise RolloutConfigError(f"--tasks is not a valid regular expression: {exc}") from None
    return [cls.name for cls in ALL_TASKS if rx.search(cls.name)]


def _check_folder(opts: RolloutOptions) -> None:
    out = Path(opts.out_dir)
    path = out / CONFIG_FILE
    want = opts.fingerprint()
    if out.exists() and not out.is_dir():
        raise RolloutConfigError(f"{out} exists and is not a folder; choose another --out")
    if path.is_file():
        try:
            have = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RolloutConfigError(f"{path} is unreadable ({exc}); choose another --out") from None
        if not isinstance(have, dict):
            raise RolloutConfigError(f"{path} is not a rollout configuration; choose another --out")
        diff = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
        if diff:
            shown = redact(", ".join(f"{k}: {have.get(k)!r} there, {want.get(k)!r} now" for k in diff))
            raise RolloutConfigError(
                f"{out} holds a rollout of another configuration ({shown}); choose another --out"
            )
        return
    if out.exists() and any(out.iterdir()):
        raise RolloutConfigError(
            f"{out} exists and is not a rollout folder (no {CONFIG_FILE}); choose another --out"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")  # a kill mid-write leaves no half configuration
        tmp.write_text(json.dumps(want, indent=2), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise RolloutConfigError(f"cannot write the rollout folder {out}: {exc}") from None


def pending_jobs(opts: RolloutOptions) -> tuple[list[Job], int]:
    """(jobs still to run, total jobs); a sample folder with its sample.json is done."""
    jobs = [Job(name, s, i) for name in select(opts.tasks) for s in range(opts.seeds) for i in range(opts.k)]
    todo = [j for j in jobs if not (sample_dir(opts.out_dir, j) / SAMPLE_FILE).is_file()]
    return todo, len(jobs)


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the rollout process dies (no orphan keeps writing)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _worker(settings: SampleSettings, base_url: str | None, jobs: Any, results: Any) -> None:
    _die_with_parent()
    asyncio.run(_worker_async(settings, base_url, jobs, results))


async def _worker_async(settings: SampleSettings, base_url: str | None, jobs: Any, results: Any) -> None:
    from mobile_agent.rollout.worker import SampleWorker

    worker = await SampleWorker(settings, base_url).start()
    try:
        while True:
            job = await asyncio.to_thread(jobs.get)
            if job is None:
                return
            try:
                rec = await worker.run(job)
                results.put({"job": job, "status": rec["status"], "steps": rec.get("steps", 0)})
            except Exception as exc:  # reported, and the sample stays pending for a resume
                results.put(
                    {"job": job, "status": "crashed", "steps": 0, "reason": f"{type(exc).__name__}: {exc}"}
                )
    finally:
        worker.stop()


def _run_pool(
    settings: SampleSettings, base_url: str | None, todo: list[Job], parallel: int, progress: Progress
) -> None:
    """The pending samples on `parallel` worker processes of this machine, one phone each."""
    ctx = mp.get_context("spawn")
    jobs, results = ctx.Queue(), ctx.Queue()
    workers = min(parallel, len(todo))
    for job in todo:
        jobs.put(job)
    for _ in range(workers):
        jobs.put(None)
    procs = [
        ctx.Process(target=_worker, args=(settings, base_url, jobs, results), daemon=True)
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    try:
        while progress.done < len(todo):
            try:
                msg = results.get(timeout=5.0)
            except Exception:
                if not any(p.is_alive() for p in procs):
                    raise RuntimeError("every rollout worker exited early; see the messages above") from None
                continue
            progress.report(msg["job"], msg["status"], int(msg.get("steps") or 0), msg.get("reason") or "")
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()


def run_rollout(
    opts: RolloutOptions, echo: Callable[[str], None] | None = None, pass_k: int | None = None
) -> dict[str, Any]:
    """Run (or resume) the rollout, then export the dataset; returns the export summary."""
    from mobile_agent.rollout.dataset import export

    echo = echo or (lambda line: print(line, flush=True))
    if opts.k < 1 or opts.seeds < 1 or (opts.parallel is not None and opts.parallel < 1):
        raise RolloutConfigError("--k, --seeds and --parallel must be at least 1")
    if not 0.0 <= opts.error_rate <= 1.0:
        raise RolloutConfigError(f"--error-rate must be in [0, 1], got {opts.error_rate}")
    # checked here, not per sample: a bad value would fail every sample after the folder is made
    if opts.temperature is not None and not 0.0 <= opts.temperature <= 2.0:
        raise RolloutConfigError(f"--temperature must be in [0, 2], got {opts.temperature}")
    if opts.task_timeout_s is not None and not 0.0 < opts.task_timeout_s < float("inf"):
        raise RolloutConfigError(
            f"--task-timeout must be a positive number of seconds, got {opts.task_timeout_s}"
        )
    if opts.policy == "model" and not (opts.base_url and opts.model):
        raise RolloutConfigError("a model policy needs --base-url and --model")
    if not select(opts.tasks):
        raise RolloutConfigError(f"no task matches {opts.tasks!r}")
    _check_folder(opts)
    todo, total = pending_jobs(opts)
    settings = SampleSettings(
        out_dir=opts.out_dir,
        policy=opts.policy,
        error_rate=opts.error_rate,
        seed=opts.seed,
        mode=opts.mode,
        frame=opts.frame,
        temperature=opts.temperature,
        model=opts.model or "oracle",
        task_timeout_s=opts.task_timeout_s,
    )
    started = time.monotonic()
    progress = Progress(total, len(todo), echo)
    by_node: dict[str, int] = {}
    if todo and opts.cluster:
        from mobile_agent.rollout.cluster import run_on_cluster

        by_node = run_on_cluster(opts.cluster, settings, opts.base_url, todo, opts.parallel, progress)
    else:
        parallel = opts.parallel or 1
        echo(
            f"rollout: {total} samples ({total - len(todo)} already done), {min(parallel, max(1, len(todo)))} phones"
        )
        if todo:
            _run_pool(settings, opts.base_url, todo, parallel, progress)
    crashed = progress.crashed
    if crashed:
        echo(f"{crashed} samples crashed and stay pending; run the same command again to retry them")
    summary = export(opts.out_dir, pass_k=pass_k)
    summary["wall_seconds_this_session"] = round(time.monotonic() - started, 2)
    if by_node:
        summary["samples_by_node"] = by_node
    return summary


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `mobile-agent rollout`")
