"""Human in the loop: how the runner asks a person a question or for approval.

The runner pauses before an `ask` action or a step its sensitivity policy flags (sending a
message, paying, deleting, entering a password), publishes `human.requested`, and awaits a
`HumanChannel`. The CLI answers from the terminal; the HTTP API answers from
`POST /v1/tasks/{id}/reply`; the MCP server asks its client by elicitation (`mcp/elicit.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class HumanRequest:
    kind: Literal["question", "confirm"]
    prompt: str
    action: dict[str, Any] | None = None


@dataclass(frozen=True)
class HumanReply:
    text: str = ""
    approved: bool = True
    meta: dict[str, Any] = field(default_factory=dict)


class HumanTimeout(Exception):
    """Nobody answered in time; the task fails with this reason."""


class HumanChannel(Protocol):
    async def request(self, request: HumanRequest) -> HumanReply: ...
