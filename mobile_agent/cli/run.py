"""`mobile-agent run`: one task with live progress, and what to do when it cannot start."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import select
import signal
import sys
import threading
from typing import Any

from mobile_agent.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, escape, make_console

__all__ = ["FIXES", "SETUP_ERRORS", "TerminalHuman", "run"]

SETUP_ERRORS = ("model_unavailable", "frame_mismatch", "device_not_found", "config")


class TerminalHuman:
    """Answers the agent's questions and confirmations on the terminal."""

    def __init__(self, console: Any) -> None:
        self.console = console

    async def request(self, request: Any) -> Any:
        from mobile_agent.human import HumanReply

        if request.kind == "confirm":
            text = await self._ask(f"{request.prompt} Allow? [y/N] ")
            return HumanReply(text=text.strip(), approved=text.strip().lower() in ("y", "yes"))
        text = await self._ask(f"The agent asks: {request.prompt}\n> ")
        return HumanReply(text=text.strip(), approved=bool(text.strip()))

    async def _ask(self, prompt: str) -> str:
        """One line from the terminal; the prompt goes to stderr (stdout may carry --json).

        The read stops when the run is cancelled (Ctrl-C at the prompt), so the process can exit
        instead of waiting for Enter on a blocked input() thread.
        """
        self.console.print(prompt, end="", markup=False, highlight=False, soft_wrap=True)
        if os.name == "nt":  # pragma: no cover - select() does not poll consoles on Windows
            return await asyncio.to_thread(input)
        stop = threading.Event()
        try:
            return await asyncio.to_thread(_read_line, sys.stdin.fileno(), stop)
        finally:
            stop.set()


def _read_line(fd: int, stop: threading.Event) -> str:
    """A line from fd, polling so that `stop` ends the wait; end of input reads as an empty line."""
    data = b""
    while not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk or b"\n" in chunk:
            return (data + chunk).split(b"\n", 1)[0].decode(errors="replace")
        data += chunk
    return ""


FIXES = {
    "model_unavailable": (
        "Start a model server (e.g. `python -m serving launch --profile gui-owl-7b`, or `vllm serve mPLUG/GUI-Owl-7B "
        "--served-model-name gui-owl-7b`) or point --base-url / MOBILE_AGENT_BASE_URL at one; "
        "`mobile-agent doctor` checks the endpoint."
    ),
    "device_not_found": (
        "Connect a phone with USB debugging on (see `mobile-agent devices`), or start a virtual phone with "
        "`mobile-agent sim` and pass --device 127.0.0.1:6555."
    ),
    "config": "Fix the settings above (flags or MOBILE_AGENT_* environment variables).",
    "frame_mismatch": (
        "Give the client and the server the same pixel budget: launch the server with the same --profile "
        "(`python -m serving launch --profile ...`) or set MOBILE_AGENT_MAX_PIXELS to the server's max_pixels."
    ),
}
LOCAL_MODEL_FIX = (
    "Pass --model with the folder of a downloaded GUI-Owl (Qwen2.5-VL-family) checkpoint, or a hub id already in "
    'the cache; `pip install -e ".[local]"` installs torch and transformers. See docs/serving.md.'
)


# `run`'s flags by the setting they set: errors name what the user typed, not the variable
RUN_FLAGS = {
    "base_url": ("base_url", "--base-url"),
    "model": ("model", "--model"),
    "api_key": ("api_key", "--api-key"),
    "backend": ("backend", "--backend"),
    "profile": ("profile", "--profile"),
    "frame": ("frame", "--frame"),
    "mode": ("mode", "--mode"),
    "max_steps": ("max_steps", "--max-steps"),
    "max_seconds": ("max_seconds", "--max-seconds"),
    "runs_dir": ("out", "--out"),
    "policy": ("policy", "--policy"),
}


def settings_message(exc: Any, args: argparse.Namespace) -> str:
    """A ConfigError's lines, each naming the flag when the user passed one, else the variable."""
    from mobile_agent.config import describe

    if not getattr(exc, "problems", None):
        return str(exc)
    names = {
        field: flag for field, (dest, flag) in RUN_FLAGS.items() if getattr(args, dest, None) is not None
    }
    return describe(exc.problems, names)


