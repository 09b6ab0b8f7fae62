"""The CLI prints the model's answer, the reason, paths and error messages as text, never as rich markup."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from mobile_agent.testing import StubChatServer


async def cli(*args: str, limit_s: float = 120) -> tuple[int, str, str]:
    env = {**os.environ, "MOBILE_AGENT_RETRIES": "0", "NO_COLOR": "1", "COLUMNS": "200"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mobile_agent", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), limit_s)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _answer(request: Any) -> str:
    call = json.dumps(
        {"name": "mobile_use", "arguments": {"action": "answer", "text": "[/x] it costs [bold]5[/]"}}
    )
    return f"<thinking>t</thinking>\n<tool_call>\n{call}\n</tool_call>\n<conclusion>ok</conclusion>"


async def test_answer_and_out_dir_with_brackets_print_verbatim(sim_phone: Any, tmp_path: Path) -> None:
    out_dir = tmp_path / "runs [/y]"
    with StubChatServer(_answer) as server:
        code, out, err = await cli(
            "run", "What does it cost?", "--device", sim_phone.serial, "--base-url", server.base_url,
            "--model", "gui-owl-stub", "--mode", "single", "--out", str(out_dir), "--json",
        )  # fmt: skip
    assert "Traceback" not in err, err
    assert code == 0, err
    assert "[/x] it costs [bold]5[/]" in err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["answer"] == "[/x] it costs [bold]5[/]"
    assert str(out_dir) in err.replace("\n", "")


async def test_setup_error_with_brackets_prints_verbatim(tmp_path: Path) -> None:
    code, _, err = await cli("run", "hi", "--device", "bad[/x]", "--out", str(tmp_path))
    assert code == 2 and "Traceback" not in err, err
    assert "bad[/x]" in err
