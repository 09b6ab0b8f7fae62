"""The `mobile-agent` parser and dispatch: each command's work lives in its own module."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from mobile_agent import __version__
from mobile_agent.cli.commands import devices, doctor, passthrough, sim
from mobile_agent.cli.common import EXIT_USAGE, UsageError, escape, make_console
from mobile_agent.cli.run import run
from mobile_agent.redact import install_excepthook, install_logging, redact

__all__ = ["PASSTHROUGH", "build_parser", "main"]

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


def main(argv: Sequence[str] | None = None) -> int:
    """The `mobile-agent` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    install_logging()  # every command: no log line or traceback carries a key or a password
    install_excepthook()
    try:
        if args_list and args_list[0] in PASSTHROUGH:
            return passthrough(args_list[0], args_list[1:])
        parser = build_parser()
        args = parser.parse_args(args_list)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        if args.command == "run":
            return asyncio.run(run(args))
        if args.command == "devices":
            return asyncio.run(devices(args))
        if args.command == "doctor":
            return asyncio.run(doctor(args))
        if args.command == "sim":
            return sim(args)
        parser.print_help()
        return EXIT_USAGE
    except UsageError as exc:
        make_console().print(f"[bold red]error:[/] {escape(redact(str(exc)))}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
