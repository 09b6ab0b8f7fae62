"""End to end: the agent drives the virtual phone over ADB; the model is a real OpenAI-compatible
HTTP server on loopback (StubChatServer) answering per role from the phone's UI XML."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from core_support import WifiOracle, adb_shell

from mobile_agent.agent import Agent
from mobile_agent.bus import Bus, EventType
from mobile_agent.config import AgentConfig
from mobile_agent.testing import ScriptedResponder, StubChatServer, StubFault

ROLES = ("manager", "worker", "reflector", "notetaker", "single")


def responder(oracle: Any, n: int = 30, **per_role: list[Any]) -> ScriptedResponder:
    """The oracle for every role, unless a role's answers are given."""
    return ScriptedResponder({role: per_role.get(role) or [oracle] * n for role in ROLES})


def cfg(tmp_path: Path, base_url: str, **kw: Any) -> AgentConfig:
    base = {"runs_dir": tmp_path / "runs", "base_url": base_url, "model": "gui-owl-stub", "retries": 0}
    base.update(kw)
    return AgentConfig(**base)


def check_run_dir(run: Path, status: str) -> dict[str, Any]:
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert events[0]["type"] == EventType.TASK_STARTED
    assert events[-1]["type"] == EventType.TASK_FINISHED and events[-1]["data"]["status"] == status
    result = json.loads((run / "result.json").read_text())
    assert result["status"] == status
    assert (run / "report.html").exists()
    return result


@pytest.mark.parametrize("mode", ["multi", "single"])
async def test_turn_on_wifi(sim_phone: Any, tmp_path: Path, mode: str) -> None:
    serial = sim_phone.serial
    assert adb_shell(serial, "settings get global wifi_on") == "0"
    with StubChatServer(responder(WifiOracle(serial))) as server:
        result = await Agent(serial, config=cfg(tmp_path, server.base_url, mode=mode)).run("Turn on Wi-Fi")
        roles = {r.role for r in server.requests}
    assert result.status == "succeeded", result.reason
    assert adb_shell(serial, "settings get global wifi_on") == "1"  # the device proves it
    assert roles == ({"single"} if mode == "single" else {"manager", "worker", "reflector", "notetaker"})
    run = result.run_dir
    assert run is not None
    res = check_run_dir(run, "succeeded")
    assert res["usage"]["calls"] == result.usage["calls"] > 0
    for n in range(1, 3):
        assert (run / "steps" / f"{n:03d}-before.png").stat().st_size > 1000
        assert (run / "steps" / f"{n:03d}-after.png").stat().st_size > 1000
    html = (run / "report.html").read_text()
    assert html.count("data:image/jpeg;base64,") >= 4 and 'class="tap"' in html


@pytest.mark.parametrize(
    ("settings", "image_size"),
    [
        ({"frame": "norm1000"}, (1092, 2408)),
        ({"max_pixels": 1_000_000}, (644, 1484)),
        ({"profile": "gui-owl-1.5-8b"}, (1088, 2400)),  # Qwen3-VL rounds to multiples of 32
    ],
)
async def test_coordinate_frames_end_to_end(
    sim_phone: Any, tmp_path: Path, settings: dict[str, Any], image_size: tuple[int, int]
) -> None:
    """Points answered in the frame the model was told land on the right device pixels."""
    serial = sim_phone.serial
    frame = "norm1000" if settings.get("frame") == "norm1000" or "profile" in settings else "resized"
    with StubChatServer(responder(WifiOracle(serial, frame=frame))) as server:
        config = cfg(tmp_path, server.base_url, **settings)
        if "profile" in settings:
            config.model = "gui-owl-stub"
        result = await Agent(serial, config=config).run("Turn on Wi-Fi")
        sizes = {r.images[0].size for r in server.requests if r.images}
        worker_system = next(r.system for r in server.requests if r.role == "worker")
    assert result.ok and adb_shell(serial, "settings get global wifi_on") == "1"
    assert sizes == {image_size}
    assert ("0-1000" in worker_system) == (frame == "norm1000")


