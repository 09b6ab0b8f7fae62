"""The ADB wire protocol spoken by a raw socket client: handshake, streams, flow control."""

from __future__ import annotations

import struct

from raw_adb import A_CLSE, A_OKAY, A_OPEN, A_WRTE, RawAdb

from mobile_agent.sim import SimServer


def test_cnxn_banner_has_features_and_product(sim: SimServer) -> None:
    c = RawAdb(sim.ports[0])
    try:
        text = c.banner.decode()
        assert text.startswith("device::")
        assert "ro.product.model=" in text and "ro.product.name=" in text and "ro.product.device=" in text
        assert text.endswith("features=shell_v2,cmd")
    finally:
        c.close()


def test_unknown_service_is_answered_with_clse(sim: SimServer) -> None:
    c = RawAdb(sim.ports[0])
    try:
        c.send(A_OPEN, 7, 0, b"framebuffer-nope:\0")
        cmd, _a0, a1, _ = c.recv()
        assert (cmd, a1) == (A_CLSE, 7)
        c.send(A_OPEN, 8, 0, b"tcp:1234\0")
        cmd, _a0, a1, _ = c.recv()
        assert (cmd, a1) == (A_CLSE, 8)
    finally:
        c.close()


def test_one_wrte_in_flight_split_to_host_max_payload(sim: SimServer) -> None:
    c = RawAdb(sim.ports[0], max_payload=4096)
    try:
        c.send(A_OPEN, 1, 0, b"exec:screencap -p\0")
        cmd, dev_id, host_id, _ = c.recv()
        assert (cmd, host_id) == (A_OKAY, 1)
        cmd, _, _, first = c.recv()
        assert cmd == A_WRTE and len(first) == 4096
        # Without our OKAY the device must not send more.
        c.sock.settimeout(0.3)
        try:
            c.sock.recv(1)
            raise AssertionError("device sent a second WRTE before OKAY")
        except TimeoutError:
            pass
        c.sock.settimeout(5)
        data = bytearray(first)
        c.send(A_OKAY, 1, dev_id)
        while True:
            cmd, _, _, payload = c.recv()
            if cmd == A_CLSE:
                break
            assert cmd == A_WRTE and len(payload) <= 4096
            data += payload
            c.send(A_OKAY, 1, dev_id)
        assert bytes(data[:8]) == b"\x89PNG\r\n\x1a\n"
    finally:
        c.close()


def test_shell_v2_packets_and_stdin_close(sim: SimServer) -> None:
    c = RawAdb(sim.ports[0])
    try:
        c.send(A_OPEN, 3, 0, b"shell,v2,TERM=xterm,raw:echo out; echo err 1>&2; exit 7\0")
        cmd, dev_id, _, _ = c.recv()
        assert cmd == A_OKAY
        c.send(A_WRTE, 3, dev_id, struct.pack("<BI", 4, 0))  # close stdin
        packets = bytearray()
        while True:
            cmd, _, _, payload = c.recv()
            if cmd == A_OKAY:
                continue
            if cmd == A_CLSE:
                break
            packets += payload
            c.send(A_OKAY, 3, dev_id)
        seen = []
        i = 0
        while i < len(packets):
            kind, length = struct.unpack("<BI", packets[i : i + 5])
            seen.append((kind, bytes(packets[i + 5 : i + 5 + length])))
            i += 5 + length
        assert seen == [(1, b"out\n"), (2, b"err\n"), (3, bytes([7]))]
    finally:
        c.close()


def test_sync_requests_packed_in_one_write(sim: SimServer) -> None:
    c = RawAdb(sim.ports[0])
    try:
        c.send(A_OPEN, 5, 0, b"sync:\0")
        _, dev_id, _, _ = c.recv()
        body = b"/data/local/tmp/packed.txt,33188"
        req = (
            b"SEND"
            + struct.pack("<I", len(body))
            + body
            + b"DATA"
            + struct.pack("<I", 5)
            + b"hello"
            + b"DONE"
            + struct.pack("<I", 1700000000)
            + b"STAT"
            + struct.pack("<I", 26)
            + b"/data/local/tmp/packed.txt"
        )
        c.send(A_WRTE, 5, dev_id, req)
        replies = bytearray()
        while len(replies) < 8 + 16:
            cmd, _, _, payload = c.recv()
            if cmd == A_WRTE:
                replies += payload
                c.send(A_OKAY, 5, dev_id)
        assert replies[:8] == b"OKAY\0\0\0\0"
        tag, mode, size, mtime = struct.unpack("<4sIII", replies[8:24])
        assert (tag, size, mtime) == (b"STAT", 5, 1700000000)
        assert mode & 0o100000
    finally:
        c.close()
