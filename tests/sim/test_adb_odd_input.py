"""Odd input to the virtual phone's ADB side (shell, sync service, interactive shell, u2 JSON-RPC)
and to its text fields: each case was found by fuzzing and once broke the phone."""

from __future__ import annotations

import json
import struct

import pytest
from raw_adb import A_CLSE, A_OKAY, A_OPEN, A_WRTE, RawAdb
from sim_support import center, nodes

from mobile_agent.sim import SimServer, fonts
from mobile_agent.sim.phone import VirtualPhone
from mobile_agent.sim.shell import Shell
from mobile_agent.sim.u2rpc import U2Rpc, _handle_jsonrpc


@pytest.fixture(scope="module")
def vphone() -> VirtualPhone:
    return VirtualPhone(0)


@pytest.mark.parametrize("line", ["\udc80", "echo \udcff", "input text \ud800", "ls /sdcard/\udc9f"])
def test_shell_run_never_raises_on_lone_surrogates(vphone: VirtualPhone, line: str) -> None:
    r = Shell(vphone).run(line)  # a line of non-UTF-8 bytes decoded with surrogateescape
    assert isinstance(r.code, int)
    r.merged.decode("utf-8")
    assert Shell(vphone).run("echo ok").stdout == b"ok\n"


@pytest.mark.parametrize("tool", ["head", "tail"])
def test_head_tail_bad_count_is_toybox_error(vphone: VirtualPhone, tool: str) -> None:
    r = Shell(vphone).run(f"echo a | {tool} -n x")
    assert r.code == 1
    assert r.stderr == f"{tool}: not integer: x\n".encode()
    assert Shell(vphone).run(f"echo a | {tool} -n 1").stdout == b"a\n"


def test_am_force_stop_with_only_options(vphone: VirtualPhone) -> None:
    r = Shell(vphone).run("am force-stop --user")
    assert r.code == 255
    assert b"Argument expected after" in r.stderr and b"Error:" not in r.stderr
    assert b"IndexError" not in r.merged


def _sync(port: int, payload: bytes) -> bytes:
    c = RawAdb(port)
    try:
        c.sock.settimeout(5)
        c.send(A_OPEN, 5, 0, b"sync:\0")
        cmd, lid, _, _ = c.recv()
        assert cmd == A_OKAY
        c.send(A_WRTE, 5, lid, payload)
        out = b""
        while True:
            cmd, _, _, data = c.recv()
            if cmd == A_WRTE:
                out += data
                c.send(A_OKAY, 5, lid)
            elif cmd == A_CLSE:
                return out
    finally:
        c.close()


def _req(cmd: bytes, data: bytes) -> bytes:
    return struct.pack("<4sI", cmd, len(data)) + data


@pytest.mark.parametrize("mode", [b"-5", b"4294967296", b"99999999999999", b"16877"])
def test_push_with_odd_mode_leaves_stat_and_list_working(sim: SimServer, mode: bytes) -> None:
    path = b"/sdcard/Download/odd" + mode.replace(b"-", b"n")
    push = _req(b"SEND", path + b"," + mode) + _req(b"DATA", b"abc") + struct.pack("<4sI", b"DONE", 7)
    assert _sync(sim.ports[0], push + _req(b"QUIT", b"")) == b"OKAY\0\0\0\0"
    out = _sync(sim.ports[0], _req(b"STAT", path) + _req(b"LIST", b"/sdcard/Download") + _req(b"QUIT", b""))
    tag, st_mode, size, _mtime = struct.unpack("<4sIII", out[:16])
    assert tag == b"STAT" and size == 3
    assert st_mode & 0o170000 == 0o100000  # a regular file, as adbd creates
    assert out.endswith(b"DONE" + b"\0" * 16) and path.rsplit(b"/", 1)[1] in out


def test_interactive_exit_with_non_ascii_digit_ends_cleanly(sim: SimServer) -> None:
    c = RawAdb(sim.ports[0])
    try:
        c.sock.settimeout(5)
        c.send(A_OPEN, 9, 0, b"shell,v2,raw:\0")
        cmd, lid, _, _ = c.recv()
        assert cmd == A_OKAY
        line = "exit ²\n".encode()
        c.send(A_WRTE, 9, lid, struct.pack("<BI", 0, len(line)) + line)
        out = b""
        while True:
            cmd, _, _, data = c.recv()
            if cmd == A_WRTE:
                out += data
                c.send(A_OKAY, 9, lid)
            elif cmd == A_CLSE:
                break
        assert out.endswith(b"\x03\x01\x00\x00\x00\x00")  # an exit packet, status 0
    finally:
        c.close()


