"""Test helper: `mobile-agent serve` as a real subprocess (the console command's code path)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Served:
    proc: subprocess.Popen[str]
    url: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def output(self) -> str:
        return "".join(self.lines)

    def kill(self) -> None:
        """SIGKILL: a crash, the server gets no chance to record anything."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(15)

    def stop(self) -> None:
        """SIGTERM: a clean stop."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def serve_env(runs_dir: Path, serials: list[str], extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MOBILE_AGENT_API_TOKEN"}
    env.update(
        {
            "MOBILE_AGENT_RUNS_DIR": str(runs_dir),
            "MOBILE_AGENT_DEVICE_ALLOWLIST": ",".join(serials),
            "MOBILE_AGENT_DEVICE_REFRESH_S": "0.5",
            **(extra or {}),
        }
    )
    return env


SERVE = [sys.executable, "-m", "mobile_agent", "serve", "--port", "0", "--no-access-log"]


def spawn_serve(env: dict[str, str], timeout: float = 60) -> Served:
    """Start `mobile-agent serve --port 0` and wait for the address it listens on."""
    proc = subprocess.Popen(SERVE, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    served = Served(proc)
    found = threading.Event()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            served.lines.append(line)
            if not found.is_set() and (m := re.search(r"Uvicorn running on (http://\S+)", line)):
                served.url = m.group(1)
                found.set()

    threading.Thread(target=pump, daemon=True).start()
    if not found.wait(timeout):
        served.kill()
        raise AssertionError("serve did not start:\n" + served.output())
    return served