async def test_model_server_down(sim_phone: Any, tmp_path: Path) -> None:
    """Without the set-up check (the API server's way) a dead model server ends as a result."""
    server = StubChatServer(responder(WifiOracle(sim_phone.serial))).start()
    url = server.base_url
    server.stop()  # nothing listens there any more
    agent = Agent(sim_phone.serial, config=cfg(tmp_path, url))
    result = await agent.run("Turn on Wi-Fi", check_setup=False)
    assert result.status == "failed" and result.error == "model_unavailable"
    assert url.split("/v1")[0].split("//")[1] in result.reason or "reach" in result.reason
    check_run_dir(result.run_dir, "failed")  # type: ignore[arg-type]


async def test_slow_model_times_out(sim_phone: Any, tmp_path: Path) -> None:
    with StubChatServer(responder(WifiOracle(sim_phone.serial)), latency_s=3.0) as server:
        result = await Agent(sim_phone.serial, config=cfg(tmp_path, server.base_url, timeout_s=0.5)).run("x")
    assert result.status == "failed" and result.error == "model_timeout"
    check_run_dir(result.run_dir, "failed")  # type: ignore[arg-type]


async def test_garbage_answers_end_in_a_bounded_way(sim_phone: Any, tmp_path: Path) -> None:
    bus = Bus()
    with StubChatServer(lambda req: "lorem ipsum <<<>>> {]") as server:
        result = await Agent(sim_phone.serial, config=cfg(tmp_path, server.base_url)).run("x", bus=bus)
        calls = server.calls
    assert result.status == "failed" and result.error == "parse"
    parse_errors = [e for e in bus.log if e.type == EventType.PARSE_ERROR]
    assert len(parse_errors) == calls == 3 and parse_errors[0].data["raw"] == "lorem ipsum <<<>>> {]"
    check_run_dir(result.run_dir, "failed")  # type: ignore[arg-type]


async def test_garbage_http_body_is_a_model_error(sim_phone: Any, tmp_path: Path) -> None:
    fault = StubFault(status=200, body="<html>not json</html>", content_type="text/html")
    with StubChatServer(responder(WifiOracle(sim_phone.serial)), faults=lambda i: fault) as server:
        result = await Agent(sim_phone.serial, config=cfg(tmp_path, server.base_url)).run("x")
    assert result.status == "failed" and result.error in ("model_error", "model_unavailable")


async def test_device_disconnects_mid_run(sim_phone: Any, tmp_path: Path) -> None:
    oracle = WifiOracle(sim_phone.serial)

    def worker_then_pull_the_plug(request: Any) -> str:
        answer = oracle(request)
        sim_phone.stop()  # the phone goes away while the model "thinks"
        return answer

    answers = responder(oracle, worker=[worker_then_pull_the_plug] * 5)
    with StubChatServer(answers) as server:
        result = await Agent(sim_phone.serial, config=cfg(tmp_path, server.base_url)).run("Turn on Wi-Fi")
    assert result.status == "failed" and result.error is not None and result.error.startswith("device")
    assert "device" in result.reason
    check_run_dir(result.run_dir, "failed")  # type: ignore[arg-type]


async def test_cancel(sim_phone: Any, tmp_path: Path) -> None:
    cancel = asyncio.Event()
    bus = Bus()
    bus.subscribe(lambda e: cancel.set() if e.type == EventType.ACTION_EXECUTED else None)
    with StubChatServer(responder(WifiOracle(sim_phone.serial)), latency_s=0.2) as server:
        result = await Agent(sim_phone.serial, config=cfg(tmp_path, server.base_url)).run(
            "Turn on Wi-Fi", bus=bus, cancel=cancel
        )
    assert result.status == "cancelled"
    check_run_dir(result.run_dir, "cancelled")  # type: ignore[arg-type]


