"""The agent's questions and approvals, asked of the person behind the MCP client (elicitation).

A task's `ask` action, and under the `confirm` policy a sensitive step, wait on a `HumanChannel`.
Over MCP the person sits behind the client, and the server can reach them only with a request
inside a tool call that is still in flight: the `run_task` call that waits for the task. So a
task is asked through its client only while that call waits and the client declared the
elicitation capability (form mode); otherwise the agent gets a stock reply that says why, as it
did before (a question: nobody can answer; an approval: refused). Whatever goes wrong on the way
(the client errs, the connection is gone, a form that does not fit) is a refusal, never an
approval. How long the agent waits is bounded by `human_timeout_s` (`loop/guards.py`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field, StrictBool

from mobile_agent.human import HumanReply, HumanRequest

__all__ = ["ApprovalForm", "Asker", "McpHuman", "QuestionForm", "why_no_elicitation"]

NO_WAIT = "run_task was called with wait=false, so no call is in flight to ask the client through"


class QuestionForm(BaseModel):
    """The form for the agent's question: one line of text."""

    reply: str = Field(description="Your answer to the agent's question")


class ApprovalForm(BaseModel):
    """The form for a sensitive step: allow it or not (no default: an empty form allows nothing).

    Strict: only a JSON `true` allows the step. Lax pydantic would read "yes", "on", "1" or 1 as
    true; an answer that is not the boolean the form asked for is a refusal, like any misfit."""

    approve: StrictBool = Field(description="Allow this step on the phone?")
    note: str = Field(
        default="", description="Optional: a word for the agent (why not, or what to do instead)"
    )


Asker = Callable[[str, type[BaseModel]], Awaitable[ElicitationResult[Any]]]
"""`ctx.elicit` of the waiting `run_task` call: (message, form) -> the client's answer."""


def why_no_elicitation(ctx: Context[Any, Any]) -> str:
    """'' when this call can ask its client with a form; else why not (told to the agent)."""
    caps = ctx.client_capabilities
    if caps is None or caps.elicitation is None:
        return "the MCP client does not support elicitation (it did not declare the capability)"
    if caps.elicitation.form is None and caps.elicitation.url is not None:
        return "the MCP client supports only URL elicitation, not the form the agent needs"
    if not ctx.session.can_send_request:  # e.g. the stateless 2026-07-28 protocol
        return (
            f"this MCP connection (protocol {ctx.protocol_version}) cannot carry a request from the "
            "server in the middle of a tool call"
        )
    return ""


class McpHuman:
    """A task's human channel: the waiting call's client while one is bound, else a stock reply."""

    def __init__(self, task_id: str, why_not: str = "") -> None:
        self.task_id = task_id
        self.why_not = why_not or "no run_task call is waiting for this task"
        self._ask: Asker | None = None

    def bind(self, ask: Asker) -> None:
        """Ask through this call's client from now on (the `run_task` call that waits)."""
        self._ask = ask

    def unbind(self, why_not: str) -> None:
        """The waiting call is over: later requests get the stock reply, saying `why_not`."""
        self._ask = None
        self.why_not = why_not

    async def request(self, request: HumanRequest) -> HumanReply:
        ask = self._ask
        if ask is None:
            return _nobody(request, self.why_not)
        confirm = request.kind == "confirm"
        try:
            result = await ask(self._message(request), ApprovalForm if confirm else QuestionForm)
        except Exception as exc:  # the client erred or is gone: a refusal, never an approval
            return _nobody(request, f"asking the MCP client failed ({type(exc).__name__}: {exc})")
        if not isinstance(result, AcceptedElicitation):
            return _refused(request, result.action)
        data = result.data
        if isinstance(data, ApprovalForm):
            return HumanReply(text=data.note.strip(), approved=data.approve, meta={"via": "mcp"})
        text = data.reply.strip() if isinstance(data, QuestionForm) else ""
        if not text:
            return _refused(request, "empty")
        return HumanReply(text=text, approved=True, meta={"via": "mcp"})

    def _message(self, request: HumanRequest) -> str:
        head = f"[task {self.task_id}] "
        if request.kind != "confirm":
            return f"{head}The phone agent asks: {request.prompt}"
        action = json.dumps(request.action, ensure_ascii=False) if request.action else "?"
        return f"{head}The phone agent wants to take a sensitive step. {request.prompt}\nAction: {action}"


def _nobody(request: HumanRequest, why: str) -> HumanReply:
    if request.kind == "confirm":
        return HumanReply(text=f"(nobody can approve it: {why})", approved=False, meta={"via": "mcp"})
    return HumanReply(
        text=f"(nobody can answer: {why}; carry on without it)", approved=False, meta={"via": "mcp"}
    )


def _refused(request: HumanRequest, how: str) -> HumanReply:
    """The client declined, cancelled or sent an empty answer: the agent is told so plainly."""
    said = {"decline": "declined", "cancel": "dismissed", "empty": "gave an empty answer to"}.get(how, how)
    if request.kind == "confirm":  # the runner tells the agent "the user declined the action ..."
        return HumanReply(text="", approved=False, meta={"via": "mcp", "action": how})
    return HumanReply(
        text=f"(the user {said} the question; carry on without it)",
        approved=False,
        meta={"via": "mcp", "action": how},
    )
