"""Manager: keeps the numbered plan, the completed work and the current subgoal."""

from __future__ import annotations

from PIL import Image

from mobile_agent.bus import MemoryState
from mobile_agent.coords import Frame
from mobile_agent.llm.base import Message
from mobile_agent.roles import common
from mobile_agent.roles.parsing import ManagerResult, ParseFailure, parse_manager

ROLE = "manager"


def escalation_section(state: MemoryState) -> str:
    """Shown when the agent may be stuck: the reason and the failed attempts."""
    if not state.escalate:
        return ""
    failed = [e for e in state.history[-8:] if e.outcome in ("B", "C") or e.error]
    lines = "\n".join(common.history_line(e) for e in failed) or "(none recorded)"
    return (
        "### Warning: the agent may be stuck\n"
        f"{state.escalation_reason or 'Several actions in a row failed.'}\n"
        f"Failed attempts:\n{lines}\n"
        "Change the plan: find another way to reach the goal instead of repeating these actions.\n"
    )


def build_messages(
    state: MemoryState, screenshot: Image.Image, frame: Frame, *, retry_note: str = ""
) -> list[Message]:
    """Messages for one Manager call: the current (resized) screenshot and the shared memory."""
    user = common.render(
        "manager_user",
        instruction=state.instruction,
        knowledge=common.knowledge_section(state),
        completed=state.completed or "(nothing yet)",
        plan=common.plan_text(state.plan),
        last_action=common.last_action_text(state),
        notes=state.notes or "(none)",
        escalation=escalation_section(state),
        human=common.human_section(state) + common.retry_section(retry_note),
    )
    return common.messages(common.render("manager_system"), user, [screenshot])


def parse(text: str) -> ManagerResult | ParseFailure:
    return parse_manager(text)
