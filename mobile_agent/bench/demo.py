"""`mobile-agent demo`: one virtual phone, the scripted oracle, a few tasks end to end, a report.

It shows the whole framework working on a machine with no phone and no GPU. The model here is
the scripted oracle policy, a test instrument: it proves the framework executes, not that any
model is good. Point `mobile-agent bench --base-url` at a real GUI-Owl endpoint to measure one.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from pathlib import Path
from typing import Any

from rich.console import Console

from mobile_agent.bench.progress import event_printer, progress_printer
from mobile_agent.bench.runner import Mode, run_bench

__all__ = ["DEMO_TASKS", "MARKER", "prepare_out_dir", "run_demo"]

DEMO_TASKS = "wifi_on,contacts_add,messages_send_emoji,multi_code_to_note"
# In a folder the demo made; a re-run clears the previous runs only where this file is.
MARKER = ".mobile-agent-demo"
_OUTPUTS = ("results.jsonl", "results.jsonl.prev", "results.json", "report.html")
_RUN_FILES = ("events.jsonl", "result.json")  # what the agent writes into every run directory


def prepare_out_dir(out: Path) -> str | None:
    """Make `out` the demo's folder, clearing a previous demo's output; a note when it cannot.

    Only a folder carrying MARKER (one the demo made) is cleared, and there only the demo's own
    files and the run directories under runs/ (recognised by the files every run writes).
    """
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        return (
            f"{out} was not made by the demo: earlier runs in it are left alone "
            "(pass --out with a new folder for a clean report)."
        )
    out.mkdir(parents=True, exist_ok=True)
    runs = out / "runs"
    if runs.is_dir():
        for child in runs.iterdir():
            if child.is_dir() and not child.is_symlink() and any((child / f).is_file() for f in _RUN_FILES):
                shutil.rmtree(child)
    for name in _OUTPUTS:
        with contextlib.suppress(FileNotFoundError):
            (out / name).unlink()
    (out / MARKER).write_text("made by `mobile-agent demo`; a re-run clears the runs in here\n", "utf-8")
    return None


def _adb_server_listening() -> tuple[str, int, bool]:
    """(host, port, whether an adb server answers there now)."""
    from mobile_agent.device.adb_host import adb_server_address

    host, port = adb_server_address()
    try:
        with socket.create_connection((host, port), timeout=1):
            return host, port, True
    except OSError:
        return host, port, False


def _stop_adb_server(host: str, port: int) -> None:
    """Stop the adb server the demo started (adbutils starts one when none is running)."""
    import adbutils

    with contextlib.suppress(adbutils.AdbError, OSError):
        adbutils.AdbClient(host=host, port=port).server_kill()


def run_demo(out_dir: str | Path = "demo-out", mode: Mode = "multi", tasks: str | None = None) -> int:
    """Run the demo; returns 0 when every task was verified done on the phone."""
    from mobile_agent.bench.report import print_table

    console = Console(width=max(Console().width, 150))
    console.print(
        "[bold]mobile-agent demo[/bold]: a virtual phone (no emulator) driven over ADB by the full framework "
        f"({mode} mode).\n[yellow]The model is a SCRIPTED ORACLE — a test instrument of the framework, not a "
        "model. It reads the phone's UI tree and answers each role in GUI-Owl's format.[/yellow]"
    )
    out = Path(out_dir)
    note = prepare_out_dir(out)
    if note:
        console.print(f"[yellow]{note}[/yellow]")
    host, port, adb_was_running = _adb_server_listening()
    try:
        summary = _run(tasks or DEMO_TASKS, mode, out, console)
    finally:
        if not adb_was_running and _adb_server_listening()[2]:
            _stop_adb_server(host, port)  # leave a server we found running alone
    print_table(summary, console)
    console.print(
        f"\nReport: [bold]{(out / 'report.html').resolve()}[/bold]  (runs with screenshots: {out / 'runs'})"
    )
    console.print(
        "To measure a real GUI-Owl: serve it with vLLM, then\n"
        "  mobile-agent bench --base-url http://HOST:8000/v1 --model gui-owl-7b --tasks 'wifi*,contacts*'"
    )
    o = summary["overall"]
    return 0 if o["runs"] and o["verified_success"] == o["runs"] else 1


def _run(tasks: str, mode: Mode, out: Path, console: Console) -> dict[str, Any]:
    return asyncio.run(
        run_bench(
            tasks,
            1,
            1,
            1,
            None,
            mode,
            1,
            out,
            0.0,
            False,
            progress=progress_printer(console),
            on_event=event_printer(console),
        )
    )
