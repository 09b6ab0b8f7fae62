"""`adb reverse` bookkeeping and the `framebuffer:` service, through real clients and a raw host."""

from __future__ import annotations

import io
import struct

import adbutils
from PIL import Image
from raw_adb import A_CLSE, A_OKAY, A_OPEN, A_WRTE, RawAdb
from sim_support import adb

from mobile_agent.sim import SimServer


def test_adbutils_reverse_round_trip(device: adbutils.AdbDevice) -> None:
    device.reverse_remove_all()
    assert device.reverse_list() == []
    device.reverse("tcp:18081", "tcp:8081")
    device.reverse("localabstract:agent", "tcp:9000")
    assert [(r.remote, r.local) for r in device.reverse_list()] == [
        ("tcp:18081", "tcp:8081"),
        ("localabstract:agent", "tcp:9000"),
    ]
    device.reverse("tcp:18081", "tcp:8082")  # rebinding replaces
    assert device.reverse_list()[0].local == "tcp:8082"
    try:
        device.reverse("tcp:18081", "tcp:1", norebind=True)
        raise AssertionError("norebind over an existing reverse must fail")
    except adbutils.AdbError as exc:
        assert "cannot rebind" in str(exc)
    device.reverse_remove("tcp:18081")
    assert [r.remote for r in device.reverse_list()] == ["localabstract:agent"]
    device.reverse_remove_all()
    assert device.reverse_list() == []


def test_adb_cli_reverse(serial: str) -> None:
    assert adb(serial, "reverse", "--remove-all").returncode == 0
    res = adb(serial, "reverse", "tcp:18090", "tcp:8090")
    assert res.returncode == 0, res.stderr
    listed = adb(serial, "reverse", "--list").stdout.decode()
    assert listed.split() == ["(reverse)", "tcp:18090", "tcp:8090"]
    picked = adb(serial, "reverse", "tcp:0", "tcp:8091")
    assert picked.returncode == 0 and picked.stdout.decode().strip().isdigit()
    missing = adb(serial, "reverse", "--remove", "tcp:1")
    assert missing.returncode != 0 and b"not found" in missing.stderr
    assert adb(serial, "reverse", "--remove", "tcp:18090").returncode == 0
    assert "tcp:18090" not in adb(serial, "reverse", "--list").stdout.decode()
    assert adb(serial, "reverse", "--remove-all").returncode == 0
    assert adb(serial, "reverse", "--list").stdout.strip() == b""


def test_reverse_tcp0_never_takes_a_port_in_use_and_ports_end_at_65535(serial: str) -> None:
    """`reverse tcp:0` picked the next port even if a reverse held it, silently replacing that one."""
    assert adb(serial, "reverse", "--remove-all").returncode == 0
    first = int(adb(serial, "reverse", "tcp:0", "tcp:8101").stdout.decode().strip())
    assert adb(serial, "reverse", f"tcp:{first + 1}", "tcp:1111").returncode == 0  # the next pick
    second = int(adb(serial, "reverse", "tcp:0", "tcp:2222").stdout.decode().strip())
    assert second not in (first, first + 1)
    listed = adb(serial, "reverse", "--list").stdout.decode().splitlines()
    assert f"(reverse) tcp:{first + 1} tcp:1111" in [line.strip() for line in listed]
    for remote, local in (("tcp:99999", "tcp:1"), ("tcp:1", "tcp:70000")):
        res = adb(serial, "reverse", remote, local)
        assert res.returncode != 0 and b"bad socket specification" in res.stderr, res
    assert adb(serial, "reverse", "--remove-all").returncode == 0


def _raw_framebuffer(port: int) -> bytes:
    c = RawAdb(port)
    try:
        c.send(A_OPEN, 5, 0, b"framebuffer:\0")
        kind, dev_id, _, _ = c.recv()
        assert kind == A_OKAY
        data = bytearray()
        while True:
            kind, _, _, payload = c.recv()
            if kind == A_WRTE:
                data += payload
                c.send(A_OKAY, 5, dev_id)
            elif kind == A_CLSE:
                return bytes(data)
    finally:
        c.close()


def test_framebuffer_header_and_pixels_match_screencap(sim: SimServer, serial: str) -> None:
    data = _raw_framebuffer(sim.ports[0])
    version, bpp, color_space, size, width, height = struct.unpack("<6I", data[:24])
    offsets = struct.unpack("<8I", data[24:56])
    assert (version, bpp, color_space) == (2, 32, 1)
    assert (width, height) == (1080, 2400) and size == width * height * 4 == len(data) - 56
    assert offsets == (0, 8, 16, 8, 8, 8, 24, 8)  # red, blue, green, alpha: offset and length
    png = adb(serial, "exec-out", "screencap", "-p").stdout
    shot = Image.open(io.BytesIO(png)).convert("RGBA")
    assert Image.frombytes("RGBA", (width, height), data[56:]).tobytes() == shot.tobytes()


def test_adbutils_framebuffer(device: adbutils.AdbDevice) -> None:
    img = device.framebuffer()
    assert img.size == (1080, 2400)
    assert img.convert("RGB").tobytes() == device.screenshot().convert("RGB").tobytes()
