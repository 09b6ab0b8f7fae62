"""`log` appends to the phone's log buffer; `logcat` dumps, filters, clears and streams it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import adbutils
import pytest
from sim_support import adb

from mobile_agent.sim import SimServer, connect_adb

THREADTIME = re.compile(r"^\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} +\d+ +\d+ [VDIWEF] .{8}: .*$")


@pytest.fixture(scope="module")
def serial() -> Iterator[str]:
    server = SimServer(count=1, port=0, seed=31).start()
    try:
        connect_adb(server.serials[0], timeout=15)
        yield server.serials[0]
    finally:
        subprocess.run(["adb", "disconnect", server.serials[0]], capture_output=True, timeout=20, check=False)
        server.stop()


@pytest.fixture(scope="module")
def device(serial: str) -> adbutils.AdbDevice:
    return adbutils.adb.device(serial)


def test_log_then_dump_filter_and_clear(device: adbutils.AdbDevice) -> None:
    assert device.shell2("logcat -c", v2=True).returncode == 0
    assert device.shell("logcat -d") == ""
    device.shell(["log", "-t", "MyTag", "hello world"])
    device.shell(["log", "-p", "e", "-t", "Other", "it broke"])
    device.shell("log plain message")
    lines = device.shell("logcat -d").splitlines()
    assert len(lines) == 3 and all(THREADTIME.match(line) for line in lines), lines
    assert lines[0].endswith(" I MyTag   : hello world")
    assert lines[1].endswith(" E Other   : it broke")
    assert lines[2].endswith(" I log     : plain message")
    assert device.shell("logcat -d -s MyTag").splitlines() == lines[:1]
    assert device.shell("logcat -d *:E").splitlines() == lines[1:2]
    assert device.shell("logcat -d -v brief -s Other") == "E/Other   ( 4244): it broke"
    assert device.shell("logcat -d -v tag -t 1") == "I/log     : plain message"
    assert device.shell("logcat -d -e broke -v raw") == "it broke"
    bad = device.shell2("logcat -v nonsense", v2=True)
    assert bad.returncode == 1 and "nonsense" in bad.stderr
    assert device.shell2("logcat --clear", v2=True).returncode == 0
    assert device.shell("logcat -d") == ""


def test_plain_logcat_streams_until_the_client_hangs_up(device: adbutils.AdbDevice) -> None:
    device.shell("logcat -c; log -t Early before")
    conn = device.shell("logcat -s Live Early", stream=True)
    try:
        conn.conn.settimeout(5)
        first = conn.conn.recv(4096).decode()
        assert first.endswith("Early   : before\n")
        conn.conn.settimeout(0.3)
        with pytest.raises(socket.timeout):
            conn.conn.recv(1)  # the stream stays open, silent, while nothing is logged
        for i in range(3):
            device.shell(["log", "-t", "Live", f"tick {i}"])
            device.shell(["log", "-t", "Ignored", "not shown"])
        conn.conn.settimeout(5)
        got = ""
        deadline = time.monotonic() + 5
        while got.count("\n") < 3 and time.monotonic() < deadline:
            got += conn.conn.recv(4096).decode()
        assert [line.split(": ", 1)[1] for line in got.splitlines()] == ["tick 0", "tick 1", "tick 2"]
    finally:
        conn.close()
    assert device.shell("echo still serving") == "still serving"


def test_adbutils_logcat_helper_and_adb_cli(
    serial: str, device: adbutils.AdbDevice, tmp_path: object
) -> None:
    import pathlib

    out = pathlib.Path(str(tmp_path)) / "logcat.txt"
    stop = device.logcat(out, clear=True, command="logcat -v time", re_filter="I/Probe")
    device.shell(["log", "-p", "i", "-t", "Probe", "seen by adbutils"])
    deadline = time.monotonic() + 5
    while "seen by adbutils" not in (out.read_text() if out.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.05)
    # adbutils' reader stops at its next line (a real phone logs all the time): log one more
    stop.stop_nowait()
    device.shell(["log", "-t", "Probe", "wake the reader"])
    stop.stop(timeout=5)
    assert re.search(r"I/Probe +\(\s*\d+\): seen by adbutils", out.read_text())
    res = adb(serial, "logcat", "-d", "-s", "Probe")
    lines = res.stdout.decode().splitlines()
    assert (
        res.returncode == 0
        and lines[0].endswith("I Probe   : seen by adbutils")
        and THREADTIME.match(lines[0])
    )


def test_a_huge_message_is_cut_as_liblog_cuts_it(device: adbutils.AdbDevice) -> None:
    """Each entry was kept whole: 5000 entries of 60 KB each held 300 MB of one phone's memory."""
    assert device.shell2("log -t HUGE " + "x" * 20000 + " tail").returncode == 0
    out = device.shell("logcat -d -s HUGE -v raw").rstrip("\n")
    assert out == "x" * (4068 - 3 - len("HUGE"))  # priority, tag and message (NUL-ended) in 4068
    # a multi-byte character is never split
    assert device.shell2("log -t CUT " + "é" * 3000).returncode == 0
    assert device.shell("logcat -d -s CUT -v raw").rstrip("\n") == "é" * ((4068 - 3 - 3) // 2)


@pytest.fixture(scope="module")
def two_phones_apart() -> Iterator[list[str]]:
    """Two phones served by `python -m mobile_agent.sim` in its own process, so that a stall in
    the phone server cannot stall the test that times it."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mobile_agent.sim", "--port", "0", "--count", "2", "--seed", "7"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )  # fmt: skip
    serials: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(serials) < 2:
            line = proc.stdout.readline()
            if not line:
                break
            if m := re.match(r"\s+(127\.0\.0\.1:\d+)$", line.rstrip()):
                serials.append(m.group(1))
        assert len(serials) == 2, "the phone server did not start"
        for s in serials:
            connect_adb(s, timeout=15)
        yield serials
    finally:
        for s in serials:
            subprocess.run(["adb", "disconnect", s], capture_output=True, timeout=20, check=False)
        proc.kill()
        proc.wait()


# `(a|aa)+$` against sixty a's and a "!": Python's `re` backtracks ~fib(60) ways, hours with the
# GIL held, and before the fix every phone of that server stalled meanwhile.
SLOW = "(a|aa)+$"
STALL_LINE = "a" * 60 + "!"


def _echo_took(serial: str) -> float:
    started = time.monotonic()
    done = adb(serial, "shell", "echo", "hi", timeout=60)
    assert done.stdout.decode().strip() == "hi"
    return time.monotonic() - started


def test_a_catastrophic_regex_ends_that_logcat_and_stalls_no_other_phone(two_phones_apart: list[str]) -> None:
    victim, other = two_phones_apart
    assert adb(victim, "shell", "log", "-t", "Stall", STALL_LINE).returncode == 0
    assert adb(victim, "shell", "log", "-t", "Fine", "all good").returncode == 0
    started = time.monotonic()
    dump = subprocess.Popen(
        ["adb", "-s", victim, "logcat", "-d", "-e", SLOW], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        time.sleep(0.3)
        assert _echo_took(other) < 5, "another phone waited on this phone's regex"
        out, err = dump.communicate(timeout=60)
    finally:
        dump.kill()
    assert time.monotonic() - started < 10
    assert dump.returncode == 1, (out, err)
    assert f"logcat: regex '{SLOW}' took too long" in err.decode()
    assert adb(victim, "logcat", "-d", "-v", "raw", "-e", "good$").stdout.decode().strip() == "all good"
    assert adb(victim, "logcat", "-d", "-v", "raw", "-e", "^(a+)+$").stdout.decode() == ""  # `re`: 2**60 ways


def test_a_catastrophic_regex_ends_a_streaming_logcat_too(two_phones_apart: list[str]) -> None:
    victim, other = two_phones_apart
    assert adb(victim, "logcat", "-c").returncode == 0
    stream = subprocess.Popen(
        ["adb", "-s", victim, "logcat", "-v", "raw", "-e", SLOW],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        time.sleep(0.5)
        assert adb(victim, "shell", "log", "-t", "Live", "aa").returncode == 0
        assert adb(victim, "shell", "log", "-t", "Stall", STALL_LINE).returncode == 0
        assert _echo_took(other) < 5
        assert _echo_took(victim) < 5, "the stream's regex ran on the phone's event loop"
        out, _ = stream.communicate(timeout=60)
    finally:
        stream.kill()
    lines = out.decode().replace("\r\n", "\n").splitlines()
    assert lines[0] == "aa" and f"logcat: regex '{SLOW}' took too long" in lines[-1], lines
