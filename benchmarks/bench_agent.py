"""Agent framework benchmark: overhead per step, model calls and image tokens per step.

Runs the real runner on the virtual phone over ADB with an in-process, zero-latency scripted
model (a policy that reads the phone's UI and taps the Wi-Fi switch on and off), so what is
left of a step after the model time and the settle wait is the framework's own cost:
screenshot capture, resizing, PNG encoding, the screen-difference measure, the bus and the run
directory writer, prompt building and parsing, and the device action itself.

    python benchmarks/bench_agent.py [--steps 20]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import adbutils

from mobile_agent.agent import Agent
from mobile_agent.config import AgentConfig
from mobile_agent.coords import image_tokens, smart_resize
from mobile_agent.llm.base import Message
from mobile_agent.llm.scripted import ScriptedModel, role_of
from mobile_agent.sim import SimServer, connect_adb

_SWITCH = re.compile(r'class="android.widget.Switch"[^>]*bounds="\[(\d+),(\d+)\]\[(\d+),(\d+)\]"')


def toggling_policy(serial: str) -> ScriptedModel:
    """Taps the Wi-Fi switch every step (each step really changes the screen)."""
    device = adbutils.adb.device(serial)
    xml = device.shell("uiautomator dump /sdcard/w.xml >/dev/null && cat /sdcard/w.xml")
    m = _SWITCH.search(xml)
    assert m, "the Settings screen should show the Wi-Fi switch"
    x1, y1, x2, y2 = map(int, m.groups())
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2

    def answer(messages: list[Message]) -> str:
        role = role_of(messages)
        img = messages[-1].images()[0]
        px, py = round(cx * img.width / 1080), round(cy * img.height / 2400)
        if role == "manager":
            return "### Thought\n-\n### Completed\n-\n### Plan\n1. Toggle Wi-Fi\n### Current Subgoal\nToggle Wi-Fi\n### Status\nin_progress"
        if role == "worker":
            return f'### Thought\n-\n### Action\n{{"action": "click", "coordinate": [{px}, {py}]}}\n### Description\ntoggle'
        if role == "reflector":
            return "### Thought\n-\n### Outcome\nA\n### Error\nNone"
        if role == "notetaker":
            return "### Notes\n- none"
        call = f'{{"name": "mobile_use", "arguments": {{"action": "click", "coordinate": [{px}, {py}]}}}}'
        return f"<thinking>-</thinking>\n<tool_call>\n{call}\n</tool_call>\n<conclusion>Toggled Wi-Fi.</conclusion>"

    return ScriptedModel(answer)


async def measure(serial: str, mode: Literal["multi", "single"], steps: int, out: Path) -> dict[str, Any]:
    model = toggling_policy(serial)
    # toggling on and off is a deliberate cycle: keep the loop rules out of the measurement
    config = AgentConfig(
        runs_dir=out, mode=mode, max_steps=steps, settle_timeout_s=2.0, loop_threshold=10_000
    )
    t0 = time.perf_counter()
    result = await Agent(serial, config=config, models=model).run("Toggle Wi-Fi over and over")
    wall = time.perf_counter() - t0
    per_step = result.timings["steps"]
    overhead = [s["overhead_s"] for s in per_step]
    own = [s["overhead_s"] - s["device_s"] for s in per_step]
    return {
        "mode": mode,
        "steps": result.steps,
        "status": result.status,
        "wall_s": wall,
        "overhead_median_ms": statistics.median(overhead) * 1000,
        "overhead_p90_ms": sorted(overhead)[int(0.9 * (len(overhead) - 1))] * 1000,
        "own_median_ms": statistics.median(own) * 1000,
        "settle_median_ms": statistics.median(s["settle_s"] for s in per_step) * 1000,
        "device_median_ms": statistics.median(s["device_s"] for s in per_step) * 1000,
        "calls_per_step": result.usage["calls"] / result.steps,
        "image_tokens_per_step": result.usage["image_tokens"] / result.steps,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    sim = SimServer(count=1, port=0, seed=0).start()
    serial = sim.serials[0]
    try:
        connect_adb(serial)
        adbutils.adb.device(serial).shell("am start -n com.android.settings/.Settings")
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            for mode in ("multi", "single"):
                rows.append(asyncio.run(measure(serial, mode, args.steps, Path(tmp))))
    finally:
        adbutils.adb.disconnect(serial)
        sim.stop()
    h, w = smart_resize(2400, 1080)
    print(
        f"virtual phone 1080x2400 -> model image {w}x{h} = {image_tokens(h, w)} image tokens (smart_resize)"
    )
    head = (
        "mode",
        "steps",
        "overhead median",
        "p90",
        "of it device",
        "framework",
        "settle",
        "calls/step",
        "img tok/step",
    )
    print("".join(f"{h:>{w}}" for h, w in zip(head, (6, 7, 17, 10, 14, 11, 9, 12, 14), strict=True)))
    for r in rows:
        print(
            f"{r['mode']:>6}{r['steps']:>7}{r['overhead_median_ms']:>14.1f} ms{r['overhead_p90_ms']:>7.1f} ms"
            f"{r['device_median_ms']:>11.1f} ms{r['own_median_ms']:>8.1f} ms{r['settle_median_ms']:>6.0f} ms"
            f"{r['calls_per_step']:>12.2f}{r['image_tokens_per_step']:>14.0f}"
        )
    print("overhead = step wall time - model time - settle wait (target: median under 30 ms);")
    print("'of it device' = the action's own ADB round trip; 'framework' = overhead without it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
