"""MCP tool-call round trip on the virtual phone: `screenshot` and `tap` through the MCP SDK's client.

Starts one virtual phone, spawns `mobile-agent mcp --device SERIAL` over stdio (as a desktop
client would), warms up, then times N calls of each tool from `call_tool` to its result and
prints p50/p95. A screenshot's time includes the PNG's base64 trip over the pipe; a tap's, the
bounds check (`wm size`, cached) and the adb `input tap`.

    python benchmarks/bench_mcp.py [--calls 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

import adbutils
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from mobile_agent.sim import SimServer, connect_adb


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def time_calls(session: ClientSession, name: str, args: dict[str, int], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        result = await session.call_tool(name, args)
        out.append((time.perf_counter() - start) * 1000)
        if result.is_error:
            raise SystemExit(f"{name} failed: {result.content}")
    return out


async def main(calls: int) -> None:
    sim = SimServer(count=1, port=0, seed=0).start()
    serial = sim.serials[0]
    try:
        connect_adb(serial)
        env = {k: v for k, v in os.environ.items() if k.startswith(("ADB", "ANDROID", "PYTHON"))}
        params = StdioServerParameters(
            command=str(Path(sys.executable).with_name("mobile-agent")),
            args=["mcp", "--device", serial],
            env=env,
        )
        started = time.perf_counter()
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            print(f"server spawn + initialize: {(time.perf_counter() - started) * 1000:.0f} ms")
            await time_calls(session, "screenshot", {}, 3)  # warm-up: connection, size cache
            await time_calls(session, "tap", {"x": 540, "y": 300}, 3)
            for name, args in (("screenshot", {}), ("tap", {"x": 540, "y": 300})):
                ms = await time_calls(session, name, args, calls)
                print(
                    f"{name:<10} n={calls}  p50 {statistics.median(ms):6.1f} ms  p95 {percentile(ms, 0.95):6.1f} ms"
                )
    finally:
        with contextlib.suppress(Exception):
            adbutils.adb.disconnect(serial)
        sim.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    asyncio.run(main(parser.parse_args().calls))
