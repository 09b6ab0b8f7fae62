"""`mobile-agent`: run a task, list devices, check the setup, start virtual phones, serve the API.

Exit codes: 0 success, 1 the task (or check) failed, 2 a usage or setup error (no device, model
server unreachable, bad settings), printed as what to do about it rather than a traceback.
Pieces that live in other modules (sim, api, bench, doctor) are imported only when their command
runs, so a missing piece names itself instead of breaking every command.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import inspect
import json
import os
import select
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from mobile_agent import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# Commands whose options belong to another module: everything after the name is passed on.
PASSTHROUGH = {
    "serve": "serve the HTTP task API (options: see `mobile-agent serve --help`)",
    "submit": "submit a task to a running API server (see `mobile-agent submit --help`)",
    "bench": "run the offline benchmark on virtual phones (see `mobile-agent bench --help`)",
    "demo": "a virtual phone and the oracle policy, end to end (see `mobile-agent demo --help`)",
    "mcp": "serve a phone's tools and our agent over MCP (see `mobile-agent mcp --help`)",
    "host": "serve this machine's phones to a fleet (Ray cluster) (see `mobile-agent host --help`)",
    "replay": "replay a successful run directory with no model call (see `mobile-agent replay --help`)",
    "rollout": "k samples per task on virtual phones -> a training dataset (see `mobile-agent rollout --help`)",
    "eval-steps": "score a model step by step on a rollout dataset (see `mobile-agent eval-steps --help`)",
}

SETUP_ERRORS = ("model_unavailable", "frame_mismatch", "device_not_found", "config")


class UsageError(Exception):
    """A setup problem; the message says what to do."""


def escape(text: str) -> str:
    """Text for rich markup: brackets in messages, answers and paths print as themselves."""
    from rich.markup import escape as _escape

    return _escape(text)


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _missing(feature: str, module: str, exc: BaseException) -> UsageError:
    return UsageError(f"`mobile-agent {feature}` is not available in this installation ({module}: {exc}).")


def _load(module: str, feature: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise _missing(feature, module, exc) from None


def _call_with(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Call fn with the keyword arguments it accepts (others' signatures may grow)."""
    params = inspect.signature(fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return fn(**kwargs)
    return fn(**{k: v for k, v in kwargs.items() if k in params})


# ------------------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mobile-agent",
        description="GUI-Owl operates an Android phone: Manager, Worker, Reflector and Notetaker on a shared bus.",
    )
    p.add_argument("--version", action="version", version=f"mobile-agent {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser(
        "run",
        help="run one task on a phone with live progress",
        description="Run one task on a phone with live progress and write a run directory (events, "
        "screenshots, report.html). Exit codes: 0 success, 1 failure, 2 usage or set-up error.",
    )
    r.add_argument("instruction", help='what to do, e.g. "Turn on Wi-Fi"')
    r.add_argument("--device", "-d", help="device serial (default: the only connected device)")
    r.add_argument("--base-url", help="OpenAI-compatible endpoint (MOBILE_AGENT_BASE_URL)")
    r.add_argument("--model", help="served model name (MOBILE_AGENT_MODEL)")
    r.add_argument("--api-key", help="API key for the endpoint (MOBILE_AGENT_API_KEY)")
    r.add_argument("--backend", choices=["openai", "local"], help="model backend (default openai)")
    r.add_argument(
        "--profile", help="serving profile: sets coordinate frame and pixel budget (e.g. gui-owl-7b)"
    )
    r.add_argument("--frame", choices=["resized", "norm1000"], help="coordinate frame of the model's answers")
    r.add_argument(
        "--mode", choices=["multi", "single"], help="four roles (multi) or GUI-Owl end to end (single)"
    )
    r.add_argument("--max-steps", type=int, help="step budget (default 25)")
    r.add_argument("--max-seconds", type=float, help="wall-clock budget in seconds")
    r.add_argument(
        "--out", help="directory to create the run directory in (default ./runs, MOBILE_AGENT_RUNS_DIR)"
    )
    r.add_argument("--no-notetaker", action="store_true", help="skip the Notetaker")
    r.add_argument(
        "--policy",
        choices=["allow", "confirm", "deny"],
        help="sensitive steps (send, pay, delete, passwords): allow (default), confirm on the terminal, deny",
    )
    r.add_argument("--knowledge", default="", help="extra knowledge for the roles (text)")
    r.add_argument(
        "--output-schema",
        metavar="FILE",
        help="a JSON Schema file: the answer must be JSON matching it (`output` in the result)",
    )
    r.add_argument(
        "--cache",
        metavar="DIR",
        help="plan cache: replay a stored run of this instruction on this screen with no model call (docs/replay.md)",
    )
    r.add_argument("--quiet", "-q", action="store_true", help="no live progress, only the summary")
    r.add_argument(
        "--verbose", "-v", action="store_true", help="also print thoughts, notes and screen changes"
    )
    r.add_argument("--json", action="store_true", help="print the result as JSON on stdout")

    d = sub.add_parser(
        "devices",
        help="list connected devices with model, size and health",
        description="List the devices the adb server knows, with model, screen size and health.",
    )
    d.add_argument("--json", action="store_true")

    doc = sub.add_parser(
        "doctor",
        help="check adb, authorisation, screen capture, keyboard and the model endpoint",
        description="Check every link from adb to the model (adb, authorisation, screen capture, "
        "keyboard, model endpoint) and say how to fix each failed one. Exit code 1 when any fails.",
    )
    doc.add_argument("--device", "-d")
    doc.add_argument("--base-url")
    doc.add_argument("--model")
    doc.add_argument("--api-key")
    doc.add_argument("--json", action="store_true")

    s = sub.add_parser(
        "sim",
        help="start virtual phones (ADB over TCP) until interrupted",
        description="Start virtual phones that speak the real ADB protocol over TCP, until interrupted "
        "(Ctrl-C). Attach with `adb connect 127.0.0.1:PORT` and run tasks with --device 127.0.0.1:PORT.",
    )
    s.add_argument("--port", type=int, default=6555, help="first port (default 6555)")
    s.add_argument("--count", type=int, default=1, help="how many phones (consecutive ports)")
    s.add_argument("--seed", type=int, default=0, help="seed of the phones' contents")

    for name, help_text in PASSTHROUGH.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return p


