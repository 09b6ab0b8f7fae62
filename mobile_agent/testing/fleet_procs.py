"""Test instrument: the real processes of a fleet, each owned by its process group and ended for
sure (the fleet tests and `benchmarks/bench_fleet.py` share them).

- `Postgres`: `initdb` + `pg_ctl` of Debian's PostgreSQL in a temp folder (as the `postgres` user
  when we are root: initdb refuses root), a free port on 127.0.0.1, the socket in the folder.
- `RayHead`: `ray start --head --block` (fast health checks so a lost node is noticed quickly);
  `RayNode`: a plain worker node joining it.
- `Proc`: `mobile-agent host ...` / `mobile-agent serve --cluster ...` with output captured;
  `kill9()` kills its whole process group (how a host dies in the tests).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
RAY_FAST = {
    "RAY_health_check_period_ms": "1000",
    "RAY_health_check_failure_threshold": "3",
    "RAY_health_check_initial_delay_ms": "1000",
    "RAY_health_check_timeout_ms": "1000",
}
RUNNING = re.compile(r"Uvicorn running on http://([^:\s]+):(\d+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def have_postgres() -> bool:
    return (PG_BIN / "initdb").exists()


def _bin(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed"
    return found


def _killpg(proc: subprocess.Popen[str] | subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def end_group(proc: subprocess.Popen[str] | subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM the group, then SIGKILL it; always reaps the leader."""
    if proc.poll() is None:
        _killpg(proc, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    _killpg(proc, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


class Postgres:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="fleet-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.root.chmod(0o755)
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: str) -> None:
        subprocess.run([*self.as_user, *cmd], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            opts,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def close(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class Proc:
    """A subprocess in its own process group, output merged into `lines`."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.args = args
        self.proc = subprocess.Popen(
            args,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 120) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            if m := rx.search(self.output):
                return m
            if self.proc.poll() is not None:
                time.sleep(0.2)
                raise AssertionError(f"{self.args[:3]} exited {self.proc.returncode}:\n{self.output[-4000:]}")
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} not seen from {self.args[:3]}:\n{self.output[-4000:]}")

    def url(self, timeout: float = 120) -> str:
        m = self.wait_for(RUNNING.pattern, timeout)
        return f"http://127.0.0.1:{m.group(2)}"

    def kill9(self) -> None:
        _killpg(self.proc, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)

    def close(self) -> None:
        end_group(self.proc)


class RayHead:
    def __init__(self, num_cpus: int = 1) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        env = {**os.environ, **RAY_FAST}
        self.proc = Proc(
            [
                _bin("ray"),
                "start",
                "--head",
                "--block",
                "--port",
                str(self.port),
                "--num-cpus",
                str(num_cpus),
                "--include-dashboard",
                "false",
                "--disable-usage-stats",
                "--node-ip-address",
                "127.0.0.1",
            ],
            env,
        )
        self.proc.wait_for(r"Ray runtime started|--block", 120)

    def kill9(self) -> None:
        self.proc.kill9()

    def close(self) -> None:
        self.proc.close()


class RayNode:
    """A plain worker node of the cluster (`ray start --address ... --block`), in its own process group;
    `env` is added to its environment (and so to its workers')."""

    def __init__(self, address: str, num_cpus: int = 1, env: dict[str, str] | None = None) -> None:
        env = {**os.environ, **RAY_FAST, **(env or {})}
        self.proc = Proc(
            [
                _bin("ray"),
                "start",
                "--address",
                address,
                "--block",
                "--num-cpus",
                str(num_cpus),
                "--disable-usage-stats",
                "--node-ip-address",
                "127.0.0.1",
            ],
            env,
        )
        self.proc.wait_for(r"Ray runtime started|--block", 120)

    def kill9(self) -> None:
        self.proc.kill9()

    def close(self) -> None:
        self.proc.close()


def fleet_env(base_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOBILE_AGENT_")}
    env.update(RAY_FAST)
    env.update(
        MOBILE_AGENT_BASE_URL=base_url,
        MOBILE_AGENT_SETTLE_TIMEOUT_S="0.3",
        # the scripted taps land on an empty spot: the screen does not change, which is not a failure here
        MOBILE_AGENT_FAIL_AFTER_FAILURES="100",
        MOBILE_AGENT_ESCALATE_AFTER_FAILURES="100",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def start_host(address: str, name: str, sims: int, seed: int, env: dict[str, str]) -> Proc:
    proc = Proc(
        [
            _bin("mobile-agent"),
            "host",
            "--cluster",
            address,
            "--sim",
            str(sims),
            "--seed",
            str(seed),
            "--name",
            name,
            "--node-ip",
            "127.0.0.1",
        ],
        env,
    )
    return proc


def start_replica(address: str, db_url: str, runs: Path, env: dict[str, str]) -> Proc:
    return Proc(
        [
            _bin("mobile-agent"),
            "serve",
            "--cluster",
            address,
            "--db-url",
            db_url,
            "--port",
            "0",
            "--runs-dir",
            str(runs),
            "--no-access-log",
        ],
        env,
    )
