"""Hostile input: the phone keeps serving, its state is unharmed, and nothing reaches the host."""

from __future__ import annotations

import io
import os
import socket
import struct
import time
from pathlib import Path
from typing import Any

import adbutils
from raw_adb import A_CNXN, A_OKAY, A_OPEN, A_WRTE, RawAdb
from sim_support import adb, focused_text, open_text_field

from mobile_agent.sim import SimServer


def still_serving(device: adbutils.AdbDevice) -> None:
    assert device.shell("echo alive") == "alive"
    assert device.screenshot().size == (1080, 2400)


def test_command_substitution_is_typed_literally(device: adbutils.AdbDevice) -> None:
    open_text_field(device)
    before = focused_text(device)
    r = device.shell2("input text '$(reboot)'", v2=True)
    assert r.returncode == 0
    assert focused_text(device) == before + "$(reboot)"
    r = device.shell2(["input", "text", "`id`;$HOME"], v2=True)
    assert focused_text(device) == before + "$(reboot)`id`;$HOME"
    still_serving(device)


def test_unquoted_substitution_only_runs_in_the_virtual_shell(
    device: adbutils.AdbDevice, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    r = device.shell2(f"echo $(touch {marker}) `touch {marker}`; echo done", v2=True)
    assert "done" in r.stdout
    assert not marker.exists()
    r = device.shell2("$(reboot)", v2=True)
    assert r.returncode != 0 and "reboot: not found" in r.stderr
    still_serving(device)


def test_rm_rf_root_harms_nothing(device: adbutils.AdbDevice, phone: Any, tmp_path: Path) -> None:
    sentinel = tmp_path / "host-file"
    sentinel.write_text("keep")
    device.shell("echo keep > /sdcard/Documents/keep.txt")
    with phone.lock:
        settings_before = phone.get_setting("global", "wifi_on")
        labels_before = phone.labels()
    r = device.shell2("echo x; rm -rf /; rm -rf / --no-preserve-root; ; rm -rf /", v2=True)
    assert r.returncode != 0  # `; ;` is a syntax error, like mksh
    device.shell2("echo x; rm -rf /", v2=True)
    assert device.shell("cat /sdcard/Documents/keep.txt") == "keep"
    assert sentinel.read_text() == "keep"
    with phone.lock:
        assert phone.get_setting("global", "wifi_on") == settings_before
        assert phone.labels() == labels_before
    still_serving(device)


def test_malformed_shell_lines(device: adbutils.AdbDevice) -> None:
    for line in [
        "echo 'unterminated",
        "echo $(echo",
        "echo `",
        ":(){ :|:& };:",
        "|",
        "&& ls",
        "echo ${",
        "(ls)",
        "a" * 60_000,
    ]:
        r = device.shell2(line, v2=True)
        assert r.returncode != 0, line
    deep = "echo " + "$(echo " * 50 + "x" + ")" * 50
    assert device.shell2(deep, v2=True).returncode >= 0
    still_serving(device)


def test_ten_megabytes_of_garbage(sim: SimServer, device: adbutils.AdbDevice) -> None:
    garbage = os.urandom(10 * 1024 * 1024)
    with socket.create_connection(("127.0.0.1", sim.ports[0]), timeout=10) as s:
        try:
            s.sendall(garbage)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the device hung up on us: what we want
        s.settimeout(5)
        try:
            assert s.recv(1) == b""
        except (ConnectionResetError, TimeoutError):
            pass
    # garbage after a proper handshake
    c = RawAdb(sim.ports[0])
    try:
        c.sock.sendall(os.urandom(1024 * 1024))
    except (BrokenPipeError, ConnectionResetError):
        pass
    c.close()
    still_serving(device)


def test_huge_and_invalid_headers(sim: SimServer, device: adbutils.AdbDevice) -> None:
    for header in [
        struct.pack("<6I", A_CNXN, 0x01000001, 4096, 0xFFFFFFFF, 0, A_CNXN ^ 0xFFFFFFFF),  # huge payload
        struct.pack("<6I", A_CNXN, 0x01000001, 4096, 0, 0, 0x12345678),  # bad magic
        struct.pack("<6I", 0x41414141, 0, 0, 0, 0, 0x41414141 ^ 0xFFFFFFFF),  # unknown command
        struct.pack("<6I", A_OPEN, 1, 0, 4, 0, A_OPEN ^ 0xFFFFFFFF) + b"sh\0\0",  # OPEN before CNXN
    ]:
        with socket.create_connection(("127.0.0.1", sim.ports[0]), timeout=5) as s:
            s.sendall(header)
            s.settimeout(5)
            data = s.recv(100)
            assert data == b""
    c = RawAdb(sim.ports[0])
    try:
        c.send(A_WRTE, 99, 12345, b"to nowhere")  # unknown stream: CLSE, connection lives
        cmd, _, _, _ = c.recv()
        c.send(A_OPEN, 1, 0, b"shell:echo ok\0")
        cmd, _dev_id, _, _ = c.recv()
        assert cmd == A_OKAY
        cmd, _, _, payload = c.recv()
        assert (cmd, payload) == (A_WRTE, b"ok\n")
    finally:
        c.close()
    still_serving(device)


def test_client_disconnects_mid_stream(sim: SimServer, device: adbutils.AdbDevice, phone: Any) -> None:
    for _ in range(3):
        c = RawAdb(sim.ports[0], max_payload=4096)
        c.send(A_OPEN, 1, 0, b"exec:screencap -p\0")
        c.recv()  # OKAY
        c.recv()  # first WRTE, never acknowledged
        c.close()
    # an upload abandoned half-way leaves no file behind
    c = RawAdb(sim.ports[0])
    c.send(A_OPEN, 2, 0, b"sync:\0")
    _, dev_id, _, _ = c.recv()
    body = b"/sdcard/half.bin,33188"
    c.send(
        A_WRTE,
        2,
        dev_id,
        b"SEND" + struct.pack("<I", len(body)) + body + b"DATA" + struct.pack("<I", 65536) + b"x" * 1000,
    )
    c.recv()
    c.close()
    # a u2 HTTP request cut in the middle
    c = RawAdb(sim.ports[0])
    c.send(A_OPEN, 3, 0, b"tcp:9008\0")
    _, dev_id, _, _ = c.recv()
    c.send(A_WRTE, 3, dev_id, b"POST /jsonrpc/0 HTTP/1.1\r\nContent-Length: 500\r\n\r\n{")
    c.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with phone.lock:
            if not phone.fs.exists("/sdcard/half.bin"):
                break
        time.sleep(0.05)
    with phone.lock:
        assert not phone.fs.exists("/sdcard/half.bin")
    still_serving(device)


def test_adb_cli_interrupted_pull_then_serving(serial: str, device: adbutils.AdbDevice) -> None:
    device.sync.push(io.BytesIO(b"y" * 3 * 1024 * 1024), "/sdcard/big.bin")
    res = adb(serial, "shell", "cat /sdcard/big.bin | head -c 10; echo")
    assert res.returncode == 0
    still_serving(device)


def test_flood_of_opens_is_bounded(sim: SimServer, device: adbutils.AdbDevice) -> None:
    c = RawAdb(sim.ports[0])
    try:
        # foreground servers that never end: each holds a stream open
        cmd = b"shell:CLASSPATH=/data/local/tmp/u2.jar app_process / com.wetest.uia2.Main\0"
        if not device.sync.exists("/data/local/tmp/u2.jar"):
            device.sync.push(io.BytesIO(b"jar"), "/data/local/tmp/u2.jar")
        for i in range(300):
            c.send(A_OPEN, i + 1, 0, cmd)
        refused = 0
        okays = 0
        c.sock.settimeout(5)
        while okays + refused < 300:
            kind, _a0, _a1, _ = c.recv()
            if kind == A_OKAY and _a0 != 0:
                okays += 1
            elif kind == 0x45534C43 and _a0 == 0:
                refused += 1
        assert okays == 256 and refused == 44
    finally:
        c.close()
    still_serving(device)
