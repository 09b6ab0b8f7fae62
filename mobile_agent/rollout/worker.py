"""One rollout worker: a virtual phone and a recording model server that run samples in turn.

The same worker serves both ways a rollout runs: a process of the local pool
(`mobile_agent.rollout.runner`) and an actor on a Ray cluster (`mobile_agent.rollout.cluster`).
Before every sample the phone goes back to the snapshot taken when the worker started, so a
sample's outcome depends on its job only, never on which worker ran it or what ran before.
"""

from __future__ import annotations

import asyncio
from typing import Any

from mobile_agent.bench.tasks import ALL_TASKS
from mobile_agent.rollout.sample import Job, SampleSettings, run_sample

__all__ = ["SampleWorker"]


class SampleWorker:
    """`await start()`, then `await run(job)` for each sample, then `stop()`."""

    def __init__(self, settings: SampleSettings, base_url: str | None) -> None:
        self.settings = settings
        self.base_url = base_url  # the policy model's endpoint; None: the oracle answers
        self._tasks = {cls.name: cls for cls in ALL_TASKS}
        self._sim: Any = None
        self._recorder: Any = None
        self._baseline: Any = None

    async def start(self) -> SampleWorker:
        from mobile_agent.rollout.recorder import Recorder, oracle_answer, upstream_answer
        from mobile_agent.sim import SimServer, connect_adb, default_phone_factory

        seed = self.settings.seed
        self._sim = SimServer(
            count=1, port=0, seed=seed, phone_factory=lambda _s, **kw: default_phone_factory(seed, **kw)
        ).start()
        try:
            answer = (
                oracle_answer
                if self.base_url is None
                else upstream_answer(self.base_url, self.settings.model)
            )
            self._recorder = Recorder(answer).start()
            await asyncio.to_thread(connect_adb, self.serial)
            self._baseline = await asyncio.to_thread(self._sim.phones[0].snapshot)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def serial(self) -> str:
        return str(self._sim.serials[0])

    async def run(self, job: Job) -> dict[str, Any]:
        """Roll out one sample into `settings.out_dir` and return its record (sample.json)."""
        if self._baseline is None:
            raise RuntimeError("SampleWorker.run before start()")
        phone, baseline = self._sim.phones[0], self._baseline
        task = self._tasks[job.task].from_seed(job.seed)
        return await run_sample(
            task, job, self.serial, self._recorder, self.settings, lambda: phone.restore(baseline)
        )

    def stop(self) -> None:
        if self._recorder is not None:
            self._recorder.stop()
            self._recorder = None
        if self._sim is not None:
            self._sim.stop()
            self._sim = None