# ------------------------------------------------------------------------------------- run


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


_FIXES = {
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
_LOCAL_MODEL_FIX = (
    "Pass --model with the folder of a downloaded GUI-Owl (Qwen2.5-VL-family) checkpoint, or a hub id already in "
    'the cache; `pip install -e ".[local]"` installs torch and transformers. See docs/serving.md.'
)


# `run`'s flags by the setting they set: errors name what the user typed, not the variable
_RUN_FLAGS = {
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


def _settings_message(exc: Any, args: argparse.Namespace) -> str:
    """A ConfigError's lines, each naming the flag when the user passed one, else the variable."""
    from mobile_agent.config import describe

    if not getattr(exc, "problems", None):
        return str(exc)
    names = {
        field: flag for field, (dest, flag) in _RUN_FLAGS.items() if getattr(args, dest, None) is not None
    }
    return describe(exc.problems, names)


def _setup_message(exc: Any) -> str:
    """Every set-up problem of a run that could not start, each with what to do about it."""
    lines = ["the run cannot start (nothing was written):"]
    for problem in exc.problems:
        fix = _FIXES.get(problem.kind, "Check `mobile-agent doctor`.")
        if problem.kind == "device_not_found" and "mobile-agent sim" in problem.message:
            fix = ""  # the message already says how to attach a phone
        lines.append(f"- {problem.message}" + (f"\n  What to do: {fix}" if fix else ""))
    return "\n".join(lines)


def _output_schema(path: str | None) -> dict[str, Any] | None:
    """`--output-schema FILE`, read and checked before anything runs (a bad one: exit 2)."""
    if path is None:
        return None
    from mobile_agent.output import OutputSchemaError, load_schema_file

    try:
        return load_schema_file(path)
    except OutputSchemaError as exc:
        raise UsageError(f"--output-schema: {exc}") from None


async def _run(args: argparse.Namespace) -> int:
    from mobile_agent.agent import Agent
    from mobile_agent.config import ConfigError, load_config
    from mobile_agent.progress import ProgressPrinter

    if not args.instruction.strip():
        raise UsageError('the instruction is empty: say what to do, e.g. mobile-agent run "Turn on Wi-Fi"')
    schema = _output_schema(args.output_schema)
    if args.cache and schema is not None:
        raise UsageError("--cache replays recorded steps: it cannot give a structured answer")
    console = _console()
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
        raise UsageError(_settings_message(exc, args)) from None
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
        raise UsageError(_setup_message(exc)) from None
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
        fix = _FIXES[result.error]
        if result.error == "model_unavailable" and config.backend == "local":  # no model server involved
            fix = _LOCAL_MODEL_FIX
        console.print(f"[bold]What to do:[/] {escape(fix)}")
        return EXIT_USAGE
    return EXIT_FAILED


# ------------------------------------------------------------------------------------- others


def _cell(value: Any) -> str:
    """A table cell: a (width, height) pair as 1080x2400, nothing as '-'."""
    if value is None:
        return "-"
    if isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}x{value[1]}"
    return str(value)


async def _devices(args: argparse.Namespace) -> int:
    discovery = _load("mobile_agent.device.discovery", "devices")
    try:
        found = await asyncio.to_thread(discovery.list_devices)
    except ConnectionError as exc:
        raise UsageError(str(exc)) from None
    rows = [_as_dict(x) for x in found]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, default=str))
        return EXIT_OK
    console = _console()
    if not rows:
        console.print("No devices. " + _FIXES["device_not_found"])
        return EXIT_OK
    from rich.table import Table

    table = Table("serial", *[k for k in rows[0] if k != "serial"])
    for row in rows:
        table.add_row(
            escape(str(row.get("serial", ""))), *[escape(_cell(v)) for k, v in row.items() if k != "serial"]
        )
    console.print(table)
    return EXIT_OK


