"""`mobile-agent replay` end to end: a run recorded with the oracle on a virtual phone (real ADB,
the model behind a real HTTP server counting its requests) is replayed by the CLI in a real
subprocess on another phone, and the benchmark task's verifier reads the outcome off that phone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from replay_support import oracle_server, phone, solve

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.tasks import get_task
from mobile_agent.bench.tasks.common import put_contact
from mobile_agent.device.connect import connect
from mobile_agent.replay.match import parse_tree


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOBILE_AGENT_")}
    return subprocess.run(
        [sys.executable, "-m", "mobile_agent", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def _events(run_dir: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (Path(run_dir) / "events.jsonl").read_text().splitlines()]


async def _record(tmp_path: Path) -> tuple[Any, Path]:
    """Delete a contact with the oracle on a seed-0 phone; the run directory is the recipe."""
    with oracle_server() as (server, oracle), phone() as sim:
        task = get_task("contacts_delete").from_seed(0)
        result = await solve(task, sim.serial, server, oracle, tmp_path / "recorded")
    assert result.status == "succeeded" and oracle.calls > 0
    assert sorted(p.name for p in (result.run_dir / "steps").glob("*.xml"))  # the UI trees were recorded
    return task, result.run_dir


async def _open_another_contact(serial: str) -> None:
    """Leave the Contacts app on another contact's page (the app reopens there)."""
    device, _ = await connect(serial)
    try:
        await device.open_app("Contacts")
        screen = parse_tree(await device.ui_tree())
        emma = next(n for n in screen.nodes if n.text == "Emma Miller")
        await device.tap((emma.bounds[0] + emma.bounds[2]) // 2, (emma.bounds[1] + emma.bounds[3]) // 2)
        await device.home()
    finally:
        await device.close()


async def test_replay_on_a_fresh_phone_makes_no_model_call(tmp_path: Path) -> None:
    task, recipe = await _record(tmp_path)
    with oracle_server() as (_server, oracle), phone() as sim:
        adb = AdbShell(sim.serial)
        await task.initialize(adb)
        done = _cli(
            "replay", str(recipe), "--device", sim.serial, "--out", str(tmp_path / "replays"), "--json"
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["status"] == "succeeded" and result["usage"]["calls"] == 0
        assert oracle.calls == 0  # nothing reached a model server
        assert await task.is_successful(adb) == 1.0
    replayed = _events(result["run_dir"])
    assert any(e["type"] == "replay.started" for e in replayed)
    assert not any(e["type"] == "replay.diverged" for e in replayed)


async def test_a_moved_contact_is_tapped_where_it_is_now(tmp_path: Path) -> None:
    task, recipe = await _record(tmp_path)
    with phone() as sim:
        adb = AdbShell(sim.serial)
        await task.initialize(adb)
        await put_contact(adb, "Aaron Abbott", "5550001111")  # sorts first: every row moves down
        done = _cli(
            "replay", str(recipe), "--device", sim.serial, "--out", str(tmp_path / "replays"), "--json"
        )
        assert done.returncode == 0, done.stderr
        assert await task.is_successful(adb) == 1.0  # the right contact is gone...
        names = [r.get("display_name") for r in await adb.query("content://com.android.contacts/contacts")]
        assert "Aaron Abbott" in names  # ...and the one added in front of it is not
    moved = [e for e in _events(json.loads(done.stdout)["run_dir"]) if e["type"] == "replay.retargeted"]
    assert moved and task.params["name"] in moved[0]["data"]["message"]


async def test_a_diverging_phone_hands_over_to_the_model(tmp_path: Path) -> None:
    task, recipe = await _record(tmp_path)
    with oracle_server() as (server, oracle), phone() as sim:
        adb = AdbShell(sim.serial)
        await task.initialize(adb)
        await _open_another_contact(sim.serial)
        token = oracle.oracle.register(task, sim.serial, adb)
        done = _cli(
            "replay", str(recipe), "--device", sim.serial, "--out", str(tmp_path / "replays"), "--json",
            "--timeout", "2", "--base-url", server.base_url, "--model", token,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "the model takes over" in " ".join(done.stderr.split())  # said on the console
        assert oracle.calls > 0 and await task.is_successful(adb) == 1.0
    events = _events(json.loads(done.stdout)["run_dir"])
    diverged = [e for e in events if e["type"] == "replay.diverged"]
    assert len(diverged) == 1 and diverged[0]["step"] == 2 and diverged[0]["data"]["hand_over"]
    assert any(e["type"] == "model.call" and (e["step"] or 0) >= 2 for e in events)


async def test_a_diverging_phone_without_a_model_fails_at_that_step(tmp_path: Path) -> None:
    task, recipe = await _record(tmp_path)
    with phone() as sim:
        adb = AdbShell(sim.serial)
        await task.initialize(adb)
        await _open_another_contact(sim.serial)
        done = _cli(
            "replay", str(recipe), "--device", sim.serial, "--out", str(tmp_path / "r"), "--timeout", "2"
        )
        assert done.returncode == 1
        said = " ".join(done.stderr.split())
        assert "replay diverged at step 2" in said and "no model is configured" in said
        assert await task.is_successful(adb) == 0.0  # nothing was deleted blindly


def test_a_failed_run_is_not_a_recipe(tmp_path: Path) -> None:
    run = tmp_path / "failed-run"
    (run / "steps").mkdir(parents=True)
    (run / "events.jsonl").write_text("")
    (run / "result.json").write_text(json.dumps({"status": "failed", "reason": "step budget"}))
    done = _cli("replay", str(run), "--device", "127.0.0.1:1")
    assert done.returncode == 2
    assert "not a successful run" in " ".join(done.stderr.split())
