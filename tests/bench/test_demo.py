"""`mobile-agent demo` as a user runs it: a subprocess with its own adb server port, so stopping
"its" adb server cannot touch the server the other tests use."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def adb_port() -> Iterator[int]:
    """A private adb server port; whatever server ends up there is stopped afterwards."""
    port = _free_port()
    yield port
    if _listening(port):
        subprocess.run(["adb", "-P", str(port), "kill-server"], capture_output=True, timeout=20)


def demo(out: Path, port: int, tasks: str = "wifi_on") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANDROID_ADB_SERVER_PORT": str(port), "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("ADB_SERVER_SOCKET", None)
    env.pop("ANDROID_ADB_SERVER_HOST", None)
    cmd = [sys.executable, "-m", "mobile_agent", "demo", "--tasks", tasks, "--out", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def report_links(out: Path) -> list[str]:
    return re.findall(r'href="([^"]+)"', (out / "report.html").read_text(encoding="utf-8"))


def test_report_links_each_run_and_a_rerun_leaves_only_its_runs(tmp_path: Path, adb_port: int) -> None:
    out = tmp_path / "demo-out"
    first = demo(out, adb_port, "wifi_on")
    assert first.returncode == 0, first.stdout + first.stderr
    assert [p.name for p in (out / "runs").iterdir()] == ["wifi_on-0-a0"]
    links = report_links(out)
    assert links == ["runs/wifi_on-0-a0/report.html"]  # relative: works opened from disk
    assert (out / links[0]).is_file()
    assert not _listening(adb_port), "the adb server the demo started is still running"

    keep = out / "runs" / "my-notes"  # not a run directory: the demo must not delete it
    keep.mkdir()
    (keep / "todo.txt").write_text("mine")
    second = demo(out, adb_port, "contacts_add")
    assert second.returncode == 0, second.stdout + second.stderr
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["contacts_add-0-a0", "my-notes"]
    assert (keep / "todo.txt").read_text() == "mine"
    assert report_links(out) == ["runs/contacts_add-0-a0/report.html"]
    assert not _listening(adb_port)


def test_a_folder_the_demo_did_not_make_is_not_cleared(tmp_path: Path, adb_port: int) -> None:
    out = tmp_path / "mine"
    (out / "runs" / "old-run").mkdir(parents=True)
    (out / "runs" / "old-run" / "events.jsonl").write_text("{}\n")
    result = demo(out, adb_port, "wifi_on")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (out / "runs" / "old-run" / "events.jsonl").exists()
    assert "was not made by the demo" in " ".join(result.stdout.split())


def test_an_adb_server_found_running_is_left_running(tmp_path: Path, adb_port: int) -> None:
    env = {**os.environ, "ANDROID_ADB_SERVER_PORT": str(adb_port)}
    subprocess.run(["adb", "start-server"], capture_output=True, env=env, timeout=30, check=True)
    deadline = time.monotonic() + 10
    while not _listening(adb_port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _listening(adb_port)
    result = demo(tmp_path / "out", adb_port, "wifi_on")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _listening(adb_port), "the demo stopped an adb server it did not start"
