"""Task API under load: one `serve` process, 16 virtual phones, a scripted model with 200 ms
latency, 64 tasks submitted at once.

Checks that every task finishes, none is lost and no phone is ever leased to two tasks at once
(from each task's device and start/finish times), and prints the throughput (agent steps per
second), the p50/p95 latency of `GET /v1/tasks/{id}` while the load runs, and the serve
process's peak memory (VmHWM).

    python benchmarks/bench_api.py [--phones 16] [--tasks 64] [--latency 0.2] [--taps 2]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import adbutils
import httpx

from mobile_agent.testing import ChatRequest, StubChatServer

TERMINAL = {"succeeded", "failed", "cancelled", "interrupted"}

SIM_SCRIPT = """
import sys
from mobile_agent.sim import SimServer
sim = SimServer(count=int(sys.argv[1]), port=0, seed=1).start()
print(" ".join(sim.serials), flush=True)
sys.stdin.read()
sim.stop()
"""


def respond(req: ChatRequest) -> str:
    """Manager finishes after N taps ([taps=N] in the instruction), counted in its Completed field."""
    text = req.user_text
    if req.role == "manager":
        target = int(m.group(1)) if (m := re.search(r"\[taps=(\d+)\]", text)) else 1
        done = (int(m.group(1)) if (m := re.search(r"taps: (\d+)", text)) else -1) + 1
        status = "finished" if done >= target else "in_progress"
        return (
            f"### Thought\ncounting\n### Completed\ntaps: {done}\n### Plan\n1. Tap\n"
            f"### Current Subgoal\nTap\n### Status\n{status}"
        )
    if req.role == "worker":
        done = int(m.group(1)) if (m := re.search(r"taps: (\d+)", text)) else 0
        action = {"action": "click", "coordinate": [200 + 60 * (done % 10), 1500]}
        return f"### Thought\ntap\n### Action\n{json.dumps(action)}\n### Description\ntap an empty spot"
    if req.role == "reflector":
        return "### Thought\nok\n### Outcome\nA\n### Error\nNone"
    return "### Notes\n- none"


def start_serve(runs: Path, serials: list[str], base_url: str) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "MOBILE_AGENT_RUNS_DIR": str(runs),
        "MOBILE_AGENT_DEVICE_ALLOWLIST": ",".join(serials),
        "MOBILE_AGENT_BASE_URL": base_url,
        "MOBILE_AGENT_SETTLE_TIMEOUT_S": "0.3",
        "MOBILE_AGENT_API_TOKEN": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "mobile_agent.api", "--port", "0", "--no-access-log"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    found = threading.Event()
    url: list[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if m := re.search(r"Uvicorn running on (http://\S+)", line):
                url.append(m.group(1))
                found.set()
            elif "Traceback" in line or "ERROR" in line or os.environ.get("BENCH_API_VERBOSE"):
                sys.stderr.write("serve: " + line)

    threading.Thread(target=pump, daemon=True).start()
    if not found.wait(60):
        proc.kill()
        raise SystemExit("serve did not start")
    return proc, url[0]


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def ts(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phones", type=int, default=16)
    ap.add_argument("--tasks", type=int, default=64)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--taps", type=int, default=2)
    args = ap.parse_args()

    sim = subprocess.Popen(
        [sys.executable, "-c", SIM_SCRIPT, str(args.phones)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sim.stdout is not None
    serials = sim.stdout.readline().split()
    stub = StubChatServer(respond, latency_s=args.latency, keep_requests=False).start()
    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    serve = None
    try:
        from mobile_agent.sim import connect_adb

        for s in serials:
            connect_adb(s, timeout=30)
        serve, url = start_serve(tmp / "runs", serials, stub.base_url)
        client = httpx.Client(base_url=url, timeout=60)
        deadline = time.monotonic() + 60
        while len([d for d in client.get("/v1/devices").json() if d["state"] == "available"]) < len(serials):
            if time.monotonic() > deadline:
                raise SystemExit("not all phones became available")
            time.sleep(0.2)

        print(
            f"{len(serials)} virtual phones, model latency {args.latency * 1000:.0f} ms, {args.tasks} tasks"
        )
        t0 = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            ids = list(
                pool.map(
                    lambda i: client.post(
                        "/v1/tasks", json={"instruction": f"Tap [taps={args.taps}] #{i}"}
                    ).json()["id"],
                    range(args.tasks),
                )
            )
        submitted = time.monotonic() - t0

        latencies: list[float] = []
        rng = random.Random(0)
        while True:
            tid = rng.choice(ids)
            start = time.perf_counter()
            r = client.get(f"/v1/tasks/{tid}")
            latencies.append(time.perf_counter() - start)
            assert r.status_code == 200
            if len(latencies) % 50 == 0:
                page = client.get("/v1/tasks", params={"limit": 200}).json()
                if all(t["status"] in TERMINAL for t in page["items"]) and page["total"] == args.tasks:
                    break
            if time.monotonic() - t0 > 900:
                raise SystemExit("timed out waiting for the tasks")
            time.sleep(0.02)
        wall = time.monotonic() - t0

        tasks = [client.get(f"/v1/tasks/{t}").json() for t in ids]
        by_status: dict[str, int] = defaultdict(int)
        for t in tasks:
            by_status[t["status"]] += 1
        steps = sum(t["steps"] for t in tasks)
        spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for t in tasks:
            if t["started_at"]:
                spans[t["device"]].append((ts(t["started_at"]), ts(t["finished_at"])))
        overlaps = 0
        for runs in spans.values():
            runs.sort()
            overlaps += sum(1 for a, b in itertools.pairwise(runs) if a[1] > b[0])
        listed = client.get("/v1/tasks", params={"limit": 200}).json()["total"]
        rss = peak_rss_mb(serve.pid)
        q = statistics.quantiles(latencies, n=100)

        print(f"submitted {args.tasks} tasks in {submitted:.2f} s; all ended after {wall:.1f} s")
        print(f"statuses: {dict(by_status)}; lost: {args.tasks - len({t['id'] for t in tasks if t['id']})}")
        print(f"tasks in the store: {listed}; devices used: {len(spans)}; double leases: {overlaps}")
        print(
            f"throughput: {steps} steps in {wall:.1f} s = {steps / wall:.2f} steps/s ({args.tasks / wall:.2f} tasks/s)"
        )
        print(
            f"GET /v1/tasks/{{id}} under load: p50 {q[49] * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms (n={len(latencies)})"
        )
        print(f"serve peak RSS: {rss:.0f} MiB")
        ok = by_status.get("succeeded", 0) == args.tasks and overlaps == 0 and listed == args.tasks
        print("OK" if ok else "PROBLEM")
        return 0 if ok else 1
    finally:
        if serve is not None:
            serve.terminate()
            serve.wait(30)
        stub.stop()
        for s in serials:
            adbutils.adb.disconnect(s, raise_error=False)
        if sim.stdin:
            sim.stdin.close()
        sim.wait(30)


if __name__ == "__main__":
    raise SystemExit(main())
