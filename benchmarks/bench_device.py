"""Device driver figures: adb shell calls per typed text, and the latency of each operation.

    python benchmarks/bench_device.py            # against a fresh virtual phone
    python benchmarks/bench_device.py --device SERIAL --rounds 10   # a real phone or emulator

Shell calls are counted by `AdbDevice.shell_calls` (every adb shell round trip goes through
one method), so "typing 40 ASCII characters = 1 call" is measured, not claimed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import string
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mobile_agent.device.adb import AdbDevice, connect_device
from mobile_agent.device.settle import frame_difference, wait_until_stable

HOSTILE_40 = 'it\'s $HOME; `id` & 100%s "ok" \\ *?~#!<>|'
assert len(HOSTILE_40) == 40 and all(c in string.printable for c in HOSTILE_40)


async def timed(fn: Callable[[], Awaitable[Any]], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - t)
    return out


def row(name: str, samples: list[float], extra: str = "") -> str:
    med = statistics.median(samples) * 1000
    p95 = sorted(samples)[max(0, int(len(samples) * 0.95) - 1)] * 1000
    return f"{name:<34} median {med:8.1f} ms   p95 {p95:8.1f} ms   {extra}"


async def bench(device: AdbDevice, rounds: int) -> None:
    await device.home()
    print(f"device {device.serial}, {rounds} rounds each")

    before = device.shell_calls
    t = time.perf_counter()
    await device.type_text(HOSTILE_40)
    typing_s = time.perf_counter() - t
    calls = device.shell_calls - before
    print(f"{'type 40 ASCII chars (hostile mix)':<34} {calls} adb shell call(s), {typing_s * 1000:.1f} ms")
    before = device.shell_calls
    await device.type_text("abc\ndef")
    label = "type 'abc\\ndef' (newline = ENTER)"
    print(f"{label:<34} {device.shell_calls - before} adb shell call(s)")
    before = device.shell_calls
    await device.type_text("你好, world 😀")
    print(f"{'type CJK + emoji (first time)':<34} {device.shell_calls - before} adb shell call(s)")
    before = device.shell_calls
    await device.type_text("再见")
    print(f"{'type CJK (keyboard already set)':<34} {device.shell_calls - before} adb shell call(s)")

    print(row("screenshot (screencap -p + decode)", await timed(device.screenshot, rounds)))
    print(row("tap", await timed(lambda: device.tap(540, 1200), rounds)))
    print(row("ui_tree (uiautomator dump + cat)", await timed(device.ui_tree, rounds)))
    print(row("current_app", await timed(device.current_app, rounds)))
    print(row("type 40 ASCII chars", await timed(lambda: device.type_text(HOSTILE_40), rounds)))
    shots = [await device.screenshot() for _ in range(2)]
    print(row("frame_difference (1080x2400)", await timed(lambda: _diff(shots), rounds)))
    print(row("wait_until_stable (static screen)", await timed(lambda: wait_until_stable(device), rounds)))
    await device.home()


async def _diff(shots: list[Any]) -> float:
    return frame_difference(shots[0], shots[1])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", help="serial of a real device; default: start a virtual phone")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    if args.device:
        device = await connect_device(args.device)
        try:
            await bench(device, args.rounds)
        finally:
            await device.close()
        return

    import adbutils

    from mobile_agent.sim import SimServer

    sim = SimServer(count=1, port=0, seed=0)
    await sim.start_async()
    serial = sim.serials[0]
    try:
        device = await connect_device(serial)
        await bench(device, args.rounds)
        await device.close()
    finally:
        await sim.stop_async()
        await asyncio.to_thread(adbutils.AdbClient().disconnect, serial)


if __name__ == "__main__":
    asyncio.run(main())
