"""The MCP server: a phone's tools, our agent as one tool, and the latest run's report.

Low-level tools (`screenshot`, `ui_tree`, `tap`, `swipe`, `type_text`, `press_key`,
`open_app`) let an outside agent (Claude Desktop, an IDE agent) drive the phone itself, in device
pixels; `run_task` hands a whole instruction to our agent, streaming each step as MCP progress.
Tool names and arguments are a contract (docs/mcp.md). Built on the official `mcp` SDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mcp.server.mcpserver import Context, Image, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp_types import ToolAnnotations

from mobile_agent import __version__
from mobile_agent.mcp.elicit import NO_WAIT, why_no_elicitation
from mobile_agent.mcp.phone import PhoneLink
from mobile_agent.mcp.tasks import TaskManager
from mobile_agent.mcp.uitext import compact_tree

__all__ = ["McpOptions", "McpState", "build_server"]

INSTRUCTIONS = (
    "Drive an Android phone. Coordinates are device pixels: the screenshot's size, or a `center` "
    "from ui_tree. Low-level tools act at once; run_task gives a whole instruction to the "
    "mobile-agent framework (GUI-Owl) and streams its steps as progress. While run_task waits, the "
    "agent's questions and its sensitive steps (send, pay, delete, passwords) are put to the user by "
    "elicitation when the client supports it; otherwise sensitive steps are refused unless the server "
    "was started with --allow-sensitive."
)
_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_ACT = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)


@dataclass(frozen=True)
class McpOptions:
    """How the server was started (`mobile-agent mcp` flags)."""

    device: str | None = None
    allow_sensitive: bool = False
    runs_dir: str | None = None


@dataclass
class McpState:
    """What the tools share: the phone and the task manager (closed at shutdown)."""

    phone: PhoneLink
    tasks: TaskManager

    async def aclose(self) -> None:
        await self.tasks.shutdown()
        await self.phone.close()


def _idle(state: McpState) -> None:
    """Low-level gestures would fight a running task over the phone: refuse them meanwhile."""
    busy = state.tasks.running
    if busy is not None:
        raise ToolError(
            f"task {busy.id} is driving the phone ({busy.instruction!r}); wait for it (task_status) "
            "or stop it (cancel_task) before acting yourself"
        )


def build_server(options: McpOptions) -> tuple[MCPServer[Any], McpState]:
    """The MCP server with every tool and resource registered, and the state they share."""
    state = McpState(
        PhoneLink(options.device),
        TaskManager(options.device, allow_sensitive=options.allow_sensitive, runs_dir=options.runs_dir),
    )
    server: MCPServer[Any] = MCPServer(
        "mobile-agent", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING"
    )

    @server.tool(annotations=_READ)
    async def devices() -> list[dict[str, Any]]:
        """Devices the adb server knows, with model, screen size and health; `selected` marks this server's."""
        from mobile_agent.device.discovery import alist_devices

        try:
            found = await alist_devices()
        except ConnectionError as exc:
            raise ToolError(str(exc)) from None
        rows = [d.to_json() for d in found]
        chosen = state.phone.serial
        for row in rows:
            row["selected"] = row["serial"] == chosen if chosen else len(rows) == 1
        return rows

    @server.tool(annotations=_READ, structured_output=False)
    async def screenshot() -> list[Any]:
        """The screen as a PNG at the device's full size (coordinates for tap/swipe are its pixels)."""
        png, (width, height) = await state.phone.screenshot_png()
        return [Image(data=png, format="png"), f"{width}x{height} device pixels"]

    @server.tool(annotations=_READ)
    async def ui_tree() -> str:
        """The screen's elements, one per line: class, "text", desc, id, bounds and the center to tap."""
        xml = await state.phone.ui_xml()
        try:
            return compact_tree(xml)
        except ValueError as exc:
            raise ToolError(str(exc)) from None

    @server.tool(annotations=_ACT)
    async def tap(x: int, y: int) -> str:
        """Tap the screen at (x, y) in device pixels."""
        _idle(state)
        await state.phone.tap(x, y)
        return f"tapped ({x}, {y})"

    @server.tool(annotations=_ACT)
    async def swipe(x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> str:
        """Swipe from (x1, y1) to (x2, y2) in device pixels over duration_ms milliseconds (1..10000)."""
        _idle(state)
        await state.phone.swipe(x1, y1, x2, y2, duration_ms)
        return f"swiped ({x1}, {y1}) -> ({x2}, {y2}) in {duration_ms} ms"

    @server.tool(annotations=_ACT)
    async def type_text(text: str) -> str:
        """Type text into the focused field, exactly as given (any Unicode; nothing is interpreted)."""
        _idle(state)
        await state.phone.type_text(text)
        return f"typed {len(text)} character(s)"

    @server.tool(annotations=_ACT)
    async def press_key(key: str) -> str:
        """Press a key: back, home, enter, menu, del, tab, volume_up, or an Android KEYCODE_* name."""
        _idle(state)
        name = await state.phone.press_key(key)
        return f"pressed {name}"

    @server.tool(annotations=_ACT)
    async def open_app(name: str) -> str:
        """Open an installed app by its name as the launcher shows it (e.g. "Settings") or its package."""
        _idle(state)
        package = await state.phone.open_app(name)
        return f"opened {package}"

    @server.tool(annotations=ToolAnnotations(destructive_hint=True, open_world_hint=True))
    async def run_task(
        instruction: str,
        ctx: Context,
        max_steps: int | None = None,
        mode: Literal["multi", "single"] | None = None,
        wait: bool = True,
    ) -> dict[str, Any]:
        """Have the mobile-agent framework do a whole task on the phone (e.g. "Turn on Wi-Fi").

        Each step is streamed as a progress notification (when the request carries a progress
        token). Returns task_id, status, answer, reason, steps and the run directory. wait=false
        returns at once with the task_id, for task_status / cancel_task. While the call waits, the
        agent's questions and approvals of sensitive steps come to the client as elicitation.
        """
        why_not = why_no_elicitation(ctx) if wait else NO_WAIT
        record = state.tasks.start(
            instruction, max_steps=max_steps, mode=mode, ask=None if why_not else ctx.elicit, why_not=why_not
        )
        if not wait:
            return record.to_json()
        last = -1.0

        async def send(step: float, text: str) -> None:
            nonlocal last
            value = max(step, last + 0.01)  # progress must increase with every notification
            last = value
            await ctx.report_progress(value, float(record.max_steps), f"[task {record.id}] {text}")

        await state.tasks.wait(record, send)
        if record.error is not None:
            raise ToolError(record.error)
        return record.to_json()

    @server.tool(annotations=_READ)
    async def task_status(task_id: str) -> dict[str, Any]:
        """A task's status (running, succeeded, failed, cancelled), steps so far, answer and run directory."""
        return state.tasks.get(task_id).to_json()

    @server.tool(annotations=_ACT)
    async def cancel_task(task_id: str) -> dict[str, Any]:
        """Stop a running task cleanly (its run directory is still written); a waiting run_task then returns."""
        record = state.tasks.get(task_id)
        if not record.done:
            record.cancel.set()
        return record.to_json()

    def _latest(name: str) -> Path:
        run_dir = state.tasks.latest_run_dir()
        if run_dir is None:
            raise ResourceError("no run yet: call run_task first")
        path = run_dir / name
        if not path.is_file():
            raise ResourceError(f"{path} does not exist (the run may still be going)")
        return path

    @server.resource(
        "mobile-agent://runs/latest/report",
        name="latest-report",
        description="The latest run's report (HTML: steps, screenshots, actions, outcome)",
        mime_type="text/html",
    )
    def latest_report() -> str:
        return _latest("report.html").read_text(encoding="utf-8")

    @server.resource(
        "mobile-agent://runs/latest/result",
        name="latest-result",
        description="The latest run's result.json (status, reason, answer, steps, timings, usage)",
        mime_type="application/json",
    )
    def latest_result() -> str:
        return _latest("result.json").read_text(encoding="utf-8")

    return server, state
