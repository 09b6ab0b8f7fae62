"""The plan cache on the offline benchmark: every task twice with one cache folder, the oracle as
the model (a test instrument of the framework).

    python benchmarks/bench_cache.py [--tasks '*'] [--parallel 2] [--mode multi] [--out bench-cache]

The first pass fills the cache (every run misses and calls the model); the second pass runs the
same instances on phones restored to the same state, so each run should hit and replay with no
model call. Prints model calls per pass, the share saved, verified success of each pass and the
wall time of each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from mobile_agent.bench.runner import Mode, load_records, run_bench


def _pass(args: argparse.Namespace, label: str, cache: Path) -> dict[str, Any]:
    out = Path(args.out) / label
    mode: Mode = args.mode
    s = asyncio.run(run_bench(args.tasks, 1, 1, 1, None, mode, args.parallel, out, 0.0, False, cache=cache))
    records = load_records(out / "results.jsonl")
    o = s["overall"]
    return {
        "runs": o["runs"],
        "verified": f"{o['verified_success']}/{o['runs']}",
        "verified_rate": o["verified_rate"],
        "model_calls": sum(int(r.get("model_calls", 0)) for r in records),
        "runs_without_model_calls": sum(1 for r in records if int(r.get("model_calls", 0)) == 0),
        "wall_seconds": s["meta"]["wall_seconds"],
        "failures": [f"{f['instance']}: {f['reason']}" for f in s["failures"]],
    }


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--tasks", default="*")
    p.add_argument("--parallel", type=int, default=2)
    p.add_argument("--mode", choices=("multi", "single"), default="multi")
    p.add_argument("--out", default="bench-cache")
    args = p.parse_args()
    cache = Path(args.out) / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    first = _pass(args, "first", cache)
    print(json.dumps({"first": first}, indent=2), flush=True)
    second = _pass(args, "second", cache)
    print(json.dumps({"second": second}, indent=2), flush=True)
    saved = 1 - second["model_calls"] / first["model_calls"] if first["model_calls"] else 0.0
    figures = {
        "mode": args.mode,
        "tasks": args.tasks,
        "first": first,
        "second": second,
        "model_calls_saved": round(saved, 4),
        "same_verified_success": first["verified"] == second["verified"],
        "wall_second_over_first": round(second["wall_seconds"] / first["wall_seconds"], 3)
        if first["wall_seconds"]
        else None,
        "cache_entries": sum(1 for d in cache.iterdir() if d.is_dir() and not d.name.startswith("."))
        if cache.is_dir()
        else 0,
    }
    print(json.dumps({k: v for k, v in figures.items() if k not in ("first", "second")}, indent=2))
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "figures.json").write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