def _as_dict(x: Any) -> dict[str, Any]:
    if isinstance(x, dict):
        return x
    if hasattr(x, "to_json"):
        return dict(x.to_json())
    if hasattr(x, "model_dump"):
        return dict(x.model_dump())
    if hasattr(x, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(x)
    return {"value": str(x)}


async def _doctor(args: argparse.Namespace) -> int:
    from mobile_agent.config import ConfigError, load_config

    doctor = _load("mobile_agent.device.doctor", "doctor")
    try:
        config = load_config(base_url=args.base_url, model=args.model, api_key=args.api_key)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    checks = _call_with(
        doctor.run_doctor,
        serial=args.device,
        base_url=config.base_url,
        model=config.model,
        api_key=config.api_key,
    )
    if inspect.isawaitable(checks):
        checks = await checks
    rows = [_as_dict(c) for c in checks]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, default=str))
    else:
        console = _console()
        for row in rows:
            mark = "[green]ok[/]  " if row.get("ok") else "[red]FAIL[/]"
            console.print(f"{mark} {escape(str(row.get('name')))}: {escape(str(row.get('detail', '')))}")
            if not row.get("ok") and row.get("fix"):
                console.print(f"       fix: {escape(str(row.get('fix')))}")
    return EXIT_OK if all(r.get("ok") for r in rows) else EXIT_FAILED


def _sim(args: argparse.Namespace) -> int:
    server = _load("mobile_agent.sim.server", "sim")
    server.run_sim(port=args.port, count=args.count, seed=args.seed)
    return EXIT_OK


def _passthrough(command: str, argv: list[str]) -> int:
    """Hand the remaining arguments to the module that owns the command."""
    candidates = {
        "serve": ["mobile_agent.api.__main__", "mobile_agent.api.cli"],
        "submit": ["mobile_agent.api.client", "mobile_agent.api.cli"],
        "bench": ["mobile_agent.bench.cli", "mobile_agent.bench.__main__"],
        "demo": ["mobile_agent.bench.cli", "mobile_agent.bench.demo"],
        "mcp": ["mobile_agent.mcp.cli"],
        "host": ["mobile_agent.fleet.host"],
        "replay": ["mobile_agent.replay.cli"],
        "rollout": ["mobile_agent.rollout.cli"],
        "eval-steps": ["mobile_agent.rollout.eval_cli"],
    }[command]
    errors = []
    for name in candidates:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            errors.append(f"{name}: {exc}")
            continue
        for attr in (f"{command}_main", "main"):
            fn = getattr(module, attr, None)
            if callable(fn):
                return int(fn(argv) or 0)
        errors.append(f"{name}: no {command}_main() or main()")
    raise UsageError(f"`mobile-agent {command}` is not available in this installation ({'; '.join(errors)}).")


def main(argv: Sequence[str] | None = None) -> int:
    """The `mobile-agent` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] in PASSTHROUGH:
            return _passthrough(args_list[0], args_list[1:])
        parser = build_parser()
        args = parser.parse_args(args_list)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        if args.command == "run":
            return asyncio.run(_run(args))
        if args.command == "devices":
            return asyncio.run(_devices(args))
        if args.command == "doctor":
            return asyncio.run(_doctor(args))
        if args.command == "sim":
            return _sim(args)
        parser.print_help()
        return EXIT_USAGE
    except UsageError as exc:
        _console().print(f"[bold red]error:[/] {escape(str(exc))}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
