"""The fleet's throughput and overhead: 1, 2 and 4 hosts of 4 virtual phones each, one replica.

Everything is real: PostgreSQL (initdb in a temp folder), a Ray head, `mobile-agent host --sim 4`
per host (its own Ray node), `mobile-agent serve --cluster` and the scripted model over HTTP with
a fixed latency per call. For each fleet size it submits `--tasks-per-phone` tasks per phone of
`--taps` steps each (after one warm-up task per phone, not counted) and prints:

- steps/s (step.finished events / wall time from the first submit to the last end) and the
  scaling efficiency against linear (steps/s at N hosts / (N x steps/s at 1 host));
- submit-to-first-step latency p50/p95 (task created -> its first step.started; all tasks are
  submitted at once, so this includes waiting in the queue for a phone);
- lease conflicts (two tasks overlapping on one phone, from started/finished times; must be 0)
  and tasks lost (not succeeded; must be 0).

Then the scheduling overhead per task (submit -> its task.started event, one task at a time on
idle phones):
the fleet (1 host) against today's single-process `serve` (SQLite, local adb) on 4 virtual phones.

    python benchmarks/bench_fleet.py [--hosts 1,2,4] [--latency 0.2] [--taps 3] [--tasks-per-phone 2]

The process helpers and the scripted model are the fleet tests' (`mobile_agent.testing.fleet_procs`, `fleet_policy`).
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from mobile_agent.testing import StubChatServer
from mobile_agent.testing.fleet_policy import respond
from mobile_agent.testing.fleet_procs import Postgres, Proc, RayHead, fleet_env, start_host, start_replica

TERMINAL = {"succeeded", "failed", "cancelled", "interrupted"}


def ts(iso: str | None) -> float:
    return datetime.fromisoformat(iso).timestamp() if iso else 0.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def wait_phones(url: str, count: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = httpx.get(f"{url}/v1/devices", timeout=10).json()
        if sum(p.get("state") == "available" for p in listed) >= count:
            return
        time.sleep(0.3)
    raise SystemExit(f"fewer than {count} phones came up")


def run_tasks(url: str, n: int, taps: int, timeout: float = 900) -> tuple[float, list[dict[str, Any]]]:
    t0 = time.time()
    ids = []
    for i in range(n):
        r = httpx.post(f"{url}/v1/tasks", json={"instruction": f"tap [taps={taps}] #{i}"}, timeout=30)
        r.raise_for_status()
        ids.append(r.json()["id"])
    views: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while len(views) < n and time.monotonic() < deadline:
        for task_id in ids:
            if task_id not in views:
                view = httpx.get(f"{url}/v1/tasks/{task_id}", timeout=10).json()
                if view["status"] in TERMINAL:
                    views[task_id] = view
        time.sleep(0.3)
    wall = max((ts(v["finished_at"]) for v in views.values()), default=time.time()) - t0
    out = []
    for task_id in ids:
        view = views.get(task_id, {"id": task_id, "status": "lost"})
        text = httpx.get(f"{url}/v1/tasks/{task_id}/events", timeout=30).text if task_id in views else ""
        evs = [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]
        first = next((e["ts"] for e in evs if e["type"] == "step.started"), None)
        view["first_step_s"] = (first - ts(view.get("created_at"))) if first else None
        view["step_events"] = sum(e["type"] == "step.finished" for e in evs)
        out.append(view)
    return wall, out


def conflicts(views: list[dict[str, Any]]) -> int:
    spans: dict[str, list[tuple[float, float]]] = {}
    for v in views:
        if v.get("started_at") and v.get("finished_at"):
            spans.setdefault(v["device"], []).append((ts(v["started_at"]), ts(v["finished_at"])))
    n = 0
    for s in spans.values():
        s.sort()
        n += sum(1 for a, b in itertools.pairwise(s) if a[1] > b[0])
    return n


def overhead(url: str, n: int = 8) -> list[float]:
    """submit -> the task's first event (task.started, written where it runs), one task at a time
    on idle phones: the scheduler's own delay (queue, lease, hand-over to the phone)."""
    out = []
    for i in range(n):
        r = httpx.post(f"{url}/v1/tasks", json={"instruction": f"tap [taps=1] o{i}"}, timeout=30)
        task_id = r.json()["id"]
        while True:
            v = httpx.get(f"{url}/v1/tasks/{task_id}", timeout=10).json()
            if v["status"] in TERMINAL:
                break
            time.sleep(0.05)
        text = httpx.get(f"{url}/v1/tasks/{task_id}/events", timeout=30).text
        first = next(json.loads(line[5:])["ts"] for line in text.splitlines() if line.startswith("data:"))
        out.append(first - ts(v["created_at"]))
    return out


