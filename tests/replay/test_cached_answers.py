"""A cached run that ended in an answer is replayed to the screen it answered from, and the model
reads the answer off the phone as it is now: the same question on a phone with other data (an
earlier alarm) must not get the recorded, stale answer reported as a success."""

from __future__ import annotations

from pathlib import Path

from replay_support import oracle_server, phone, solve

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.tasks import get_task


async def test_a_cache_hit_does_not_replay_a_stale_answer(tmp_path: Path) -> None:
    cache, runs = tmp_path / "cache", tmp_path / "runs"
    recorded, now = get_task("info_earliest_alarm").from_seed(0), get_task("info_earliest_alarm").from_seed(1)
    assert recorded.goal == now.goal  # one question, one starting screen: one cache key
    with oracle_server() as (server, oracle):
        with phone() as sim:
            first = await solve(recorded, sim.serial, server, oracle, runs, cache=cache)
        assert first.status == "succeeded"
        planned = oracle.calls
        with phone() as sim:  # the same question on a phone whose alarms differ
            adb = AdbShell(sim.serial)
            second = await solve(now, sim.serial, server, oracle, runs, cache=cache)
            expected = await now.expected(adb)
            assert await now.is_successful(adb, second.answer) == 1.0, (second.answer, expected)
        answered = oracle.calls - planned
    assert second.status == "succeeded" and second.answer != first.answer
    assert 0 < answered < planned  # the navigation was replayed; only the answer was asked for
    events = (Path(second.run_dir) / "events.jsonl").read_text()
    assert '"type": "replay.cache"' in events and '"hit": true' in events
    assert "the model reads the answer off the current screen" in events
