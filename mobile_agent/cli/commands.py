"""The small commands: devices, doctor, sim, and the hand-off to commands other modules own."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
from typing import Any

from mobile_agent.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    call_with,
    escape,
    load_module,
    make_console,
)
from mobile_agent.cli.run import FIXES

__all__ = ["devices", "doctor", "passthrough", "sim"]


def _cell(value: Any) -> str:
    """A table cell: a (width, height) pair as 1080x2400, nothing as '-'."""
    if value is None:
        return "-"
    if isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}x{value[1]}"
    return str(value)


async def devices(args: argparse.Namespace) -> int:
    discovery = load_module("mobile_agent.device.discovery", "devices")
    try:
        found = await asyncio.to_thread(discovery.list_devices)
    except ConnectionError as exc:
        raise UsageError(str(exc)) from None
    rows = [_as_dict(x) for x in found]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, default=str))
        return EXIT_OK
    console = make_console()
    if not rows:
        console.print("No devices. " + FIXES["device_not_found"])
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


async def doctor(args: argparse.Namespace) -> int:
    from mobile_agent.config import ConfigError, load_config

    doctor = load_module("mobile_agent.device.doctor", "doctor")
    try:
        config = load_config(base_url=args.base_url, model=args.model, api_key=args.api_key)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    checks = call_with(
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
        console = make_console()
        for row in rows:
            mark = "[green]ok[/]  " if row.get("ok") else "[red]FAIL[/]"
            console.print(f"{mark} {escape(str(row.get('name')))}: {escape(str(row.get('detail', '')))}")
            if not row.get("ok") and row.get("fix"):
                console.print(f"       fix: {escape(str(row.get('fix')))}")
    return EXIT_OK if all(r.get("ok") for r in rows) else EXIT_FAILED


def sim(args: argparse.Namespace) -> int:
    server = load_module("mobile_agent.sim.server", "sim")
    server.run_sim(port=args.port, count=args.count, seed=args.seed)
    return EXIT_OK


def passthrough(command: str, argv: list[str]) -> int:
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
