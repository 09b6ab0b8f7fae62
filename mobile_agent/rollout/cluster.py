"""`mobile-agent rollout --cluster ADDRESS`: the samples run on the actors of a Ray cluster.

Each actor (one CPU, spread over the cluster's nodes) is a `SampleWorker`: a virtual phone and a
recording model server of its own, on its node. It rolls a sample out into a scratch folder and
hands the folder's files back; this process (the driver) writes them under `--out`, `sample.json`
last, exactly as the local pool does. So the output folder lives on this machine only (no shared
filesystem), a resumed rollout sees the same finished samples whichever way they ran, and a
cluster rollout and a local one of the same configuration give the same rows.

A node that dies takes its actor and its sample with it: that sample goes back to the queue for
another actor (up to `MAX_ATTEMPTS` times), and the rollout goes on with the actors left. The
actors belong to this driver: when it ends, even by kill -9, Ray ends them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from collections import Counter, deque
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mobile_agent.hosts import is_loopback, pid_alive
from mobile_agent.redact import redact
from mobile_agent.rollout.progress import Progress
from mobile_agent.rollout.sample import SAMPLE_FILE, Job, SampleSettings, sample_dir

__all__ = ["MAX_ATTEMPTS", "ClusterError", "run_on_cluster"]

MAX_ATTEMPTS = 3  # a sample whose worker died this many times stays pending (a resume retries it)
START_TIMEOUT_S = 180.0


class ClusterError(RuntimeError):
    """The cluster cannot run the rollout (unreachable, no fleet extra, no free CPU, no worker)."""


class _ClusterLost(Exception):
    """This driver lost the cluster itself (its head, or the raylet it talks to, is gone)."""


def _lost_types() -> tuple[type[BaseException], ...]:
    from ray.exceptions import RaySystemError

    # a dead head or local raylet surfaces as OSError ("Broken pipe") from ray.wait/ray.get
    return (OSError, RaySystemError)


SCRATCH_PREFIX = "mobile-agent-rollout-"


def _sweep_scratch() -> None:
    """Remove the scratch folders of actors that are gone (Ray kills an actor, with its driver or
    its node, before it can clean up): each folder is named after its actor's process id."""
    for path in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        pid = path.name[len(SCRATCH_PREFIX) :].partition("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


class _RolloutActor:
    """A `SampleWorker` on a node of the cluster, shipping each finished sample folder back."""

    def __init__(self, settings: SampleSettings, base_url: str | None) -> None:
        from mobile_agent.rollout.worker import SampleWorker

        _sweep_scratch()
        self._scratch = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
        self._worker = SampleWorker(replace(settings, out_dir=self._scratch), base_url)

    async def start(self) -> dict[str, str]:
        import ray

        from mobile_agent import __version__

        node = ray.get_runtime_context().get_node_id()
        info = {"node": node, "where": f"{socket.gethostname()}/{node[:6]}", "version": __version__}
        try:
            await self._worker.start()
        except Exception as exc:  # said with the node's name: the driver cannot tell which node failed
            shutil.rmtree(self._scratch, ignore_errors=True)
            return {**info, "error": f"{type(exc).__name__}: {exc}"}
        return info

    async def run(self, job: Job) -> dict[str, Any]:
        rec = await self._worker.run(job)
        folder = sample_dir(self._scratch, job)
        files = [
            (p.relative_to(folder).as_posix(), p.read_bytes())
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        ]
        shutil.rmtree(folder, ignore_errors=True)
        return {"status": rec["status"], "steps": int(rec.get("steps") or 0), "files": files}

    def stop(self) -> None:
        self._worker.stop()
        shutil.rmtree(self._scratch, ignore_errors=True)


def write_sample(out_dir: str | Path, job: Job, files: list[tuple[str, bytes]]) -> None:
    """A sample folder from an actor's files, `sample.json` last (a folder without it is unfinished)."""
    folder = sample_dir(out_dir, job)
    if folder.exists():
        shutil.rmtree(folder)  # an unfinished sample of a killed run, or of a dead actor
    folder.mkdir(parents=True)
    root = folder.resolve()
    record: bytes | None = None
    for rel, data in files:
        path = (folder / rel).resolve()
        if root not in path.parents:
            raise ValueError(f"a sample file outside its folder: {rel!r}")
        if rel == SAMPLE_FILE:
            record = data
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if record is None:
        raise ValueError(f"the worker sent no {SAMPLE_FILE}")
    tmp = folder / (SAMPLE_FILE + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(record)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(folder / SAMPLE_FILE)


def _connect_timeout() -> float:
    """How long to wait for the head to answer (MOBILE_AGENT_CLUSTER_TIMEOUT_S, default 30 s)."""
    try:
        value = float(os.environ.get("MOBILE_AGENT_CLUSTER_TIMEOUT_S") or 30.0)
    except ValueError:
        raise ClusterError("MOBILE_AGENT_CLUSTER_TIMEOUT_S must be a number of seconds") from None
    if not 0 < value < float("inf"):
        raise ClusterError("MOBILE_AGENT_CLUSTER_TIMEOUT_S must be a positive number of seconds")
    return value


def _connect(address: str) -> Any:
    try:
        import ray  # noqa: F401
    except ImportError:
        raise ClusterError("--cluster needs the fleet extra: pip install 'mobile-agent[fleet]'") from None
    from mobile_agent.fleet.raynode import connect

    try:
        return connect(address, timeout=_connect_timeout())
    except ConnectionError as exc:
        raise ClusterError(f"{exc} (is the head started, `ray start --head`?)") from None


def _start_actors(
    ray: Any, settings: SampleSettings, base_url: str | None, n: int, progress: Progress
) -> dict[Any, str]:
    """`n` started actors -> where each runs; those that fail or do not start in time are dropped."""
    from mobile_agent import __version__

    cls = ray.remote(_RolloutActor)
    actors = [
        cls.options(num_cpus=1, max_restarts=0, scheduling_strategy="SPREAD").remote(settings, base_url)
        for _ in range(n)
    ]
    refs = {a.start.remote(): a for a in actors}
    try:
        ready, late = ray.wait(list(refs), num_returns=len(refs), timeout=START_TIMEOUT_S)
    except _lost_types() as exc:
        raise _ClusterLost(f"{type(exc).__name__}: {exc}") from None
    started: dict[Any, str] = {}
    problems: list[str] = []
    uncreated = False  # an actor that could not even be made: mobile-agent missing on its node
    for ref in ready:
        actor = refs[ref]
        try:
            info = ray.get(ref)
        except Exception as exc:
            uncreated = True
            problems.append(
                f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
            )
            ray.kill(actor)
            continue
        if info.get("version") != __version__:
            problems.append(
                f"{info['where']} runs mobile-agent {info.get('version')}, this machine {__version__}"
            )
            ray.kill(actor)
            continue
        if info.get("error"):
            problems.append(f"the phone on {info['where']} did not start: {info['error']}")
            ray.kill(actor)
            continue
        started[actor] = str(info["where"])
    for ref in late:
        problems.append(f"a worker did not start within {START_TIMEOUT_S:g} s")
        ray.kill(refs[ref])
    for problem in dict.fromkeys(problems):
        progress.echo(f"rollout: a worker was not used: {problem}")
    if not started:
        raise ClusterError(
            "no rollout worker started on the cluster"
            + (f" ({problems[0]})" if problems else "")
            + ("; every node needs mobile-agent installed, with its fleet extra" if uncreated else "")
        )
    return started


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _free_cpus(ray: Any) -> int:
    return int(ray.available_resources().get("CPU", 0))


def run_on_cluster(
    address: str,
    settings: SampleSettings,
    base_url: str | None,
    todo: list[Job],
    parallel: int | None,
    progress: Progress,
) -> dict[str, int]:
    """Run the pending samples on the cluster at `address`; returns samples finished per node."""
    progress.echo(f"rollout: connecting to the Ray cluster at {address}")
    ray = _connect(address)
    try:
        free = _free_cpus(ray)
        if free < 1:
            raise ClusterError(f"the cluster at {address} has no free CPU for a rollout worker")
        want = parallel or free
        n = min(want, free, len(todo))
        if want > free:
            progress.echo(
                f"rollout: the cluster has {_count(free, 'free CPU')}: {_count(free, 'phone')}, not {want}"
            )
        if (
            base_url
            and is_loopback(urlsplit(base_url).hostname or "")
            and len({i.get("NodeManagerAddress") for i in ray.nodes() if i.get("Alive")}) > 1
        ):
            progress.echo(
                f"rollout: warning: --base-url {redact(base_url)} is a loopback address; "
                "the cluster's other machines cannot reach it"
            )
        try:
            actors = _start_actors(ray, settings, base_url, n, progress)
            progress.echo(
                f"rollout: {progress.total} samples ({progress.total - progress.todo} already done), "
                f"{_count(len(actors), 'phone')} on {_count(len(set(actors.values())), 'node')} of {address}"
            )
            return _dispatch(ray, actors, settings.out_dir, todo, progress)
        except _ClusterLost as exc:
            done = progress.total - progress.todo + progress.done - progress.crashed
            raise ClusterError(
                f"lost the Ray cluster at {address} ({exc}); {_count(done, 'finished sample')} "
                "kept in the folder: run the same command again to finish the rollout"
            ) from None
    finally:
        ray.shutdown()  # our actors end with this driver


def _dispatch(
    ray: Any, actors: dict[Any, str], out_dir: str, todo: list[Job], progress: Progress
) -> dict[str, int]:
    from ray.exceptions import RayActorError, RayTaskError

    queue = deque(todo)
    attempts: Counter[Job] = Counter()
    by_node: Counter[str] = Counter()
    inflight: dict[Any, tuple[Any, Job]] = {}

    def give(actor: Any) -> None:
        if queue:
            job = queue.popleft()
            inflight[actor.run.remote(job)] = (actor, job)

    for actor in list(actors):
        give(actor)
    lost = _lost_types()
    try:
        while inflight:
            try:
                ready, _ = ray.wait(list(inflight), num_returns=1, timeout=5.0)
            except lost as exc:
                raise _ClusterLost(f"{type(exc).__name__}: {exc}") from None
            if not ready:
                continue
            actor, job = inflight.pop(ready[0])
            where = actors.get(actor, "?")
            try:
                out = ray.get(ready[0])
            except RayTaskError as exc:  # the sample crashed; its worker is alive
                # (before OSError: a sample's TimeoutError comes as RayTaskError(TimeoutError))
                reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
                progress.report(job, "crashed", 0, reason, where)
                give(actor)
                continue
            except OSError as exc:  # not one worker: this driver's link to the cluster
                raise _ClusterLost(f"{type(exc).__name__}: {exc}") from None
            except (RayActorError, Exception) as exc:  # the worker (or its node) is gone
                actors.pop(actor, None)
                attempts[job] += 1
                again = attempts[job] < MAX_ATTEMPTS and actors
                progress.echo(
                    f"rollout: the worker on {where} is gone ({type(exc).__name__}); "
                    + (
                        f"{job.task}#{job.seed} s{job.sample_id} goes back to the queue"
                        if again
                        else "its sample stays pending"
                    )
                )
                if again:
                    queue.appendleft(job)
                else:
                    progress.report(
                        job, "crashed", 0, f"its worker died ({_count(attempts[job], 'time')})", where
                    )
                if not actors:
                    while queue:  # nobody left to run them: they stay pending for a resume
                        progress.report(
                            queue.popleft(), "crashed", 0, "no rollout worker left on the cluster"
                        )
                # a free actor (its sample finished while this one died) takes the requeued job
                busy = {held for held, _ in inflight.values()}
                for idle in [a for a in actors if a not in busy]:
                    give(idle)
                continue
            try:
                write_sample(out_dir, job, out["files"])
            except (OSError, ValueError) as exc:  # the sample stays pending for a resume
                progress.report(job, "crashed", 0, f"writing it failed: {exc}", where)
                give(actor)
                continue
            by_node[where] += 1
            progress.report(job, out["status"], out["steps"], "", where)
            give(actor)
    finally:
        for actor in list(actors):
            with contextlib.suppress(Exception):  # a lost cluster must not hide why we stop
                ray.get(actor.stop.remote(), timeout=10)
            with contextlib.suppress(Exception):
                ray.kill(actor)
    return dict(by_node)