async def test_loop_on_a_dead_spot_escalates_then_fails(sim_phone: Any, tmp_path: Path) -> None:
    oracle = WifiOracle(sim_phone.serial)
    dead = '### Thought\nTap.\n### Action\n{"action": "click", "coordinate": [546, 1000]}\n### Description\nx'
    # the Reflector even claims success each time
    answers = responder(oracle, worker=[dead] * 20, reflector=["### Outcome\nA"] * 20)
    bus = Bus()
    with StubChatServer(answers) as server:
        c = cfg(tmp_path, server.base_url, escalate_after_failures=50, fail_after_failures=50)
        result = await Agent(sim_phone.serial, config=c).run("Turn on Wi-Fi", bus=bus)
    assert result.status == "failed" and result.error == "stuck"
    assert [e.step for e in bus.log if e.type == EventType.ESCALATION] == [3]
    refl = [e for e in bus.log if e.type == EventType.REFLECTION]
    assert all(e.data["outcome"] == "C" and e.data.get("disagreement") for e in refl)


async def test_unknown_app_is_a_recoverable_action_failure(sim_phone: Any, tmp_path: Path) -> None:
    oracle = WifiOracle(sim_phone.serial)
    bad = (
        '### Thought\nOpen it.\n### Action\n{"action": "open", "text": "Frobnicator Pro"}\n### Description\nx'
    )
    bus = Bus()
    with StubChatServer(responder(oracle, worker=[bad, *[oracle] * 10])) as server:
        result = await Agent(sim_phone.serial, config=cfg(tmp_path, server.base_url)).run(
            "Turn on Wi-Fi", bus=bus
        )
        worker_prompts = [r.user_text for r in server.requests if r.role == "worker"]
    failed = next(e for e in bus.log if e.type == EventType.ACTION_FAILED)
    assert "Frobnicator" in failed.data["error"]
    assert (
        "Frobnicator" in worker_prompts[1] and "error:" in worker_prompts[1]
    )  # the Worker sees what went wrong
    assert result.ok and adb_shell(sim_phone.serial, "settings get global wifi_on") == "1"


async def test_setup_problems_raise_before_a_run_dir_is_made(tmp_path: Path) -> None:
    """The Python API: no phone and no model server -> one typed error naming both, nothing written."""
    from mobile_agent.agent import SetupError

    server = StubChatServer(lambda r: "").start()
    url = server.base_url
    server.stop()
    agent = Agent("127.0.0.1:1", config=cfg(tmp_path, url))
    with pytest.raises(SetupError) as caught:
        await agent.run("Turn on Wi-Fi")
    assert caught.value.kinds == ["device_not_found", "model_unavailable"]
    assert "127.0.0.1:1" in str(caught.value) and url in str(caught.value)
    assert not (tmp_path / "runs").exists()


async def test_setup_check_can_be_left_to_the_run(tmp_path: Path) -> None:
    """check_setup=False (the API server) records a set-up failure as the run's result instead."""
    agent = Agent("127.0.0.1:1", config=cfg(tmp_path, "http://127.0.0.1:9/v1"))
    result = await agent.run("Turn on Wi-Fi", check_setup=False)
    assert result.status == "failed" and result.error == "device_not_found"
    assert result.run_dir is not None and (result.run_dir / "result.json").exists()


@pytest.mark.parametrize("record", [True, False])
async def test_ui_tree_recording_can_be_turned_off(sim_phone: Any, tmp_path: Path, record: bool) -> None:
    """Each step's UI tree (what replay and the plan cache check) is recorded by default; a user
    whose phone dumps slowly can turn it off, and the run is otherwise the same."""
    serial = sim_phone.serial
    adb_shell(serial, "settings put global wifi_on 0")
    with StubChatServer(responder(WifiOracle(serial))) as server:
        config = cfg(tmp_path, server.base_url, mode="single", record_ui_tree=record)
        result = await Agent(serial, config=config).run("Turn on Wi-Fi")
    assert result.status == "succeeded", result.reason
    assert result.run_dir is not None
    trees = sorted((result.run_dir / "steps").glob("*-before.xml"))
    if record:
        assert len(trees) == result.steps and all("<hierarchy" in t.read_text() for t in trees)
    else:
        assert trees == []
