"""`mobile-agent bench` and `mobile-agent demo` (the CLI delegates here; also `python -m mobile_agent.bench`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

__all__ = ["bench_main", "demo_main", "main"]


def _bench_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mobile-agent bench",
        description="Offline benchmark on virtual phones; success is read from the phone's state over adb. "
        "Without --base-url the scripted oracle policy (a test instrument of the framework) plays the model.",
    )
    p.add_argument(
        "--tasks", default="*", help="comma-separated globs or substrings of task names (default: all)"
    )
    p.add_argument("--list", action="store_true", help="list the task templates and exit")
    p.add_argument("--seeds", type=int, default=1, help="instances per template (seeds 0..N-1)")
    p.add_argument("--n", type=int, default=None, help="runs per instance (default: k)")
    p.add_argument("--k", type=int, default=1, help="k of pass@k")
    p.add_argument(
        "--base-url",
        default=None,
        help="OpenAI-compatible endpoint of a real model (default: in-process oracle)",
    )
    p.add_argument("--model", default=None, help="model name at --base-url")
    p.add_argument("--mode", choices=("multi", "single"), default="multi")
    p.add_argument("--parallel", type=int, default=1, help="virtual phones running at once")
    p.add_argument(
        "--out", default="bench-out", help="output folder (results.jsonl, results.json, report.html, runs/)"
    )
    p.add_argument(
        "--error-rate", type=float, default=0.0, help="oracle only: share of wrong Worker actions (seeded)"
    )
    p.add_argument("--frame", choices=("resized", "norm1000"), default="resized", help="coordinate frame")
    p.add_argument("--seed", type=int, default=0, help="virtual phones' seed and the oracle's error seed")
    p.add_argument("--resume", action="store_true", help="keep OUT/results.jsonl and skip finished runs")
    p.add_argument(
        "--task-timeout",
        type=float,
        default=None,
        help="seconds per run (default: 15 s per allowed step with the oracle, 60 s with --base-url)",
    )
    p.add_argument(
        "--agent-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an AgentConfig setting for every run, e.g. change_threshold=0.0002 or notetaker=false (repeatable)",
    )
    return p


def _agent_options(items: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` pairs, checked against AgentConfig now (not at the first run)."""
    from mobile_agent.config import AgentConfig, ConfigError, load_config

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise ValueError(f"--agent-option needs KEY=VALUE, got {item!r}")
        if key not in AgentConfig.model_fields:
            raise ValueError(f"--agent-option: AgentConfig has no setting {key!r}")
        out[key] = value
    try:
        load_config(**out)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    return out


def bench_main(argv: list[str]) -> int:
    """Entry of `mobile-agent bench`; exit 0 when every verified run passed, 1 otherwise, 2 on usage errors."""
    from rich.console import Console

    from mobile_agent.bench.progress import progress_printer
    from mobile_agent.bench.report import print_table
    from mobile_agent.bench.runner import run_bench, select_tasks

    args = _bench_parser().parse_args(argv)
    console = Console(width=max(Console().width, 150))
    if args.list:
        from mobile_agent.bench.tasks import ALL_TASKS

        for cls in ALL_TASKS:
            console.print(f"{cls.name:32s} {cls.app:20s} {cls.goal_template}")
        console.print(f"{len(ALL_TASKS)} templates")
        return 0
    n = args.n if args.n is not None else args.k
    if args.k < 1 or n < args.k:
        console.print(f"[red]--k must be >= 1 and --n >= --k (got k={args.k}, n={n})[/red]")
        return 2
    if args.parallel < 1 or args.seeds < 1:
        console.print("[red]--parallel and --seeds must be >= 1[/red]")
        return 2
    if not select_tasks(args.tasks):
        console.print(f"[red]no task matches {args.tasks!r}; see --list[/red]")
        return 2
    try:
        agent_options = _agent_options(args.agent_option)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    if args.base_url is None:
        console.print(
            "[yellow]Model: the scripted oracle policy — a test instrument of the framework, not a model. "
            "Pass --base-url http://HOST:8000/v1 --model gui-owl-7b to measure a real GUI-Owl.[/yellow]"
        )
    try:
        summary = asyncio.run(
            run_bench(
                args.tasks,
                args.seeds,
                n,
                args.k,
                args.base_url,
                args.mode,
                args.parallel,
                args.out,
                args.error_rate,
                args.resume,
                model=args.model,
                frame=args.frame,
                seed=args.seed,
                task_timeout_s=args.task_timeout,
                agent_options=agent_options,
                progress=progress_printer(console),
            )
        )
    except KeyboardInterrupt:
        console.print(
            f"[yellow]interrupted; finished runs are kept in {args.out}/results.jsonl (use --resume)[/yellow]"
        )
        return 130
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    print_table(summary, console)
    out = Path(args.out)
    console.print(
        f"wall time {summary['meta']['wall_seconds']:.1f}s · results: {out / 'results.json'} · report: {out / 'report.html'}"
    )
    o = summary["overall"]
    return 0 if o["runs"] and o["verified_success"] == o["runs"] else 1


def demo_main(argv: list[str]) -> int:
    """Entry of `mobile-agent demo`."""
    from mobile_agent.bench.demo import run_demo

    p = argparse.ArgumentParser(
        prog="mobile-agent demo",
        description="A virtual phone and the scripted oracle policy, end to end, with a report at the end.",
    )
    p.add_argument("--out", default="demo-out", help="output folder")
    p.add_argument("--mode", choices=("multi", "single"), default="multi")
    p.add_argument("--tasks", default=None, help="task names (default: a short tour of four apps)")
    args = p.parse_args(argv)
    return run_demo(out_dir=args.out, mode=args.mode, tasks=args.tasks)


def main(argv: list[str] | None = None) -> int:
    """`python -m mobile_agent.bench [bench|demo] ...` (bench when no sub-command is given)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "demo":
        return demo_main(argv[1:])
    if argv and argv[0] == "bench":
        argv = argv[1:]
    return bench_main(argv)
