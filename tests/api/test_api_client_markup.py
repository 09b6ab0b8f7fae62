"""`mobile-agent submit` prints server messages, prompts, answers and reasons as text, not rich markup."""

from __future__ import annotations

import io
from pathlib import Path

from api_harness import LiveServer
from api_scripted_runner import fake_devices
from rich.console import Console

from mobile_agent.api import create_app
from mobile_agent.api.client import submit
from mobile_agent.api.settings import ApiSettings
from mobile_agent.api.worker import TaskContext, TaskOutcome
from mobile_agent.bus import EventType
from mobile_agent.human import HumanRequest

PROMPT = "Which [/one]? [bold]"
ANSWER = "use [/x] and [red]y"
REASON = "ended [/z]"


async def bracket_runner(ctx: TaskContext) -> TaskOutcome:
    ctx.bus.publish(EventType.TASK_STARTED, {"instruction": ctx.task.instruction, "device": ctx.serial})
    ctx.bus.publish(EventType.HUMAN_REQUESTED, {"kind": "question", "prompt": PROMPT}, step=1)
    reply = await ctx.human.request(HumanRequest("question", PROMPT))
    ctx.bus.publish(EventType.HUMAN_REPLIED, {"text": reply.text, "approved": reply.approved}, step=1)
    action = {"type": "click", "coordinate": [1, 2]}
    ctx.bus.publish(EventType.HUMAN_REQUESTED, {"kind": "confirm", "prompt": "Go?", "action": action}, step=1)
    reply = await ctx.human.request(HumanRequest("confirm", "Go?", action))
    ctx.bus.publish(EventType.HUMAN_REPLIED, {"text": reply.text, "approved": reply.approved}, step=1)
    if not reply.approved:
        return TaskOutcome("failed", reason="refused", steps=1)
    ctx.bus.publish(EventType.ANSWER, {"text": ANSWER})
    return TaskOutcome("succeeded", reason=REASON, answer=ANSWER, steps=1)


def recording() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=300, highlight=False, color_system=None), buf


def test_brackets_print_as_text(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings = ApiSettings(runs_dir=tmp_path / "runs", device_refresh_s=60)
    app = create_app(settings, runner=bracket_runner, device_lister=fake_devices(["d1"]))
    with LiveServer(app) as srv:
        # the server's 422 names the refused serial, brackets and all
        console, out = recording()
        assert submit("x", server=srv.url, device="[/oops]", console=console) == 2
        assert "unknown device '[/oops]'" in out.getvalue()
        # the agent's question, its answer and the reason
        console, out = recording()
        answers = iter(["the first", "y"])
        monkeypatch.setattr("builtins.input", lambda *a: next(answers))
        assert submit("x", server=srv.url, follow=True, console=console, interactive=True) == 0
        text = out.getvalue()
        assert PROMPT in text and ANSWER in text and REASON in text
        assert "Approve? [y/N]" in text  # the keys to press are shown, not eaten as a style tag
