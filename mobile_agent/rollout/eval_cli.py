"""`mobile-agent eval-steps DATASET_DIR (--policy oracle | --base-url URL --model NAME) --out DIR`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mobile-agent eval-steps",
        description="Ask a model for the action on every recorded step of a rollout dataset and score "
        "action-type accuracy, grounding accuracy and step success against the oracle's labels.",
    )
    p.add_argument("dataset", help="a `mobile-agent rollout` output folder")
    p.add_argument(
        "--policy",
        choices=("oracle", "model"),
        default=None,
        help="oracle: answer with the recorded labels (a pipeline check); model: --base-url/--model",
    )
    p.add_argument("--base-url", default=None, help="OpenAI-compatible endpoint")
    p.add_argument("--model", default=None, help="model name at --base-url")
    p.add_argument("--limit", type=int, default=None, help="score only the first N steps")
    p.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    p.add_argument("--out", required=True, help="folder for eval.json and report.html")
    return p


def main(argv: list[str]) -> int:
    from mobile_agent.rollout.eval_steps import DatasetError, EvalOptions, evaluate

    args = build_parser().parse_args(argv)
    policy = args.policy or ("model" if args.base_url else None)
    if policy is None:
        print("error: give --policy oracle or --base-url URL --model NAME", file=sys.stderr)
        return 2
    if policy == "model" and not (args.base_url and args.model):
        print("error: a model policy needs --base-url and --model", file=sys.stderr)
        return 2
    if policy == "oracle" and args.base_url:
        print("error: --policy oracle takes no --base-url", file=sys.stderr)
        return 2
    opts = EvalOptions(
        args.dataset,
        args.out,
        args.base_url if policy == "model" else None,
        args.model,
        args.limit,
        args.concurrency,
    )
    try:
        summary = asyncio.run(evaluate(opts))
    except (FileNotFoundError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    print(f"report: {args.out}/report.html")
    return 0
