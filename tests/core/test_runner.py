"""The step loop with the in-process ScriptedModel (each ending, escalation, human in the loop).

The device here is a tiny in-test phone (tests/core/fakes.py); the same loop runs over real ADB
against the virtual phone in test_e2e_*.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from fakes import TogglePhone

from mobile_agent.agent import Agent
from mobile_agent.bus import Bus, EventType
from mobile_agent.config import AgentConfig
from mobile_agent.human import HumanReply, HumanRequest
from mobile_agent.llm.base import Message
from mobile_agent.llm.scripted import ScriptedModel, role_of

TOGGLE = [910, 602]  # the toggle's centre (900, 600) in the 1092x2408 resized frame


def manager_answer(finished: bool = False, subgoal: str = "Turn Wi-Fi on") -> str:
    status = "finished" if finished else "in_progress"
    return (
        f"### Thought\nok\n### Completed\n-\n### Plan\n1. {subgoal}\n### Current Subgoal\n{subgoal}\n"
        f"### Status\n{status}"
    )


def worker_answer(action: dict) -> str:
    return f"### Thought\nx\n### Action\n{json.dumps(action)}\n### Description\nsomething happens"


def reflector_answer(outcome: str = "A") -> str:
    return f"### Thought\ncompared\n### Outcome\n{outcome}\n### Error\nNone"


NOTES = "### Notes\n- Wi-Fi toggle is at the top"


def policy(fn: Callable[[str, list[Message]], str], latency_s: float = 0.0) -> ScriptedModel:
    return ScriptedModel(lambda msgs: fn(role_of(msgs) or "", msgs), latency_s=latency_s)


def wifi_policy(phone: TogglePhone, reflect: str = "A") -> ScriptedModel:
    def answer(role: str, msgs: list[Message]) -> str:
        if role == "manager":
            return manager_answer(finished=phone.wifi)
        if role == "worker":
            return worker_answer({"action": "click", "coordinate": TOGGLE})
        if role == "reflector":
            return reflector_answer(reflect)
        return NOTES

    return policy(answer)


def config(tmp_path: Path, **kw: object) -> AgentConfig:
    return AgentConfig(runs_dir=tmp_path / "runs", settle_timeout_s=1.0, **kw)  # type: ignore[arg-type]


def types(bus: Bus) -> list[str]:
    return [e.type for e in bus.log]


async def test_multi_mode_turns_wifi_on_and_writes_the_run_dir(tmp_path: Path) -> None:
    phone = TogglePhone()
    bus = Bus()
    result = await Agent(phone, config=config(tmp_path), models=wifi_policy(phone)).run(
        "Turn on Wi-Fi", bus=bus
    )
    assert result.status == "succeeded" and result.claimed_success and result.ok
    assert phone.wifi is True and phone.taps == [(900, 600)]
    assert result.steps == 2
    assert result.usage["calls"] == 5  # manager, worker, reflector, notetaker; then the Manager says finished
    run = result.run_dir
    assert run is not None
    lines = (run / "events.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == EventType.TASK_STARTED and events[-1]["type"] == EventType.TASK_FINISHED
    assert (run / "steps" / "001-before.png").stat().st_size > 0
    assert (run / "steps" / "001-after.png").stat().st_size > 0
    res = json.loads((run / "result.json").read_text())
    assert res["status"] == "succeeded" and res["verified"] is None and res["claimed_success"] is True
    assert res["usage"]["image_tokens"] > 0 and "manager" in res["timings"]["model_s"]
    html = (run / "report.html").read_text()
    assert html.count("data:image/jpeg;base64,") >= 3 and 'class="tap"' in html
    # measured change recorded beside the Reflector's verdict
    diff = next(e for e in bus.log if e.type == EventType.SCREEN_DIFF)
    assert diff.data["changed"] is True
    assert bus.closed


async def test_single_mode(tmp_path: Path) -> None:
    phone = TogglePhone()

    def answer(role: str, msgs: list[Message]) -> str:
        assert role == "single"
        text = msgs[-1].text()
        assert "The user query: Turn on Wi-Fi" in text
        assert "1092x2408" in msgs[0].text()
        if phone.wifi:
            assert "Step 1: Tapped the Wi-Fi toggle." in text
            call = {"action": "terminate", "status": "success"}
        else:
            call = {"action": "click", "coordinate": TOGGLE}
        return (
            f"<thinking>look</thinking>\n<tool_call>\n{json.dumps({'name': 'mobile_use', 'arguments': call})}\n"
            "</tool_call>\n<conclusion>Tapped the Wi-Fi toggle.</conclusion>"
        )

    result = await Agent(phone, config=config(tmp_path, mode="single"), models=policy(answer)).run(
        "Turn on Wi-Fi"
    )
    assert result.status == "succeeded" and phone.wifi
    assert result.usage["calls"] == 2 and set(result.usage["per_role"]) == {"single"}


async def test_reflector_claiming_success_on_an_unchanged_screen_counts_as_no_change(tmp_path: Path) -> None:
    phone = TogglePhone()

    def answer(role: str, msgs: list[Message]) -> str:
        return {
            "manager": manager_answer(),
            "worker": worker_answer({"action": "click", "coordinate": [100, 100]}),  # a dead spot
            "reflector": reflector_answer("A"),
        }.get(role, NOTES)

    bus = Bus()
    result = await Agent(phone, config=config(tmp_path, max_steps=1), models=policy(answer)).run("x", bus=bus)
    refl = next(e for e in bus.log if e.type == EventType.REFLECTION)
    assert refl.data["outcome"] == "C" and refl.data["claimed"] == "A" and refl.data["disagreement"] is True
    assert result.status == "failed" and result.error == "step_budget"
    # no real change: the Notetaker was not asked
    assert "notetaker" not in result.usage["per_role"]


async def test_loop_detection_escalates_then_fails(tmp_path: Path) -> None:
    phone = TogglePhone()
    seen_warning: list[bool] = []

    def answer(role: str, msgs: list[Message]) -> str:
        if role == "manager":
            seen_warning.append("may be stuck" in msgs[-1].text())
            return manager_answer()
        if role == "worker":
            return worker_answer({"action": "click", "coordinate": [100, 100]})
        return reflector_answer("C")

    bus = Bus()
    cfg = config(tmp_path, escalate_after_failures=100, fail_after_failures=100)
    result = await Agent(phone, config=cfg, models=policy(answer)).run("Turn on Wi-Fi", bus=bus)
    assert result.status == "failed" and result.error == "stuck"
    assert "repeated 3 times" in result.reason
    escalations = [e for e in bus.log if e.type == EventType.ESCALATION]
    assert len(escalations) == 1 and escalations[0].step == 3
    assert result.steps == 6
    assert seen_warning[3] is True  # the Manager of step 4 was shown the failed attempts


async def test_two_failures_escalate_to_the_manager(tmp_path: Path) -> None:
    phone = TogglePhone()
    prompts: list[str] = []
    n = {"worker": 0}

    def answer(role: str, msgs: list[Message]) -> str:
        if role == "manager":
            prompts.append(msgs[-1].text())
            return manager_answer(finished=phone.wifi)
        if role == "worker":
            n["worker"] += 1
            # two different misses, then the right spot
            spots = [[100, 100], [200, 200], TOGGLE]
            return worker_answer({"action": "click", "coordinate": spots[min(n["worker"], 3) - 1]})
        return reflector_answer("C" if not phone.wifi else "A") if role == "reflector" else NOTES

    bus = Bus()
    result = await Agent(phone, config=config(tmp_path), models=policy(answer)).run("Turn on Wi-Fi", bus=bus)
    assert result.ok
    esc = [e for e in bus.log if e.type == EventType.ESCALATION]
    assert len(esc) == 1 and esc[0].data["kind"] == "failures"
    assert "Failed attempts" in prompts[2] and "[100, 100]" in prompts[2]


async def test_garbage_worker_is_retried_then_bounded(tmp_path: Path) -> None:
    phone = TogglePhone()

    def answer(role: str, msgs: list[Message]) -> str:
        return manager_answer() if role == "manager" else "I am not sure what to do ¯\\_(ツ)_/¯"

    bus = Bus()
    cfg = config(tmp_path, worker_retries=2, fail_after_failures=3)
    result = await Agent(phone, config=cfg, models=policy(answer)).run("x", bus=bus)
    assert result.status == "failed" and result.error == "too_many_failures"
    errors = [e for e in bus.log if e.type == EventType.PARSE_ERROR]
    assert len(errors) == 9 and {e.data["attempt"] for e in errors} == {1, 2, 3}
    assert errors[0].data["raw"].startswith("I am not sure") and "no JSON" in errors[0].data["reason"]
    assert phone.taps == []


async def test_garbage_manager_ends_the_run(tmp_path: Path) -> None:
    bus = Bus()
    result = await Agent(TogglePhone(), config=config(tmp_path), models=policy(lambda r, m: "???")).run(
        "x", bus=bus
    )
    assert result.status == "failed" and result.error == "parse"
    assert "Manager" in result.reason
    assert sum(e.type == EventType.PARSE_ERROR for e in bus.log) == 3
    assert (result.run_dir / "report.html").exists()  # type: ignore[operator]


async def test_retry_prompt_carries_the_reason(tmp_path: Path) -> None:
    phone = TogglePhone()
    model = ScriptedModel(
        {
            "manager": [manager_answer(), manager_answer(finished=True)],
            "worker": [
                '### Action\n{"action": "click"}',
                worker_answer({"action": "click", "coordinate": TOGGLE}),
            ],
            "reflector": [reflector_answer()],
            "notetaker": [NOTES],
        }
    )
    result = await Agent(phone, config=config(tmp_path), models=model).run("Turn on Wi-Fi")
    assert result.ok
    worker_calls = [m for m in model.calls if role_of(m) == "worker"]
    assert "missing 'coordinate'" in worker_calls[1][-1].text()


async def test_cancellation_finishes_cleanly(tmp_path: Path) -> None:
    phone = TogglePhone()
    cancel = asyncio.Event()
    bus = Bus()

    def on_event(ev: object) -> None:
        if getattr(ev, "type", "") == EventType.ACTION_PROPOSED:
            cancel.set()

    bus.subscribe(on_event)
    model = policy(
        lambda r, m: manager_answer() if r == "manager" else worker_answer({"action": "wait", "time": 5})
    )
    result = await Agent(phone, config=config(tmp_path), models=model).run("x", bus=bus, cancel=cancel)
    assert result.status == "cancelled" and result.error == "cancelled"
    assert bus.log[-1].type == EventType.TASK_FINISHED and bus.log[-1].data["status"] == "cancelled"
    res = json.loads((result.run_dir / "result.json").read_text())  # type: ignore[operator]
    assert res["status"] == "cancelled"


async def test_task_cancel_still_writes_the_run_dir(tmp_path: Path) -> None:
    phone = TogglePhone()
    model = policy(
        lambda r, m: manager_answer() if r == "manager" else worker_answer({"action": "wait", "time": 5})
    )
    out = tmp_path / "run"
    task = asyncio.create_task(Agent(phone, config=config(tmp_path), models=model).run("x", out_dir=out))
    await asyncio.sleep(0.5)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    assert json.loads((out / "result.json").read_text())["status"] == "cancelled"
    assert (out / "report.html").exists()


async def test_time_budget(tmp_path: Path) -> None:
    model = policy(lambda r, m: manager_answer(), latency_s=0.3)
    result = await Agent(TogglePhone(), config=config(tmp_path), models=model).run("x", max_seconds=0.5)
    assert result.status == "failed" and result.error == "time_budget" and "0.5 s" in result.reason


async def test_device_disconnect_mid_run(tmp_path: Path) -> None:
    phone = TogglePhone()

    def answer(role: str, msgs: list[Message]) -> str:
        if role == "worker":
            phone.gone = True  # unplugged while the model thinks
            return worker_answer({"action": "click", "coordinate": TOGGLE})
        return manager_answer()

    result = await Agent(phone, config=config(tmp_path), models=policy(answer)).run("x")
    assert result.status == "failed" and result.error == "device_disconnected"
    assert "unplugged" in result.reason
    assert json.loads((result.run_dir / "result.json").read_text())["error"] == "device_disconnected"  # type: ignore[operator]


async def test_model_error_ends_with_a_reason(tmp_path: Path) -> None:
    model = ScriptedModel({"manager": [manager_answer()], "worker": []})
    result = await Agent(TogglePhone(), config=config(tmp_path), models=model).run("x")
    assert result.status == "failed" and result.error == "model_error" and "no answers left" in result.reason


async def test_answer_action(tmp_path: Path) -> None:
    model = ScriptedModel(
        {"manager": [manager_answer()], "worker": [worker_answer({"action": "answer", "text": "It is on."})]}
    )
    bus = Bus()
    result = await Agent(TogglePhone(), config=config(tmp_path), models=model).run("Is Wi-Fi on?", bus=bus)
    assert result.ok and result.answer == "It is on."
    assert any(e.type == EventType.ANSWER and e.data["text"] == "It is on." for e in bus.log)


async def test_out_of_frame_point_is_a_clear_action_failure(tmp_path: Path) -> None:
    model = ScriptedModel(
        {
            "manager": [manager_answer()],
            "worker": [worker_answer({"action": "click", "coordinate": [1500, 10]})],
        }
    )
    bus = Bus()
    phone = TogglePhone()
    await Agent(phone, config=config(tmp_path, max_steps=1), models=model).run("x", bus=bus)
    failed = next(e for e in bus.log if e.type == EventType.ACTION_FAILED)
    assert "outside the 1092x2408 screen" in failed.data["error"] and phone.taps == []


class Human:
    def __init__(self, replies: list[HumanReply]) -> None:
        self.replies = replies
        self.requests: list[HumanRequest] = []

    async def request(self, request: HumanRequest) -> HumanReply:
        self.requests.append(request)
        return self.replies.pop(0)


async def test_ask_waits_for_the_human_and_the_worker_sees_the_reply(tmp_path: Path) -> None:
    phone = TogglePhone()
    worker_prompts: list[str] = []

    def answer(role: str, msgs: list[Message]) -> str:
        if role == "manager":
            return manager_answer(finished=phone.wifi)
        if role == "worker":
            worker_prompts.append(msgs[-1].text())
            if len(worker_prompts) == 1:
                return worker_answer({"action": "ask", "text": "Which network?"})
            return worker_answer({"action": "click", "coordinate": TOGGLE})
        return reflector_answer() if role == "reflector" else NOTES

    human = Human([HumanReply(text="HomeNet")])
    bus = Bus()
    result = await Agent(phone, config=config(tmp_path), models=policy(answer), human=human).run("x", bus=bus)
    assert result.ok
    assert human.requests[0].kind == "question" and human.requests[0].prompt == "Which network?"
    assert "HomeNet" in worker_prompts[1]
    assert EventType.HUMAN_REQUESTED in types(bus) and EventType.HUMAN_REPLIED in types(bus)


class SendPhone(TogglePhone):
    async def ui_tree(self) -> str:
        return '<hierarchy><node text="Send" bounds="[800,550][1000,650]" clickable="true" /></hierarchy>'


async def test_sensitive_click_needs_confirmation(tmp_path: Path) -> None:
    phone = SendPhone()
    worker_prompts: list[str] = []

    def answer(role: str, msgs: list[Message]) -> str:
        if role == "manager":
            return manager_answer(finished=phone.wifi)
        if role == "worker":
            worker_prompts.append(msgs[-1].text())
            return worker_answer({"action": "click", "coordinate": TOGGLE})
        return reflector_answer() if role == "reflector" else NOTES

    human = Human([HumanReply(approved=False, text="not now"), HumanReply(approved=True)])
    bus = Bus()
    result = await Agent(phone, config=config(tmp_path), models=policy(answer), human=human).run("x", bus=bus)
    assert result.ok and phone.taps == [(900, 600)]
    assert [r.kind for r in human.requests] == ["confirm", "confirm"]
    assert "'Send'" in human.requests[0].prompt
    assert "declined" in worker_prompts[1] and "not now" in worker_prompts[1]


async def test_deny_policy_never_runs_the_sensitive_click(tmp_path: Path) -> None:
    phone = SendPhone()

    def answer(role: str, msgs: list[Message]) -> str:
        return (
            manager_answer()
            if role == "manager"
            else worker_answer({"action": "click", "coordinate": TOGGLE})
        )

    cfg = config(tmp_path, policy="deny", fail_after_failures=2)
    result = await Agent(phone, config=cfg, models=policy(answer)).run("x")
    assert phone.taps == [] and result.status == "failed"


async def test_agent_subscribe_sees_every_event(tmp_path: Path) -> None:
    phone = TogglePhone()
    agent = Agent(phone, config=config(tmp_path), models=wifi_policy(phone))
    seen: list[str] = []
    agent.subscribe(lambda e: seen.append(e.type))
    await agent.run("Turn on Wi-Fi")
    assert seen[0] == EventType.TASK_STARTED and seen[-1] == EventType.TASK_FINISHED


async def test_cycle_on_changing_screens_is_detected(tmp_path: Path) -> None:
    """Toggling forever changes the screen every step, yet it is a cycle: same action, same screen."""
    phone = TogglePhone()

    def answer(role: str, msgs: list[Message]) -> str:
        if role == "manager":
            return manager_answer()
        if role == "worker":
            return worker_answer({"action": "click", "coordinate": TOGGLE})
        return reflector_answer("A") if role == "reflector" else NOTES

    bus = Bus()
    result = await Agent(phone, config=config(tmp_path), models=policy(answer)).run("x", bus=bus)
    esc = [(e.step, e.data["kind"]) for e in bus.log if e.type == EventType.ESCALATION]
    assert esc == [(5, "cycle"), (6, "cycle")]  # the "off" screen at step 5, the "on" screen at step 6
    assert result.status == "failed" and result.error == "stuck" and result.steps == 11
    assert "same screen" in result.reason
