"""`mobile-agent replay RUN_DIR [--device SERIAL] [--base-url URL --model NAME ...]`.

Replays a successful run directory with no model call; with a model configured (flags or
MOBILE_AGENT_BASE_URL / MOBILE_AGENT_MODEL) the model takes over where the screen diverges,
without one the replay fails there. Writes a run directory like `mobile-agent run`.
Exit codes: 0 success, 1 failure (a divergence with no model), 2 usage or set-up error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import Sequence

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mobile-agent replay",
        description="Replay a successful run directory on a phone with no model call, each step checked "
        "against the recorded screen (docs/replay.md). With --base-url/--model (or MOBILE_AGENT_BASE_URL / "
        "MOBILE_AGENT_MODEL) the model takes over where the screen diverges; without, the replay fails there.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="the run directory of a successful run")
    p.add_argument("--device", "-d", help="device serial (default: the only connected device)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint for a hand-over (MOBILE_AGENT_BASE_URL)")
    p.add_argument("--model", help="served model name for a hand-over (MOBILE_AGENT_MODEL)")
    p.add_argument("--api-key", help="API key for the endpoint (MOBILE_AGENT_API_KEY)")
    p.add_argument("--profile", help="serving profile of the hand-over model")
    p.add_argument("--max-steps", type=int, help="step budget, replayed steps included (default 25)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each recorded screen")
    p.add_argument("--out", help="directory to create the run directory in (default ./runs)")
    p.add_argument("--quiet", "-q", action="store_true", help="no live progress, only the summary")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    return p


def _model_configured(args: argparse.Namespace) -> bool:
    return bool(
        args.base_url
        or args.model
        or os.environ.get("MOBILE_AGENT_BASE_URL")
        or os.environ.get("MOBILE_AGENT_MODEL")
    )


async def _replay(args: argparse.Namespace) -> int:
    from mobile_agent.agent import Agent
    from mobile_agent.cli import EXIT_FAILED, EXIT_OK, UsageError, escape, make_console
    from mobile_agent.config import ConfigError, load_config
    from mobile_agent.preflight import SetupError
    from mobile_agent.progress import ProgressPrinter
    from mobile_agent.replay.recipe import RecipeError, load_recipe
    from mobile_agent.replay.session import NoModel, ReplaySession

    try:
        recipe = load_recipe(args.run_dir)
    except RecipeError as exc:
        raise UsageError(f"cannot replay: {exc}") from None
    with_model = _model_configured(args)
    try:
        config = load_config(
            base_url=args.base_url,
            model=args.model,
            api_key=args.api_key,
            profile=args.profile,
            mode=recipe.mode if recipe.mode in ("multi", "single") else None,
            max_steps=args.max_steps,
            runs_dir=args.out,
            policy="allow",
        )
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    console = make_console()
    agent = Agent(args.device, config=config, models=None if with_model else NoModel())
    agent.subscribe(ProgressPrinter(console, quiet=args.quiet))
    session = ReplaySession(
        recipe=recipe,
        instruction=recipe.instruction,
        mode=config.mode,
        can_hand_over=with_model,
        timeout_s=args.timeout,
    )
    try:
        result = await agent.run(recipe.instruction, replay=session)
    except SetupError as exc:
        raise UsageError("the replay cannot start: " + "; ".join(p.message for p in exc.problems)) from None
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    style = "bold green" if result.ok else "bold red"
    console.print(
        f"[{style}]{escape(result.status)}[/] after {result.steps} step(s): {escape(str(result.reason))}"
    )
    if result.answer is not None:
        console.print(f"[bold]Answer:[/] {escape(str(result.answer))}")
    if result.run_dir is not None:
        console.print(f"Run directory: {escape(str(result.run_dir))}")
    return EXIT_OK if result.ok else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `mobile-agent replay` (the main CLI passes the arguments on)."""
    from mobile_agent.cli import EXIT_USAGE, UsageError, escape, make_console

    args = build_parser().parse_args(list(argv) if argv is not None else None)
    try:
        return asyncio.run(_replay(args))
    except UsageError as exc:
        make_console().print(f"[bold red]error:[/] {escape(str(exc))}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