def setup_message(exc: Any) -> str:
    """Every set-up problem of a run that could not start, each with what to do about it."""
    lines = ["the run cannot start (nothing was written):"]
    for problem in exc.problems:
        fix = FIXES.get(problem.kind, "Check `mobile-agent doctor`.")
        if problem.kind == "device_not_found" and "mobile-agent sim" in problem.message:
            fix = ""  # the message already says how to attach a phone
        lines.append(f"- {problem.message}" + (f"\n  What to do: {fix}" if fix else ""))
    return "\n".join(lines)


def output_schema_arg(path: str | None) -> dict[str, Any] | None:
    """`--output-schema FILE`, read and checked before anything runs (a bad one: exit 2)."""
    if path is None:
        return None
    from mobile_agent.output import OutputSchemaError, load_schema_file

    try:
        return load_schema_file(path)
    except OutputSchemaError as exc:
        raise UsageError(f"--output-schema: {exc}") from None


async def run(args: argparse.Namespace) -> int:
    from mobile_agent.agent import Agent
    from mobile_agent.config import ConfigError, load_config
    from mobile_agent.progress import ProgressPrinter

    if not args.instruction.strip():
        raise UsageError('the instruction is empty: say what to do, e.g. mobile-agent run "Turn on Wi-Fi"')
    schema = output_schema_arg(args.output_schema)
    if args.cache and schema is not None:
        raise UsageError("--cache replays recorded steps: it cannot give a structured answer")
    if args.cache:
        from mobile_agent.replay.cache import PlanCache

        try:
            PlanCache(args.cache)  # a file where the folder should be: refused before anything runs
        except ValueError as exc:
            raise UsageError(f"--cache: {exc}") from None
    console = make_console()
    try:
        config = load_config(
            base_url=args.base_url,
            model=args.model,
            api_key=args.api_key,
            backend=args.backend,
            profile=args.profile,
            frame=args.frame,
            mode=args.mode,
            max_steps=args.max_steps,
            max_seconds=args.max_seconds,
            runs_dir=args.out,
            notetaker=False if args.no_notetaker else None,
            policy=args.policy or "allow",
        )
    except ConfigError as exc:
        raise UsageError(settings_message(exc, args)) from None
    from mobile_agent.preflight import SetupError

    human = TerminalHuman(console) if sys.stdin.isatty() and not args.quiet else None
    agent = Agent(args.device, config=config, human=human)  # it opens (and closes) the device
    agent.subscribe(ProgressPrinter(console, quiet=args.quiet, verbose=args.verbose))
    cancel = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, cancel.set)
        loop.add_signal_handler(signal.SIGTERM, cancel.set)
    try:
        result = await agent.run(
            args.instruction, cancel=cancel, knowledge=args.knowledge, output=schema, cache=args.cache
        )
    except SetupError as exc:  # checked before a run directory is made: every problem at once
        raise UsageError(setup_message(exc)) from None
    except OSError as exc:  # device and model trouble end as a result; this is the run directory
        raise UsageError(
            f"cannot write the run directory under {config.runs_dir}: {exc}\nPass --out with a folder you can write to."
        ) from None
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    style = {"succeeded": "bold green", "failed": "bold red"}.get(result.status, "bold yellow")
    # the reason, answer and paths are the model's or the user's text: never rich markup
    console.print(
        f"[{style}]{escape(result.status)}[/] after {result.steps} step(s): {escape(str(result.reason))}"
    )
    if result.answer is not None:
        console.print(f"[bold]Answer:[/] {escape(str(result.answer))}")
    if result.output is not None:
        console.print(
            f"[bold]Output:[/] {escape(json.dumps(result.to_json()['output'], ensure_ascii=False))}"
        )
    if result.run_dir is not None:
        console.print(f"Run directory: {escape(str(result.run_dir))}")
        console.print(f"Report: {escape(str(result.run_dir / 'report.html'))}")
    if result.ok:
        return EXIT_OK
    if result.error in SETUP_ERRORS and result.steps <= 1:
        fix = FIXES[result.error]
        if result.error == "model_unavailable" and config.backend == "local":  # no model server involved
            fix = LOCAL_MODEL_FIX
        console.print(f"[bold]What to do:[/] {escape(fix)}")
        return EXIT_USAGE
    return EXIT_FAILED
