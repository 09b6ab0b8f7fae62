"""Background tasks of the MCP server: `run_task` starts one, `task_status` / `cancel_task` reach it.

A task is our agent doing a whole instruction through the Python `Agent` API. It runs as an
asyncio task of the server, so a `run_task` call that waits for it can be cancelled from another
call (`cancel_task`), and its bus events become progress lines that the waiting call streams as
MCP progress notifications. One task at a time: the server drives one phone.

A person is reached through the client (`elicit.py`): while the `run_task` call that started
the task waits for it and its client declared elicitation, the agent's questions and approvals
go to that client; otherwise the agent is told nobody can answer.

Safety: the sensitive-action policy is `confirm` when the waiting client can be asked, else `deny`
(nobody could confirm a send, a payment or a deletion), unless the server was started with
`--allow-sensitive`; MOBILE_AGENT_POLICY does not change it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from mobile_agent.agent import Agent, SetupError
from mobile_agent.bus import Event, EventType
from mobile_agent.config import AgentConfig, ConfigError, load_config
from mobile_agent.loop import RunResult
from mobile_agent.mcp.elicit import NO_WAIT, Asker, McpHuman
from mobile_agent.roles.common import action_text

__all__ = ["TaskManager", "TaskRecord", "progress_line"]

_SETUP_FIXES = {
    "model_unavailable": (
        "Start a model server (e.g. `vllm serve mPLUG/GUI-Owl-7B --served-model-name gui-owl-7b`) and point "
        "MOBILE_AGENT_BASE_URL / MOBILE_AGENT_MODEL at it in the MCP server's environment; "
        "`mobile-agent doctor` checks the endpoint."
    ),
    "device_not_found": "Attach a phone (see `mobile-agent devices`) or start the server with --device SERIAL.",
    "config": "Fix the MOBILE_AGENT_* settings in the MCP server's environment.",
}


def progress_line(event: Event) -> str | None:
    """One line for a progress notification, or None for events a watcher need not see."""
    d, step = event.data, event.step
    if event.type == EventType.TASK_STARTED:
        return f"started on {d.get('device')} ({d.get('mode')} mode): {d.get('instruction')}"
    if event.type == EventType.PLAN:
        return (
            f"step {step}: plan finished"
            if d.get("finished")
            else f"step {step}: subgoal: {d.get('subgoal')}"
        )
    if event.type == EventType.ACTION_PROPOSED:
        what = f" ({d['description']})" if d.get("description") else ""
        return f"step {step}: {action_text(d.get('action'))}{what}"
    if event.type == EventType.ACTION_FAILED:
        return f"step {step}: the action failed: {d.get('error')}"
    if event.type == EventType.HUMAN_REPLIED and d.get("auto"):
        return f"step {step}: refused by the sensitive-action policy: {d.get('reason')}"
    if event.type == EventType.HUMAN_REQUESTED:
        what = "to approve a step" if d.get("kind") == "confirm" else "a question"
        return f"step {step}: asking the user {what}: {d.get('prompt')}"
    if event.type == EventType.HUMAN_REPLIED:
        return f"step {step}: {_reply_text(d)}"
    if event.type == EventType.ANSWER:
        return f"answer: {d.get('text')}"
    if event.type == EventType.TASK_FINISHED:
        return f"{d.get('status')} after {d.get('steps')} step(s): {d.get('reason')}"
    return None


def _reply_text(d: dict[str, Any]) -> str:
    """The user's verdict for a progress line (an answer's own text stays in the run directory)."""
    said = d.get("text") or ""
    if d.get("kind") == "confirm":
        return (
            "the user allowed the step" if d.get("approved") else f"the step was not allowed {said}".rstrip()
        )
    return "the user answered" if d.get("approved") else f"no answer: {said}"


@dataclass
class TaskRecord:
    """One task: its progress lines so far and, once ended, its result."""

    id: str
    instruction: str
    mode: str
    max_steps: int
    started: float = field(default_factory=time.time)
    lines: list[tuple[float, str]] = field(default_factory=list)  # (step, text)
    result: RunResult | None = None
    error: str | None = None  # the run could not start: what is wrong and what to do
    done: bool = False
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    human: McpHuman | None = None
    _waiters: set[asyncio.Event] = field(default_factory=set)

    @property
    def status(self) -> str:
        if not self.done:
            return "cancelling" if self.cancel.is_set() else "running"
        return self.result.status if self.result is not None else "failed"

    def to_json(self) -> dict[str, Any]:
        r = self.result
        run_dir = r.run_dir if r is not None else None
        return {
            "task_id": self.id,
            "status": self.status,
            "instruction": self.instruction,
            "mode": self.mode,
            "steps": r.steps if r is not None else int(max([s for s, _ in self.lines], default=0)),
            "answer": r.answer if r is not None else None,
            "reason": r.reason if r is not None else self.error,
            "error": (r.error if r is not None else ("setup" if self.error else None)),
            "run_dir": str(run_dir) if run_dir else None,
            "report": str(Path(run_dir) / "report.html") if run_dir else None,
            "last_progress": self.lines[-1][1] if self.lines else None,
        }

    def _push(self, step: float, text: str) -> None:
        self.lines.append((step, text))
        self._wake()

    def _finish(self) -> None:
        self.done = True
        self._wake()

    def _wake(self) -> None:
        for waiter in self._waiters:
            waiter.set()

    async def follow(self, send: Callable[[float, str], Awaitable[None]]) -> None:
        """Call `send(step, line)` for every progress line, past and new, until the task ends."""
        wake = asyncio.Event()
        self._waiters.add(wake)
        sent = 0
        try:
            while True:
                wake.clear()
                while sent < len(self.lines):
                    step, text = self.lines[sent]
                    sent += 1
                    await send(step, text)
                if self.done:
                    return
                await wake.wait()
        finally:
            self._waiters.discard(wake)


class TaskManager:
    """Starts, tracks and cancels the server's tasks (one at a time)."""

    def __init__(self, serial: str | None, *, allow_sensitive: bool, runs_dir: str | None = None) -> None:
        self.serial = serial
        self.allow_sensitive = allow_sensitive
        self.runs_dir = runs_dir
        self.tasks: dict[str, TaskRecord] = {}

    @property
    def running(self) -> TaskRecord | None:
        return next((t for t in self.tasks.values() if not t.done), None)

    def latest_run_dir(self) -> Path | None:
        """The run directory of this server's latest task that has one, else the newest under runs_dir."""
        for record in reversed(list(self.tasks.values())):
            if record.result is not None and record.result.run_dir is not None:
                return Path(record.result.run_dir)
        try:
            root = self.config().runs_dir
        except ToolError:
            return None
        found = [p.parent for p in Path(root).glob("*/result.json")]
        return max(found, key=lambda p: p.stat().st_mtime) if found else None

    def config(self, *, can_ask: bool = False, **overrides: Any) -> AgentConfig:
        """The settings `mobile-agent run` would use, with the MCP server's policy (`confirm`
        only when someone can be asked)."""
        policy = "allow" if self.allow_sensitive else "confirm" if can_ask else "deny"
        try:
            return load_config(policy=policy, runs_dir=self.runs_dir, **overrides)
        except ConfigError as exc:
            raise ToolError(f"{exc}\nWhat to do: {_SETUP_FIXES['config']}") from None

    def get(self, task_id: str) -> TaskRecord:
        record = self.tasks.get(task_id.strip())
        if record is None:
            known = ", ".join(self.tasks) or "none yet"
            raise ToolError(f"no task {task_id!r} (tasks of this server: {known})")
        return record

    def start(
        self,
        instruction: str,
        *,
        max_steps: int | None,
        mode: str | None,
        ask: Asker | None = None,
        why_not: str = NO_WAIT,
    ) -> TaskRecord:
        """Start a task in the background; ToolError when it cannot start (bad input, one running).

        `ask` reaches the person behind the waiting call's client; without it the agent is told
        `why_not` whenever it asks."""
        if not instruction.strip():
            raise ToolError('the instruction is empty: say what to do, e.g. "Turn on Wi-Fi"')
        if max_steps is not None and not 1 <= max_steps <= 1000:
            raise ToolError(f"max_steps must be 1..1000, got {max_steps}")
        if mode not in (None, "", "multi", "single"):
            raise ToolError(f"mode must be 'multi' or 'single', got {mode!r}")
        busy = self.running
        if busy is not None:
            raise ToolError(
                f"task {busy.id} is still running on this phone ({busy.instruction!r}); "
                "wait for it (task_status) or stop it (cancel_task)"
            )
        config = self.config(can_ask=ask is not None, mode=mode or None, max_steps=max_steps)
        record = TaskRecord(secrets.token_hex(4), instruction, config.mode, config.max_steps)
        record.human = McpHuman(record.id, why_not)
        if ask is not None:
            record.human.bind(ask)
        self.tasks[record.id] = record
        record.task = asyncio.create_task(self._run(record, config), name=f"mcp-task-{record.id}")
        return record

    async def _run(self, record: TaskRecord, config: AgentConfig) -> None:
        loop = asyncio.get_running_loop()

        def on_event(event: Event) -> None:
            line = progress_line(event)
            if line is not None:  # through the loop, so lines stay ordered before _finish
                loop.call_soon_threadsafe(record._push, float(event.step or 0), line)

        agent = Agent(self.serial, config=config, human=record.human)
        agent.subscribe(on_event)
        try:
            record.result = await agent.run(record.instruction, cancel=record.cancel)
        except SetupError as exc:
            record.error = "the task cannot start (nothing was run):\n" + "\n".join(
                f"- {p.message}\n  What to do: {_SETUP_FIXES.get(p.kind, 'Check `mobile-agent doctor`.')}"
                for p in exc.problems
            )
            loop.call_soon_threadsafe(record._push, 0.0, record.error)
        except OSError as exc:
            record.error = (
                f"cannot write the run directory under {config.runs_dir}: {exc}\n"
                "What to do: start the server with --out (or MOBILE_AGENT_RUNS_DIR) set to a folder you can write to."
            )
            loop.call_soon_threadsafe(record._push, 0.0, record.error)
        finally:
            loop.call_soon_threadsafe(record._finish)

    async def wait(self, record: TaskRecord, send: Callable[[float, str], Awaitable[None]]) -> None:
        """Stream the task's progress until it ends; a cancelled wait cancels the task too."""
        try:
            await record.follow(send)
        except asyncio.CancelledError:
            record.cancel.set()
            raise
        finally:
            if record.human is not None:  # nobody is asked through a call that has ended
                record.human.unbind("the run_task call that waited for this task has ended")

    async def shutdown(self, timeout_s: float = 10.0) -> None:
        """Cancel what runs and let each write its run directory."""
        pending = [t for t in self.tasks.values() if not t.done and t.task is not None]
        for record in pending:
            record.cancel.set()
        if pending:
            _, late = await asyncio.wait([r.task for r in pending if r.task], timeout=timeout_s)
            for task in late:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