def fleet_round(hosts: int, args: argparse.Namespace, stub: StubChatServer, root: Path) -> dict[str, Any]:
    pg, head, procs = Postgres(), RayHead(), []
    try:
        env = fleet_env(stub.base_url)
        for i in range(hosts):  # one at a time: several raylets starting at once on 2 cores can time out
            procs.append(start_host(head.address, f"b{i}", 4, seed=100 * i, env=env))
            procs[-1].wait_for(r"host \S+ ready", 300)
        replica = start_replica(head.address, pg.url, root / f"runs{hosts}", env)
        procs.append(replica)
        url = replica.url(180)
        wait_phones(url, 4 * hosts)
        run_tasks(url, 4 * hosts, 1)  # warm-up: each phone's first task opens its device
        wall, views = run_tasks(url, 4 * hosts * args.tasks_per_phone, args.taps)
        steps = sum(v["step_events"] for v in views)
        firsts = [v["first_step_s"] for v in views if v["first_step_s"] is not None]
        row = {
            "hosts": hosts,
            "phones": 4 * hosts,
            "tasks": len(views),
            "steps": steps,
            "wall_s": round(wall, 1),
            "steps_per_s": round(steps / wall, 2),
            "first_step_p50_s": round(pct(firsts, 0.5), 2),
            "first_step_p95_s": round(pct(firsts, 0.95), 2),
            "lease_conflicts": conflicts(views),
            "tasks_lost": sum(v["status"] != "succeeded" for v in views),
        }
        if hosts == 1:
            row["overhead_s"] = overhead(url)
        return row
    finally:
        for p in procs:
            p.close()
        head.close()
        pg.close()


def single_process_overhead(stub: StubChatServer, root: Path) -> list[float]:
    import adbutils

    from mobile_agent.sim import SimServer, connect_adb

    sim = SimServer(count=4, port=0, seed=500).start()
    serve: Proc | None = None
    try:
        for serial in sim.serials:
            connect_adb(serial)
        env = fleet_env(stub.base_url, MOBILE_AGENT_DEVICE_ALLOWLIST=",".join(sim.serials))
        exe = str(Path(sys.executable).with_name("mobile-agent"))
        serve = Proc(
            [exe, "serve", "--port", "0", "--runs-dir", str(root / "single"), "--no-access-log"], env
        )
        url = serve.url(120)
        wait_phones(url, 4)
        return overhead(url)
    finally:
        if serve is not None:
            serve.close()
        for serial in sim.serials:
            adbutils.adb.disconnect(serial, raise_error=False)
        sim.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hosts", default="1,2,4")
    p.add_argument("--latency", type=float, default=0.2, help="seconds per model call")
    p.add_argument("--taps", type=int, default=3, help="steps per task")
    p.add_argument("--tasks-per-phone", type=int, default=2)
    args = p.parse_args()
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    stub = StubChatServer(respond, latency_s=args.latency, keep_requests=1).start()
    rows = []
    try:
        for n in [int(x) for x in args.hosts.split(",")]:
            rows.append(fleet_round(n, args, stub, root))
            print(json.dumps(rows[-1]), flush=True)
        single = single_process_overhead(stub, root)
    finally:
        stub.stop()
    base = rows[0]["steps_per_s"] / rows[0]["hosts"]
    print(
        f"\nmodel latency {args.latency:g} s/call, {args.taps} steps/task, {args.tasks_per_phone} tasks/phone"
    )
    print(
        f"{'hosts':>5} {'phones':>6} {'steps/s':>8} {'eff':>5} {'1st p50':>8} {'1st p95':>8} {'conflicts':>9} {'lost':>5}"
    )
    for r in rows:
        eff = r["steps_per_s"] / (base * r["hosts"])
        print(
            f"{r['hosts']:>5} {r['phones']:>6} {r['steps_per_s']:>8.2f} {eff:>5.2f} {r['first_step_p50_s']:>8.2f}"
            f" {r['first_step_p95_s']:>8.2f} {r['lease_conflicts']:>9} {r['tasks_lost']:>5}"
        )
    fleet_oh = rows[0].get("overhead_s", [])
    print(
        f"\nscheduling overhead per task (submit -> task.started event, idle phones): fleet p50 "
        f"{statistics.median(fleet_oh) * 1000:.0f} ms, single-process serve p50 {statistics.median(single) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
