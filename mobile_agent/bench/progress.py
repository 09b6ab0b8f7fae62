"""What the console shows while the benchmark or the demo runs: one line per finished run, and
(the demo only) the roles' events as they happen. Shared by `bench.cli` and `bench.demo`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console

from mobile_agent.bus import Event

__all__ = ["EventPrinter", "ProgressPrinter", "event_printer", "progress_printer"]

ProgressPrinter = Callable[[dict[str, Any]], None]
EventPrinter = Callable[[str, Event], None]


def progress_printer(console: Console) -> ProgressPrinter:
    """A `progress` callback for `run_bench`: PASS/FAIL/void per record, and where the claim disagrees."""

    def show(rec: dict[str, Any]) -> None:
        if rec.get("status") == "void":
            console.print(f"[yellow]void[/yellow] {rec['instance']}: {rec.get('reason', '')}")
            return
        ok = rec["verified"] >= 1.0
        mark = "[green]PASS[/green]" if ok else "[red]FAIL[/red]"
        claim = "claimed success" if rec.get("claimed_success") else "claimed failure"
        warn = "" if ok == bool(rec.get("claimed_success")) else " [magenta](claim disagrees)[/magenta]"
        console.print(
            f"{mark} {rec['instance']} a{rec.get('attempt', 0)} · {rec.get('steps', 0)} steps · "
            f"{rec.get('seconds', 0):.1f}s · {claim}{warn}" + ("" if ok else f" · {rec.get('reason', '')}")
        )

    return show


def event_printer(console: Console) -> EventPrinter:
    """An `on_event` callback for `run_bench`: the plan, actions, reflections and notes of each role."""

    def show(task: str, event: Event) -> None:
        t, d = event.type, event.data
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
