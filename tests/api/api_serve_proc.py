"""Test helper: `mobile-agent serve` as a real subprocess, its output captured line by line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

RUNNING = re.compile(r"Uvicorn running on http://([^:\s]+):(\d+)")


def serve_cmd() -> list[str]:
    beside = Path(sys.executable).with_name("mobile-agent")
    exe = str(beside) if beside.exists() else shutil.which("mobile-agent")
    return [exe, "serve"] if exe else [sys.executable, "-m", "mobile_agent.api"]


def serve_env(tmp_path: Path, **env: str) -> dict[str, str]:
    """The environment of a test server: its own runs dir, no reachable adb server."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("MOBILE_AGENT_")}
    base.update(
        MOBILE_AGENT_RUNS_DIR=str(tmp_path / "runs"),
        MOBILE_AGENT_ADB_PORT="9",  # discard port: nothing answers, the pool stays empty
        MOBILE_AGENT_BASE_URL="http://127.0.0.1:9/v1",
        PYTHONUNBUFFERED="1",
    )
    base.update(env)
    return base


class ServeProcess:
    """`mobile-agent serve ARGS` with stdout and stderr merged into `lines`."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*serve_cmd(), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_url(self, timeout: float = 60) -> str:
        """The server's URL once uvicorn says it runs (its real port with --port 0)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if m := RUNNING.search(self.output):
                host = "127.0.0.1" if m.group(1) == "0.0.0.0" else m.group(1)
                return f"http://{host}:{m.group(2)}"
            if self.proc.poll() is not None:
                self.reader.join(5)
                raise AssertionError(f"serve exited {self.proc.returncode}:\n{self.output}")
            time.sleep(0.05)
        raise AssertionError(f"serve did not start:\n{self.output}")

    def wait_for(self, text: str, timeout: float = 10) -> None:
        """Wait until `text` shows in the output (log lines are written after the response)."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in the output:\n{self.output}")
            time.sleep(0.05)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.reader.join(10)
        return self.output

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
