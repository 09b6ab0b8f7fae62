"""Figures of the offline benchmark with the scripted oracle (a test instrument of the framework).

    python benchmarks/bench_suite.py [--parallel 4] [--seeds 1] [--out bench-figures]

Runs the full suite in multi and single mode, then multi mode with --error-rate 0.2, and prints
verified success, the agent's claim, disagreements and wall time for each. Anything below 100%
verified without injected errors is a framework or phone bug (see each failure's run directory).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from mobile_agent.bench.runner import Mode, run_bench


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--parallel", type=int, default=4)
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--tasks", default="*")
    p.add_argument("--out", default="bench-figures")
    p.add_argument("--error-rate", type=float, default=0.2)
    p.add_argument("--only", choices=("multi", "single", "errors"), default=None)
    args = p.parse_args()
    figures = {}
    runs: list[tuple[str, Mode, float]] = [
        ("multi", "multi", 0.0),
        ("single", "single", 0.0),
        ("errors", "multi", args.error_rate),
    ]
    for label, mode, err in runs:
        if args.only and label != args.only:
            continue
        s = asyncio.run(
            run_bench(
                args.tasks, args.seeds, 1, 1, None, mode, args.parallel, Path(args.out) / label, err, False
            )
        )
        o = s["overall"]
        figures[label] = {
            "mode": mode,
            "error_rate": err,
            "runs": o["runs"],
            "verified": f"{o['verified_success']}/{o['runs']}",
            "verified_rate": o["verified_rate"],
            "claimed_rate": o["claimed_rate"],
            "disagreements": o["disagreements"],
            "mean_steps": o["mean_steps"],
            "injected_errors": o["injected_errors"],
            "runs_with_injected_errors": o["runs_with_injected_errors"],
            "recovered": o["recovered"],
            "wall_seconds": s["meta"]["wall_seconds"],
            "failures": [f"{f['instance']}: {f['reason']}" for f in s["failures"]],
        }
        print(json.dumps({label: figures[label]}, indent=2, ensure_ascii=False), flush=True)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "figures.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
