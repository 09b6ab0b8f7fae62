"""Live progress on the terminal: a bus subscriber that prints step, role, action, outcome."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape

from mobile_agent.bus import Event, EventType
from mobile_agent.roles.common import action_text

_OUTCOME_STYLE = {"A": "green", "B": "yellow", "C": "red"}


def _short(text: Any, limit: int = 110) -> str:
    s = text if isinstance(text, str) else json.dumps(text, ensure_ascii=False)
    s = " ".join(s.split())
    return escape(s if len(s) <= limit else s[: limit - 1] + "…")


class ProgressPrinter:
    """`bus.subscribe(ProgressPrinter())`; `verbose` adds thoughts, `quiet` prints nothing live."""

    def __init__(self, console: Console | None = None, *, quiet: bool = False, verbose: bool = False) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.quiet = quiet
        self.verbose = verbose

    def __call__(self, event: Event) -> None:
        if self.quiet:
            return
        line = self.format(event)
        if line:
            self.console.print(line)

    def format(self, ev: Event) -> str | None:
        d = ev.data
        t = ev.type
        if t == EventType.TASK_STARTED:
            return f"[bold]Task:[/] {_short(d.get('instruction'), 200)}  [dim]({d.get('mode')} mode, {d.get('device')})[/]"
        if t == EventType.STEP_STARTED:
            return f"[bold cyan]Step {ev.step}[/]"
        if t == EventType.PLAN:
            status = "[green]finished[/]" if d.get("finished") else f"subgoal: {_short(d.get('subgoal'))}"
            return f"  [magenta]manager[/]   {status}"
        if t == EventType.ACTION_PROPOSED:
            extra = f"  [dim]{_short(d.get('description'), 80)}[/]" if d.get("description") else ""
            thought = (
                f"\n            [dim]{_short(d.get('thought'), 160)}[/]"
                if self.verbose and d.get("thought")
                else ""
            )
            return (
                f"  [blue]{ev.role or 'worker':<9}[/] {_short(action_text(d.get('action')))}{extra}{thought}"
            )
        if t == EventType.ACTION_FAILED:
            return f"  [red]failed[/]    {_short(d.get('error'))}"
        if t == EventType.PARSE_ERROR:
            return f"  [yellow]{d.get('role')}[/] answer unusable (attempt {d.get('attempt')}): {_short(d.get('reason'))}"
        if t == EventType.SCREEN_DIFF and self.verbose:
            return f"  [dim]screen change {float(d.get('diff', 0)) * 100:.2f}%[/]"
        if t == EventType.REFLECTION:
            o = str(d.get("outcome", "?"))
            note = " [yellow](claimed A, screen unchanged)[/]" if d.get("disagreement") else ""
            err = f"  [dim]{_short(d.get('error'), 80)}[/]" if d.get("error") else ""
            return f"  [dim]{d.get('source', 'reflector'):<9}[/] [{_OUTCOME_STYLE.get(o, 'white')}]{o}[/]{note}{err}"
        if t == EventType.NOTES and self.verbose:
            return f"  [green]notes[/]     {_short(d.get('notes'))}"
        if t == EventType.ESCALATION:
            return f"  [bold yellow]escalation[/] {_short(d.get('reason'))}"
        if t == EventType.HUMAN_REQUESTED:
            return f"  [bold]asks you[/] ({d.get('kind')}): {_short(d.get('prompt'), 200)}"
        if t == EventType.HUMAN_REPLIED:
            return (
                f"  [bold]reply[/] {'approved' if d.get('approved') else 'declined'} {_short(d.get('text'))}"
            )
        if t == EventType.ANSWER:
            return f"  [bold green]answer[/]    {_short(d.get('text'), 300)}"
        if t.startswith("replay.") and d.get("message"):  # replay and plan cache (docs/replay.md)
            style = "bold yellow" if t == "replay.diverged" else "cyan"
            return f"  [{style}]replay[/]    {_short(d.get('message'), 300)}"
        if t == EventType.ERROR:
            return f"  [red]error[/] ({d.get('where')}): {_short(d.get('message'), 200)}"
        return None
