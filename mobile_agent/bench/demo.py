"""`mobile-agent demo`: one virtual phone, the scripted oracle, a few tasks end to end, a report.

It shows the whole framework working on a machine with no phone and no GPU. The model here is
the scripted oracle policy, a test instrument: it proves the framework executes, not that any
model is good. Point `mobile-agent bench --base-url` at a real GUI-Owl endpoint to measure one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

DEMO_TASKS = "wifi_on,contacts_add,messages_send_emoji,multi_code_to_note"


def _event_printer(console: Any) -> Any:
    def show(task: str, event: Any) -> None:
        t = getattr(event, "type", "")
        d = getattr(event, "data", {}) or {}
        if t == "task.started":
            console.print(f"\n[bold]▶ {d.get('instruction', task)}[/bold]")
        elif t == "plan.updated" and d.get("subgoal"):
            console.print(f"  [cyan]manager[/cyan]  subgoal: {d.get('subgoal')}")
        elif t == "action.proposed":
            console.print(f"  [blue]worker[/blue]   {d.get('action')}  — {d.get('description', '')}")
        elif t == "reflection" and d.get("outcome"):
            console.print(f"  [magenta]reflect[/magenta]  outcome {d.get('outcome')}")
        elif t == "notes.updated" and d.get("notes"):
            console.print(f"  [yellow]notes[/yellow]    {str(d.get('notes')).strip()[:80]}")
        elif t == "task.finished":
            console.print(f"  [bold]■ {d.get('status')}[/bold]: {d.get('reason', '')}")

    return show


def run_demo(out_dir: str | Path = "demo-out", mode: str = "multi", tasks: str | None = None) -> int:
    """Run the demo; returns 0 when every task was verified done on the phone."""
    from rich.console import Console

    from mobile_agent.bench.cli import _progress_printer
    from mobile_agent.bench.report import print_table
    from mobile_agent.bench.runner import run_bench

    console = Console(width=max(Console().width, 150))
    console.print(
        "[bold]mobile-agent demo[/bold]: a virtual phone (no emulator) driven over ADB by the full framework "
        f"({mode} mode).\n[yellow]The model is a SCRIPTED ORACLE — a test instrument of the framework, not a "
        "model. It reads the phone's UI tree and answers each role in GUI-Owl's format.[/yellow]"
    )
    summary = asyncio.run(
        run_bench(
            tasks or DEMO_TASKS,
            1,
            1,
            1,
            None,
            mode,
            1,
            out_dir,
            0.0,
            False,
            progress=_progress_printer(console),
            on_event=_event_printer(console),
        )
    )
    print_table(summary, console)
    out = Path(out_dir)
    console.print(
        f"\nReport: [bold]{(out / 'report.html').resolve()}[/bold]  (runs with screenshots: {out / 'runs'})"
    )
    console.print(
        "To measure a real GUI-Owl: serve it with vLLM, then\n"
        "  mobile-agent bench --base-url http://HOST:8000/v1 --model gui-owl-7b --tasks 'wifi*,contacts*'"
    )
    o = summary["overall"]
    return 0 if o["runs"] and o["verified_success"] == o["runs"] else 1
