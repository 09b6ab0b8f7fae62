"""`mobile-agent` as a user runs it: a subprocess against the stub model server and the virtual phone."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from core_support import WifiOracle, adb_shell

from mobile_agent.cli import build_parser, main
from mobile_agent.testing import ScriptedResponder, StubChatServer


async def cli(*args: str, limit_s: float = 120) -> tuple[int, str, str]:
    env = {**os.environ, "MOBILE_AGENT_RETRIES": "0", "NO_COLOR": "1", "COLUMNS": "200"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mobile_agent", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), limit_s)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_run_succeeds_with_exit_0_and_a_run_dir(sim_phone: Any, tmp_path: Path) -> None:
    oracle = WifiOracle(sim_phone.serial)
    answers = ScriptedResponder({r: [oracle] * 20 for r in ("manager", "worker", "reflector", "notetaker")})
    with StubChatServer(answers) as server:
        code, out, err = await cli(
            "run", "Turn on Wi-Fi", "--device", sim_phone.serial, "--base-url", server.base_url,
            "--model", "gui-owl-stub", "--out", str(tmp_path), "--json",
        )  # fmt: skip
    assert code == 0, err
    assert adb_shell(sim_phone.serial, "settings get global wifi_on") == "1"
    result = json.loads(out.strip().splitlines()[-1])
    run = Path(result["run_dir"])
    assert run.parent == tmp_path and (run / "report.html").exists() and (run / "events.jsonl").exists()
    assert "Step 1" in err and "manager" in err and "click" in err and "succeeded" in err
    assert str(run / "report.html") in err.replace("\n", "")


async def test_unreachable_device_exits_2_with_a_fix(tmp_path: Path) -> None:
    code, _out, err = await cli("run", "Turn on Wi-Fi", "--device", "127.0.0.1:1", "--out", str(tmp_path))
    assert code == 2
    assert "Traceback" not in err
    assert "127.0.0.1:1" in err and "mobile-agent sim" in err.replace("\n", " ")
    assert not os.listdir(tmp_path)  # no run directory for a setup error


async def test_unreachable_model_exits_2_with_a_fix(sim_phone: Any, tmp_path: Path) -> None:
    server = StubChatServer(lambda r: "").start()
    url = server.base_url
    server.stop()
    code, _, err = await cli(
        "run", "Turn on Wi-Fi", "--device", sim_phone.serial, "--base-url", url, "--out", str(tmp_path), "-q"
    )
    assert code == 2 and "Traceback" not in err
    assert "model server" in err.replace("\n", " ")
    assert not os.listdir(tmp_path)  # checked before the run directory is made


async def test_missing_device_and_unreachable_model_are_both_reported(tmp_path: Path) -> None:
    server = StubChatServer(lambda r: "").start()
    url = server.base_url
    server.stop()
    code, out, err = await cli(
        "run", "Turn on Wi-Fi", "--device", "127.0.0.1:1", "--base-url", url, "--out", str(tmp_path), "--json"
    )
    flat = " ".join(err.split())
    assert code == 2 and "Traceback" not in err and out == ""
    assert "127.0.0.1:1" in flat and f"model server at {url} is not reachable" in flat
    assert "Start a model server" in flat
    assert not os.listdir(tmp_path)


def test_bad_settings_name_the_flag_typed(capsys: Any) -> None:
    assert main(["run", "x", "--max-steps", "0", "--device", "nope"]) == 2
    err = capsys.readouterr().err
    assert "--max-steps: Input should be greater than 0 (got 0)" in err
    assert "MOBILE_AGENT_MAX_STEPS" not in err


def test_bad_settings_from_the_environment_name_the_variable(capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("MOBILE_AGENT_MAX_STEPS", "0")
    assert main(["run", "x", "--base-url", "ftp://h", "--device", "nope"]) == 2
    err = capsys.readouterr().err
    assert "MOBILE_AGENT_MAX_STEPS: Input should be greater than 0" in err
    assert "--base-url: must start with http:// or https://" in err


def test_empty_instruction_exit_2_before_touching_a_device(capsys: Any) -> None:
    assert main(["run", "   ", "--device", "127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert "instruction is empty" in err and "device" not in err


def test_parser_has_the_contract_options() -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["run", "do it", "--device", "s", "--base-url", "http://h:1/v1", "--model", "m", "--mode", "single",
         "--max-steps", "3", "--out", "o", "--no-notetaker", "--quiet", "--profile", "gui-owl-7b",
         "--backend", "openai", "--max-seconds", "9", "--api-key", "k"]
    )  # fmt: skip
    assert (args.instruction, args.mode, args.max_steps, args.no_notetaker) == ("do it", "single", 3, True)
    for cmd in (
        ["devices"],
        ["doctor", "--device", "s"],
        ["sim", "--port", "1", "--count", "2", "--seed", "3"],
    ):
        parser.parse_args(cmd)


def test_version(capsys: Any) -> None:
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert "mobile-agent" in capsys.readouterr().out


async def test_devices_lists_the_virtual_phone(sim_phone: Any) -> None:
    code, out, err = await cli("devices", "--json")
    assert code == 0, err
    rows = {row["serial"]: row for row in json.loads(out)}
    assert rows[sim_phone.serial]["state"] == "device" and rows[sim_phone.serial]["health"] == "ok"


async def test_doctor_against_the_virtual_phone_and_the_stub_server(sim_phone: Any) -> None:
    with StubChatServer(lambda r: "") as server:
        args = ("doctor", "--device", sim_phone.serial, "--base-url", server.base_url, "--json")
        code, out, err = await cli(*args, "--model", "gui-owl-stub")
        bad_code, bad_out, _ = await cli(*args)  # the default model name is not served there
    checks = json.loads(out)
    names = [c["name"] for c in checks]
    assert "model endpoint" in names and all(c["ok"] for c in checks), checks
    assert code == 0, err
    bad = {c["name"]: c for c in json.loads(bad_out)}
    assert (
        bad_code == 1 and not bad["model endpoint"]["ok"] and "gui-owl-stub" in bad["model endpoint"]["fix"]
    )


async def test_every_subcommand_help_has_a_description() -> None:
    for command in ("run", "devices", "doctor", "sim", "demo", "bench"):
        code, out, _err = await cli(command, "--help", limit_s=60)
        assert code == 0
        body = out.split("\n\n", 1)[1] if "\n\n" in out else ""
        first = body.strip().splitlines()[0] if body.strip() else ""
        # argparse prints "usage: ...", a blank line, then the description (or straight to the options)
        assert first and not first.startswith(("positional arguments", "options")), (command, out)
