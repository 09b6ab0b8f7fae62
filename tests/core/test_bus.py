"""The bus: ordered fan-out, replay, streams, a broken subscriber cannot stop a run."""

from __future__ import annotations

import asyncio

import pytest

from mobile_agent.bus import Bus, EventType, MemoryState


def test_order_state_and_replay() -> None:
    bus = Bus()
    seen: list[int] = []
    bus.subscribe(lambda e: seen.append(e.seq))
    bus.publish(EventType.TASK_STARTED, {"instruction": "x", "mode": "multi"})
    bus.publish(EventType.PLAN, {"plan": ["a", "b"], "subgoal": "a"})
    bus.publish(
        EventType.ACTION_PROPOSED, {"action": {"action": "click", "coordinate": [1, 2]}, "description": "d"}
    )
    bus.publish(EventType.ACTION_EXECUTED, {"action": {"action": "click", "coordinate": [1, 2]}}, step=1)
    bus.publish(EventType.REFLECTION, {"outcome": "C", "error": "nothing"}, step=1)
    assert seen == [1, 2, 3, 4, 5]
    state = bus.state
    assert isinstance(state, MemoryState)
    assert state.plan == ("a", "b") and state.subgoal == "a"
    assert state.history[-1].outcome == "C" and state.history[-1].description == "d"
    assert state.consecutive_failures == 1
    late: list[int] = []
    bus.subscribe(late.append and (lambda e: late.append(e.seq)), replay=True)
    assert late == [1, 2, 3, 4, 5]


def test_action_failed_counts_and_keeps_its_own_action() -> None:
    bus = Bus()
    bus.publish(EventType.ACTION_PROPOSED, {"action": {"action": "click", "coordinate": [1, 2]}})
    bus.publish(EventType.ACTION_FAILED, {"action": {}, "error": "unparseable"}, step=2)
    assert bus.state.history[-1].action == {} and bus.state.consecutive_failures == 1
    bus.publish(EventType.REFLECTION, {"outcome": "A"}, step=2)
    assert bus.state.consecutive_failures == 0


def test_snapshot_is_immutable() -> None:
    bus = Bus()
    bus.publish(EventType.PLAN, {"plan": ["a"]})
    snap = bus.state
    with pytest.raises(AttributeError):
        snap.plan = ("b",)  # type: ignore[misc]
    bus.publish(EventType.PLAN, {"plan": ["c"]})
    assert snap.plan == ("a",) and bus.state.plan == ("c",)


def test_broken_subscriber_is_dropped_with_an_error_event() -> None:
    bus = Bus()

    def bad(event: object) -> None:
        raise RuntimeError("boom")

    bus.subscribe(bad)
    bus.publish(EventType.STEP_STARTED, step=1)
    bus.publish(EventType.STEP_STARTED, step=2)
    types = [e.type for e in bus.log]
    assert types == [EventType.STEP_STARTED, EventType.ERROR, EventType.STEP_STARTED]


async def test_stream_replays_then_follows_until_close() -> None:
    bus = Bus()
    bus.publish(EventType.STEP_STARTED, step=1)
    got: list[int] = []

    async def consume() -> None:
        async for ev in bus.stream():
            got.append(ev.seq)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    bus.publish(EventType.STEP_STARTED, step=2)
    bus.publish(EventType.STEP_STARTED, step=3)
    bus.close()
    await asyncio.wait_for(task, 2)
    assert got == [1, 2, 3]
    after = [e.seq async for e in bus.stream(after_seq=2)]
    assert after == [3]
