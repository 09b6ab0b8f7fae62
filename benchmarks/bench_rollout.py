"""Rollout throughput: steps per second and per hour, by --parallel, with the oracle at error rate
0.3 and k=8; bytes per step in the dataset; export time; where the time goes.

Each setting is a fresh `mobile-agent rollout` folder (run in this process through
`run_rollout`, which spawns its worker processes). The default subset is four templates of
different apps (8 samples each = 32 samples); `--tasks '.*'` runs all 44 (slow on 2 cores).

    python benchmarks/bench_rollout.py [--tasks REGEX] [--k 8] [--parallel 1,2] [--cluster ADDRESS]

With `--cluster ADDRESS` the same settings run on the actors of that Ray cluster
(`mobile-agent rollout --cluster`); the figures then include shipping each sample's files back.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from mobile_agent.rollout.runner import RolloutOptions, run_rollout

SUBSET = "^(wifi_on|contacts_add|clock_add_alarm|notes_create)$"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--tasks", default=SUBSET)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--error-rate", type=float, default=0.3)
    p.add_argument("--parallel", default="1,2", help="comma-separated values to measure")
    p.add_argument("--cluster", default=None, metavar="ADDRESS", help="run on this Ray cluster's actors")
    args = p.parse_args(argv)
    where = f"on the Ray cluster at {args.cluster}" if args.cluster else "in a local process pool"
    print(f"tasks {args.tasks!r}, k={args.k}, oracle error rate {args.error_rate}, single mode, {where}")
    for par in [int(x) for x in args.parallel.split(",")]:
        with tempfile.TemporaryDirectory(prefix="bench-rollout-") as tmp:
            out = Path(tmp) / "ds"
            opts = RolloutOptions(
                out_dir=str(out),
                tasks=args.tasks,
                k=args.k,
                error_rate=args.error_rate,
                parallel=par,
                cluster=args.cluster,
            )
            t0 = time.perf_counter()
            summary = run_rollout(opts, echo=lambda _line: None)
            wall = time.perf_counter() - t0
            steps = summary["steps"]
            t = summary["timings_s"]
            busy = t["wall_s"] or 1.0
            print(
                json.dumps(
                    {
                        "parallel": par,
                        "cluster": bool(args.cluster),
                        "samples": summary["samples"],
                        "status": summary["status_counts"],
                        "steps": steps,
                        "wall_s": round(wall, 1),
                        "steps_per_s": round(steps / wall, 2),
                        "steps_per_hour": round(steps / wall * 3600),
                        "bytes_per_step": summary["bytes"]["per_step"],
                        "export_s": summary["export_seconds"],
                        # shares of the samples' own wall time (summed over phones)
                        "time_share": {
                            "model (oracle answer)": round(t["model_s"] / busy, 3),
                            "phone: oracle label (UI dump + state)": round(t["label_s"] / busy, 3),
                            "phone: actions": round(t["device_s"] / busy, 3),
                            "phone: settle + screenshots": round(t["settle_s"] / busy, 3),
                            "writing the sample": round(t["write_s"] / busy, 3),
                            "other (agent: capture/encode/prompt; restore, init, verify)": round(
                                1
                                - sum(t[k] for k in ("model_s", "label_s", "device_s", "settle_s", "write_s"))
                                / busy,
                                3,
                            ),
                        },
                        "pass_at_k": {k: round(v, 3) for k, v in summary["pass_at_k"]["overall"].items()},
                    }
                ),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
