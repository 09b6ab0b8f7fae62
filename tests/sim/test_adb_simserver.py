"""SimServer lifecycle: consecutive ports, seeds, async use, and the `python -m mobile_agent.sim` command."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time

import adbutils
import pytest
from sim_support import phone_factory

from mobile_agent.sim import SimServer, connect_adb


def test_consecutive_ports_and_seeds() -> None:
    for _ in range(20):
        base = random.randint(20000, 40000)
        try:
            sim = SimServer(count=3, port=base, seed=7, phone_factory=phone_factory()).start()
        except OSError:
            continue
        break
    else:
        pytest.skip("no free port range found")
    try:
        assert sim.ports == [base, base + 1, base + 2]
        assert sim.serials == [f"127.0.0.1:{p}" for p in sim.ports]
        assert len(sim.phones) == 3 and len({id(p) for p in sim.phones}) == 3
    finally:
        sim.stop()
    # stopped: the ports refuse connections
    import socket

    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", base), timeout=1)


def test_ephemeral_ports_serve_independently() -> None:
    with SimServer(count=2, port=0, phone_factory=phone_factory()) as sim:
        assert len(set(sim.ports)) == 2
        for s in sim.serials:
            connect_adb(s)
        try:
            d0, d1 = (adbutils.adb.device(s) for s in sim.serials)
            d0.shell("echo zero > /sdcard/who.txt")
            assert d0.shell("cat /sdcard/who.txt") == "zero"
            assert "No such file" in d1.shell("cat /sdcard/who.txt")
        finally:
            for s in sim.serials:
                adbutils.adb.disconnect(s)


async def test_async_context_manager() -> None:
    async with SimServer(port=0, phone_factory=phone_factory()) as sim:
        import asyncio

        reader, writer = await asyncio.open_connection("127.0.0.1", sim.ports[0])
        import struct

        banner = b"host::\0"
        writer.write(
            struct.pack(
                "<6I", 0x4E584E43, 0x01000001, 4096, len(banner), sum(banner), 0x4E584E43 ^ 0xFFFFFFFF
            )
            + banner
        )
        header = await reader.readexactly(24)
        assert struct.unpack("<6I", header)[0] == 0x4E584E43
        writer.close()


def test_python_m_sim_runs_until_sigterm() -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mobile_agent.sim", "--port", "0", "--count", "2", "--seed", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        serials: list[str] = []
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            m = re.match(r"\s+(127\.0\.0\.1:\d+)$", line.rstrip())
            if m:
                serials.append(m.group(1))
            if line.startswith("Connect with: adb connect"):
                break
        assert len(serials) == 2
        connect_adb(serials[1])
        try:
            assert adbutils.adb.device(serials[1]).shell("echo up") == "up"
        finally:
            adbutils.adb.disconnect(serials[1])
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
