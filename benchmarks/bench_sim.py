"""Virtual phone speed, through the real clients (adb server + adbutils). Prints figures, asserts nothing.

    python benchmarks/bench_sim.py [--rounds 30] [--phones 16]

- screenshot(): adbutils `screenshot()` round trip (screencap -p over shell:, PNG decode)
- tap -> changed frame: `input tap` on a launcher icon, then screenshots until the frame differs,
  through adbutils and through the framework's own async adb client (`device/adb_host.py`;
  adbutils sleeps 10 ms whenever it closes a connection, twice per call)
- N phones in one process: every phone screenshotted concurrently, per-call latency
- memory per phone: RSS growth of this process per started (and rendered) phone
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import adbutils

from mobile_agent.device.adb_host import run_service
from mobile_agent.sim import SimServer, connect_adb


def rss_mb() -> float:
    """Current resident set size of this process in MiB (Linux /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def show(name: str, values_s: list[float]) -> None:
    ms = [v * 1000 for v in values_s]
    print(f"{name:<44} median {statistics.median(ms):7.1f} ms   p95 {pct(ms, 0.95):7.1f} ms   (n={len(ms)})")


def icon_center(device: adbutils.AdbDevice, label: str) -> tuple[int, int]:
    root = ET.fromstring(device.dump_hierarchy().encode())
    for node in root.iter("node"):
        if node.get("text") == label:
            nums = [int(v) for v in node.get("bounds", "").replace("][", ",").strip("[]").split(",")]
            return (nums[0] + nums[2]) // 2, (nums[1] + nums[3]) // 2
    raise SystemExit(f"no launcher icon labelled {label!r}")


def bench_one(rounds: int) -> None:
    with SimServer(port=0) as sim:
        serial = sim.serials[0]
        connect_adb(serial)
        try:
            d = adbutils.adb.device(serial)
            d.screenshot()  # warm up
            show("adbutils screenshot() (unchanged screen)", [timed(d.screenshot) for _ in range(rounds)])

            label = sim.phones[0].labels()["com.android.settings"]
            d.shell("input keyevent HOME")
            x, y = icon_center(d, label)
            tap_rtt, changed = [], []
            for _ in range(rounds):
                d.shell("input keyevent HOME")
                before = d.shell("screencap -p", encoding=None)
                t0 = time.perf_counter()
                d.shell(f"input tap {x} {y}")
                tap_rtt.append(time.perf_counter() - t0)
                while d.shell("screencap -p", encoding=None) == before:
                    if time.perf_counter() - t0 > 5:
                        break
                changed.append(time.perf_counter() - t0)
            show("`input tap` shell round trip", tap_rtt)
            show("`input tap` -> changed frame (screencap)", changed)
            show(
                "adbutils screenshot() after a change",
                [timed(lambda: (d.shell("input keyevent HOME"), d.screenshot())) for _ in range(rounds)],
            )
        finally:
            adbutils.adb.disconnect(serial)


async def _driver_rounds(serial: str, x: int, y: int, rounds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"shot": [], "tap": [], "changed": []}
    for _ in range(rounds):
        await run_service(serial, "shell:input keyevent HOME")
        t0 = time.perf_counter()
        before = await run_service(serial, "shell:screencap -p")
        out["shot"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await run_service(serial, f"shell:input tap {x} {y}")
        out["tap"].append(time.perf_counter() - t0)
        while await run_service(serial, "shell:screencap -p") == before:
            if time.perf_counter() - t0 > 5:
                break
        out["changed"].append(time.perf_counter() - t0)
    return out


def bench_driver(rounds: int) -> None:
    """The same measures through the framework's async adb host-protocol client."""
    with SimServer(port=0) as sim:
        serial = sim.serials[0]
        connect_adb(serial)
        try:
            d = adbutils.adb.device(serial)
            x, y = icon_center(d, sim.phones[0].labels()["com.android.settings"])
            got = asyncio.run(_driver_rounds(serial, x, y, rounds))
            show("driver: screencap -p (right after a key event)", got["shot"])
            show("driver: `input tap` round trip", got["tap"])
            show("driver: `input tap` -> changed frame", got["changed"])
        finally:
            adbutils.adb.disconnect(serial)


def timed(func: object) -> float:
    t0 = time.perf_counter()
    func()  # type: ignore[operator]
    return time.perf_counter() - t0


def bench_many(count: int, rounds: int) -> None:
    base = rss_mb()
    t0 = time.perf_counter()
    sim = SimServer(count=count, port=0).start()
    started = time.perf_counter() - t0
    try:
        for s in sim.serials:
            connect_adb(s)
        devices = [adbutils.adb.device(s) for s in sim.serials]
        with ThreadPoolExecutor(max_workers=count) as pool:
            list(pool.map(lambda dev: dev.screenshot(), devices))  # every phone rendered once
            after = rss_mb()
            latencies: list[float] = []
            walls: list[float] = []
            for i in range(rounds):
                t_all = time.perf_counter()
                # every phone changes its screen each round (app <-> home), so every frame is rendered anew
                results = list(pool.map(one_round, devices, [i % 2 == 0] * len(devices)))
                walls.append(time.perf_counter() - t_all)
                latencies.extend(results)
        print(f"{count} phones: started in {started * 1000:.0f} ms")
        show(f"{count} phones: screenshot() each, concurrently", latencies)
        show(f"{count} phones: one round (all {count}) wall time", walls)
        print(
            f"memory: {(after - base) / count:.1f} MiB per phone (RSS {base:.0f} -> {after:.0f} MiB for {count} phones)"
        )
    finally:
        for s in sim.serials:
            adbutils.adb.disconnect(s)
        sim.stop()


def one_round(device: adbutils.AdbDevice, open_app: bool) -> float:
    if open_app:
        device.shell("am start -n com.android.settings/com.android.settings.Settings")
    else:
        device.shell("input keyevent HOME")
    t0 = time.perf_counter()
    device.screenshot()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--phones", type=int, default=16)
    args = parser.parse_args()
    bench_one(args.rounds)
    bench_driver(args.rounds)
    bench_many(args.phones, max(3, args.rounds // 5))


if __name__ == "__main__":
    main()
