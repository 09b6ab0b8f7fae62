"""The Debian `adb` CLI drives the virtual phone unmodified."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
from pathlib import Path

from PIL import Image
from sim_support import adb


def test_devices_lists_model_from_banner(serial: str) -> None:
    out = subprocess.run(["adb", "devices", "-l"], capture_output=True, text=True, timeout=20).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith(serial))
    assert " device " in line
    assert "model:" in line and "product:" in line and "device:" in line


def test_shell_v2_exit_codes_and_streams(serial: str) -> None:
    ok = adb(serial, "shell", "echo hello; exit 3")
    assert ok.returncode == 3
    assert ok.stdout == b"hello\n"
    missing = adb(serial, "shell", "definitely-not-a-command")
    assert missing.returncode == 127
    assert missing.stderr == b"/system/bin/sh: definitely-not-a-command: not found\n"
    assert missing.stdout == b""
    assert adb(serial, "shell", "true && false").returncode == 1
    assert adb(serial, "shell", "false || echo rescued").stdout == b"rescued\n"


def test_shell_with_separate_arguments_is_quoted_by_adb(serial: str) -> None:
    res = adb(serial, "shell", "echo", "'a  b'", "c")
    assert res.stdout == b"a  b c\n"


def test_exec_out_screencap_is_a_valid_png(serial: str) -> None:
    res = adb(serial, "exec-out", "screencap", "-p")
    assert res.returncode == 0
    img = Image.open(io.BytesIO(res.stdout))
    img.load()
    assert img.format == "PNG"
    assert img.size == (1080, 2400)


def test_push_pull_5mb_round_trip(serial: str, tmp_path: Path) -> None:
    data = os.urandom(5 * 1024 * 1024 + 123)
    src = tmp_path / "blob.bin"
    src.write_bytes(data)
    push = adb(serial, "push", str(src), "/sdcard/Download/new_dir/blob.bin")
    assert push.returncode == 0, push.stderr
    md5 = adb(serial, "shell", "md5sum /sdcard/Download/new_dir/blob.bin").stdout.decode()
    assert md5.split()[0] == hashlib.md5(data).hexdigest()
    dst = tmp_path / "back.bin"
    pull = adb(serial, "pull", "/sdcard/Download/new_dir/blob.bin", str(dst))
    assert pull.returncode == 0, pull.stderr
    assert hashlib.sha256(dst.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_pull_missing_file_fails_cleanly(serial: str, tmp_path: Path) -> None:
    res = adb(serial, "pull", "/sdcard/nope.bin", str(tmp_path / "x"))
    assert res.returncode != 0
    assert b"does not exist" in res.stdout + res.stderr
    assert adb(serial, "shell", "echo still-alive").stdout == b"still-alive\n"


def test_ls_after_push_sees_file(serial: str, tmp_path: Path) -> None:
    f = tmp_path / "note.txt"
    f.write_text("hello from the host\n")
    assert adb(serial, "push", str(f), "/data/local/tmp/note.txt").returncode == 0
    assert b"note.txt" in adb(serial, "shell", "ls /data/local/tmp").stdout
    assert adb(serial, "shell", "cat /data/local/tmp/note.txt").stdout == b"hello from the host\n"


def test_interactive_shell_reads_commands_from_stdin(serial: str) -> None:
    res = subprocess.run(
        ["adb", "-s", serial, "shell"],
        input=b"echo one\necho two >&2\nexit 3\necho never\n",
        capture_output=True,
        timeout=30,
    )
    assert (res.returncode, res.stdout, res.stderr) == (3, b"one\n", b"two\n")


def test_bundled_adb36_binary_drives_the_phone(sim: object, tmp_path: Path) -> None:
    """The adb binary inside the adbutils wheel, on a private server port (never the shared 5037)."""
    import socket

    import adbutils

    binary = Path(adbutils.__file__).parent / "binaries" / "adb"
    if not binary.exists():
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    serial = sim.serials[0]  # type: ignore[attr-defined]

    def run(*args: str, **kw: object) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([str(binary), "-P", port, *args], capture_output=True, timeout=60, **kw)  # type: ignore[call-overload]

    assert run("start-server").returncode == 0
    try:
        assert b"connected" in run("connect", serial).stdout
        assert run("-s", serial, "wait-for-device").returncode == 0
        res = run("-s", serial, "shell", "echo v36; exit 4")
        assert (res.returncode, res.stdout) == (4, b"v36\n")
        png = run("-s", serial, "exec-out", "screencap", "-p").stdout
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        data = os.urandom(1024 * 1024)
        (tmp_path / "a").write_bytes(data)
        assert run("-s", serial, "push", str(tmp_path / "a"), "/sdcard/v36.bin").returncode == 0
        assert run("-s", serial, "pull", "/sdcard/v36.bin", str(tmp_path / "b")).returncode == 0
        assert (tmp_path / "b").read_bytes() == data
    finally:
        run("kill-server")  # our private server only


def test_adb_root_is_refused_like_a_production_build(serial: str) -> None:
    res = adb(serial, "root")
    assert b"adbd cannot run as root in production builds" in res.stdout + res.stderr
    assert adb(serial, "shell", "whoami").stdout == b"shell\n"