@pytest.mark.parametrize(
    "request_json",
    [
        '{"id": 1, "method": "exist", "params": ["x"]}',
        '{"id": 1, "method": "count", "params": [[1]]}',
        '{"id": 1, "method": "objInfoOfAllInstances", "params": [5]}',
        '{"id": 1, "method": "click", "params": [Infinity, 1]}',
        '{"id": 1, "method": "takeScreenshot", "params": [0.5, Infinity]}',
    ],
)
def test_u2_bad_params_are_invalid_params(vphone: VirtualPhone, request_json: str) -> None:
    reply = json.loads(_handle_jsonrpc(U2Rpc(vphone), request_json.encode()))
    assert reply["error"]["code"] == -32602, reply
    assert reply["error"]["message"].startswith("Invalid params")


@pytest.mark.parametrize("line", ["input tap inf 5", "input tap 1e999 1", "input swipe 1 1 2 2 Infinity"])
def test_input_infinite_coordinates_are_invalid_arguments(vphone: VirtualPhone, line: str) -> None:
    r = Shell(vphone).run(line)
    assert r.code == 1
    assert r.stderr.startswith(b"Error: Invalid arguments for command: ")
    assert b"OverflowError" not in r.merged


@pytest.mark.parametrize(
    "move", ["mv /sdcard/same /sdcard/same", "mv /sdcard/same /sdcard/", "cd /sdcard; mv same ./same"]
)
def test_mv_onto_itself_keeps_the_file(vphone: VirtualPhone, move: str) -> None:
    sh = Shell(vphone)
    sh.run("echo keep > /sdcard/same")
    r = sh.run(move)
    assert r.code == 1 and b"are the same file" in r.stderr
    assert Shell(vphone).run("cat /sdcard/same").stdout == b"keep\n"


def test_mv_moves_a_file_into_a_directory(vphone: VirtualPhone) -> None:
    sh = Shell(vphone)
    sh.run("echo moved > /sdcard/tomove")
    assert sh.run("mv /sdcard/tomove /sdcard/Documents").code == 0
    assert sh.run("cat /sdcard/Documents/tomove").stdout == b"moved\n"
    assert sh.run("ls /sdcard/tomove").code != 0


def test_echo_e_keeps_utf8_text(vphone: VirtualPhone) -> None:
    r = Shell(vphone).run("echo -e 'café\\t日本'")
    assert r.stdout == "café\t日本\n".encode()
    assert Shell(vphone).run("echo -ne '\\x41\\xff'").stdout == b"A\xff"


def _focus_contacts_search(phone: VirtualPhone) -> None:
    phone.start_activity("com.android.contacts")
    field = next(n for n in nodes(phone.dump_hierarchy()) if n.get("class", "").endswith("EditText"))
    phone.tap(*center(field))


def test_long_focused_text_is_fitted_with_few_measurements(monkeypatch: pytest.MonkeyPatch) -> None:
    phone = VirtualPhone(0)
    _focus_contacts_search(phone)
    phone.input_text("word " * 1000)  # 5,000 characters: was one measurement per character (~10 s)
    calls = 0
    real = fonts.text_width

    def counting(text: str, size: int, bold: bool = False) -> int:
        nonlocal calls
        calls += 1
        return real(text, size, bold)

    monkeypatch.setattr(fonts, "text_width", counting)
    phone.screenshot()
    assert calls < 200
    assert fonts.ellipsize("word " * 1000, 42, 500) == real_ellipsize_reference("word " * 1000, 42, 500)


def real_ellipsize_reference(text: str, size: int, width: int) -> str:
    while text and fonts.text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def test_a_million_characters_in_a_field_do_not_break_screenshots() -> None:
    phone = VirtualPhone(0)
    _focus_contacts_search(phone)
    phone.input_text("x" * 1_000_001)  # Pillow measures at most 1,000,000 characters at once
    img = phone.screenshot()
    assert img.size == (1080, 2400)
    phone.key(4)
    assert phone.screenshot_png()


@pytest.mark.parametrize("method", ["waitForExists", "waitUntilGone"])
def test_u2_wait_with_nan_timeout_returns(vphone: VirtualPhone, method: str) -> None:
    import threading

    sel = (
        {"text": "no such text"} if method == "waitForExists" else {"className": "android.widget.FrameLayout"}
    )
    body = json.dumps({"id": 1, "method": method, "params": [sel, float("nan")]}).encode()
    replies: list[bytes] = []
    worker = threading.Thread(
        target=lambda: replies.append(_handle_jsonrpc(U2Rpc(vphone), body)), daemon=True
    )
    worker.start()
    worker.join(10)  # it looped forever, holding one of the sim's worker threads
    assert not worker.is_alive()
    assert json.loads(replies[0])["result"] is False
