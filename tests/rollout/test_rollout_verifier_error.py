"""A task whose verifier raises is `excluded` and counted, never scored 0 (one sample, in process,
on a real virtual phone over ADB with the recording server and the oracle)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from mobile_agent.bench.tasks import get_task
from mobile_agent.rollout.recorder import Recorder, oracle_answer
from mobile_agent.rollout.sample import Job, SampleSettings, run_sample
from mobile_agent.sim import SimServer, connect_adb


def test_a_verifier_that_raises_excludes_the_sample(tmp_path: Path) -> None:
    base = get_task("wifi_on")

    class BrokenVerifier(base):  # type: ignore[misc, valid-type]
        async def is_successful(self, adb: Any, answer: str | None = None) -> float:
            raise RuntimeError("the content provider is gone")

    task = BrokenVerifier(base.from_seed(0).params, seed=0)
    settings = SampleSettings(str(tmp_path), "oracle", 0.0, 0, "single", "resized", None, "oracle")
    sim = SimServer(count=1, port=0).start()
    recorder = Recorder(oracle_answer).start()
    try:
        connect_adb(sim.serials[0])
        phone = sim.phones[0]
        snap = phone.snapshot()
        rec = asyncio.run(
            run_sample(
                task, Job("wifi_on", 0, 0), sim.serials[0], recorder, settings, lambda: phone.restore(snap)
            )
        )
    finally:
        recorder.stop()
        sim.stop()
    assert rec["status"] == "excluded" and rec["verified"] is None
    assert "content provider is gone" in rec["verifier_error"]
