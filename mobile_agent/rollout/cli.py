"""`mobile-agent rollout`: arguments -> `run_rollout` -> a printed summary (exit 2 on bad input)."""

from __future__ import annotations

import argparse
import json
import os
import sys

__all__ = ["build_parser", "rollout_main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mobile-agent rollout",
        description="Run k samples of each task instance on virtual phones and write a training dataset "
        "(parquet shards + card) with device-verified trajectory rewards, Pass@k and GRPO advantages, "
        "and step rewards against the oracle's label on each screen. Run the same command again to "
        "resume after an interruption.",
    )
    p.add_argument(
        "--tasks", default=".*", help="regular expression searched in task names (default: all 44)"
    )
    p.add_argument(
        "--seeds", type=int, default=1, help="instances per task template (parameter seeds 0..N-1)"
    )
    p.add_argument("--k", type=int, default=8, help="samples per task instance")
    p.add_argument(
        "--policy",
        choices=("oracle", "model"),
        default=None,
        help="oracle: the scripted oracle (test instrument); model: --base-url/--model",
    )
    p.add_argument(
        "--error-rate", type=float, default=0.0, help="oracle only: share of injected wrong actions"
    )
    p.add_argument(
        "--base-url", default=None, help="OpenAI-compatible endpoint of the model being rolled out"
    )
    p.add_argument("--model", default=None, help="model name at --base-url")
    p.add_argument("--temperature", type=float, default=None, help="sampling temperature sent to the model")
    p.add_argument(
        "--mode", choices=("single", "multi"), default="single", help="agent mode (default: single)"
    )
    p.add_argument("--frame", choices=("resized", "norm1000"), default="resized", help="coordinate frame")
    p.add_argument("--seed", type=int, default=0, help="virtual phones' seed and the oracle's error seed")
    p.add_argument(
        "--parallel",
        type=int,
        default=None,
        help="virtual phones at once (default: 1 here; with --cluster, one per free CPU of the cluster)",
    )
    p.add_argument(
        "--cluster",
        default=os.environ.get("MOBILE_AGENT_CLUSTER") or None,
        metavar="ADDRESS",
        help="run the samples on the nodes of this Ray cluster (the fleet's; MOBILE_AGENT_CLUSTER); "
        "the dataset is written here. Needs the fleet extra on every node",
    )
    p.add_argument(
        "--pass-k",
        type=int,
        default=None,
        help="subset size k of the Pass@k group reward and advantages (default: min(4, --k))",
    )
    p.add_argument("--task-timeout", type=float, default=None, help="seconds per sample")
    p.add_argument("--out", required=True, help="output folder (a new one, or the same one to resume)")
    return p


def rollout_main(argv: list[str]) -> int:
    from mobile_agent.rollout.cluster import ClusterError
    from mobile_agent.rollout.runner import RolloutConfigError, RolloutOptions, run_rollout

    args = build_parser().parse_args(argv)
    policy = args.policy or ("model" if args.base_url else "oracle")
    if policy == "oracle" and (args.base_url or args.model):
        print("error: --policy oracle takes no --base-url/--model", file=sys.stderr)
        return 2
    if policy == "model" and args.error_rate:
        print("error: --error-rate applies to the oracle only", file=sys.stderr)
        return 2
    opts = RolloutOptions(
        out_dir=args.out,
        tasks=args.tasks,
        seeds=args.seeds,
        k=args.k,
        policy=policy,
        error_rate=args.error_rate,
        base_url=args.base_url,
        model=args.model,
        temperature=args.temperature,
        mode=args.mode,
        frame=args.frame,
        seed=args.seed,
        parallel=args.parallel,
        task_timeout_s=args.task_timeout,
        cluster=args.cluster,
    )
    try:
        summary = run_rollout(opts, pass_k=args.pass_k)
    except (RolloutConfigError, ClusterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    short = {k: summary[k] for k in ("samples", "status_counts", "excluded", "errors", "steps", "bytes")}
    short["pass_at_k"] = summary["pass_at_k"]["overall"]
    short["export_seconds"] = summary["export_seconds"]
    if "samples_by_node" in summary:
        short["samples_by_node"] = summary["samples_by_node"]
    print(json.dumps(short, indent=2))
    print(f"dataset: {args.out}/data (card: {args.out}/README.md, summary: {args.out}/summary.json)")
    return 0
