"""Run directories and cache entries edited by hand or damaged: `mobile-agent replay` refuses them
with a clear error (exit 2, no traceback), a damaged plan-cache entry is a miss that the model
plans past (and the entry is replaced), and hostile XML in a recorded UI tree (billion laughs,
an external entity) is never expanded: the replay diverges there instead."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from replay_support import oracle_server, phone, solve

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.tasks import get_task
from mobile_agent.replay.recipe import RecipeError, load_recipe

Edit = Callable[[list[dict[str, Any]]], None]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOBILE_AGENT_")}
    return subprocess.run(
        [sys.executable, "-m", "mobile_agent", *args], capture_output=True, text=True, timeout=120, env=env
    )


def _edit_events(run_dir: Path, edit: Edit) -> None:
    path = run_dir / "events.jsonl"
    events = [json.loads(line) for line in path.read_text().splitlines()]
    edit(events)
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")


def _each(kind: str, change: Callable[[dict[str, Any]], None]) -> Edit:
    def edit(events: list[dict[str, Any]]) -> None:
        for event in events:
            if event.get("type") == kind:
                change(event)

    return edit


DAMAGE: dict[str, Edit] = {
    "tree event data is a list": _each("screen.tree", lambda e: e.update(data=[1])),
    "step is not a number": _each("action.executed", lambda e: e.update(step="two")),
    "device point is text": _each("action.executed", lambda e: e["data"].update(device_points=[["a", "b"]])),
    "device size too short": _each("action.executed", lambda e: e["data"].update(device_size=[1080])),
    "action is a string": _each("action.executed", lambda e: e["data"].update(action="click")),
    "proposal is a string": _each("action.proposed", lambda e: e.update(data="tap it")),
}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real successful run (the oracle deleting a contact on a virtual phone)."""
    import asyncio

    out = tmp_path_factory.mktemp("recorded")

    async def record() -> Path:
        with oracle_server() as (server, oracle), phone() as sim:
            result = await solve(get_task("contacts_delete").from_seed(0), sim.serial, server, oracle, out)
        assert result.status == "succeeded"
        return Path(result.run_dir)

    return asyncio.run(record())


def _copy(recorded: Path, tmp_path: Path, name: str = "run") -> Path:
    copy = tmp_path / name
    shutil.copytree(recorded, copy)
    return copy


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_run_dir_is_a_recipe_error(recorded: Path, tmp_path: Path, damage: str) -> None:
    run_dir = _copy(recorded, tmp_path)
    _edit_events(run_dir, DAMAGE[damage])
    with pytest.raises(RecipeError, match="damaged or was edited by hand"):
        load_recipe(run_dir)


def test_odd_result_json_and_bytes_are_recipe_errors(recorded: Path, tmp_path: Path) -> None:
    listed = _copy(recorded, tmp_path, "listed")
    (listed / "result.json").write_text(json.dumps([{"status": "succeeded"}]))
    verified = _copy(recorded, tmp_path, "verified")
    result = json.loads((verified / "result.json").read_text())
    (verified / "result.json").write_text(json.dumps(result | {"verified": "yes"}))
    binary = _copy(recorded, tmp_path, "binary")
    (binary / "events.jsonl").write_bytes(b"\xff\xfe\x00garbage")
    for run_dir in (listed, verified, binary):
        with pytest.raises(RecipeError):
            load_recipe(run_dir)


def test_the_replay_cli_refuses_a_damaged_dir_clearly(recorded: Path, tmp_path: Path) -> None:
    run_dir = _copy(recorded, tmp_path)
    _edit_events(run_dir, DAMAGE["tree event data is a list"])
    done = _cli("replay", str(run_dir), "--device", "127.0.0.1:1", "--out", str(tmp_path / "replays"))
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said
    assert "damaged or was edited by hand" in said and "Traceback" not in said
    assert not (tmp_path / "replays").exists()


async def test_a_damaged_cache_entry_is_a_miss_and_is_replaced(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    task = get_task("contacts_delete").from_seed(0)
    with oracle_server() as (server, oracle):
        with phone() as sim:
            first = await solve(task, sim.serial, server, oracle, tmp_path / "runs", cache=cache)
        assert first.status == "succeeded"
        (entry,) = [d for d in cache.iterdir() if not d.name.startswith(".")]
        _edit_events(entry / "recipe", DAMAGE["tree event data is a list"])  # a bad copy on a shared folder
        before = oracle.calls
        with phone() as sim:
            adb = AdbShell(sim.serial)
            second = await solve(task, sim.serial, server, oracle, tmp_path / "runs", cache=cache)
            assert await task.is_successful(adb) == 1.0
        assert (second.status, second.error) == ("succeeded", None), second.reason
        assert oracle.calls > before  # a miss: the model planned it
    events = (Path(second.run_dir) / "events.jsonl").read_text()
    assert "cache miss" in events
    load_recipe(entry / "recipe")  # the damaged entry was replaced by the new run


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE h [<!ENTITY a "lol">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + ']><hierarchy rotation="0"><node text="&j;" class="android.widget.TextView" package="x" '
    'bounds="[0,0][1080,2400]"/></hierarchy>'
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE h [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    '<hierarchy rotation="0"><node text="&e;" class="android.widget.TextView" package="x" '
    'bounds="[0,0][1080,2400]"/></hierarchy>'
)


@pytest.mark.parametrize("xml", [LAUGHS, EXTERNAL], ids=["billion-laughs", "external-entity"])
async def test_hostile_xml_in_a_recorded_tree_is_not_expanded(
    recorded: Path, tmp_path: Path, xml: str
) -> None:
    run_dir = _copy(recorded, tmp_path)
    (run_dir / "steps" / "001-before.xml").write_text(xml)
    with phone() as sim:
        started = time.monotonic()
        done = _cli(
            "replay", str(run_dir), "--device", sim.serial, "--out", str(tmp_path / "replays"),
            "--timeout", "1", "--json",
        )  # fmt: skip
        took = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["error"] == "replay_diverged" and result["usage"]["calls"] == 0
    assert took < 60
    events = (Path(result["run_dir"]) / "events.jsonl").read_text()
    assert "root:" not in events  # nothing of /etc/passwd reached the run


def test_run_with_a_cache_that_is_a_file_exits_2_before_anything_runs(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "plans"
    not_a_folder.write_text("a file, not a cache folder")
    done = _cli(
        "run", "Turn on Wi-Fi", "--cache", str(not_a_folder), "--device", "127.0.0.1:1",
        "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--out", str(tmp_path / "runs"),
    )  # fmt: skip
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said
    assert "is not a folder" in said and "Traceback" not in said
    assert not (tmp_path / "runs").exists() and not_a_folder.read_text() == "a file, not a cache folder"
