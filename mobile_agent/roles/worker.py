"""Worker: picks ONE action for the current subgoal from the current screenshot."""

from __future__ import annotations

from PIL import Image

from mobile_agent.bus import MemoryState
from mobile_agent.coords import Frame
from mobile_agent.llm.base import Message
from mobile_agent.roles import action_docs, common, owl15
from mobile_agent.roles.parsing import ParseFailure, WorkerResult, parse_worker

ROLE = "worker"


def build_messages(
    state: MemoryState,
    screenshot: Image.Image,
    frame: Frame,
    *,
    retry_note: str = "",
    history_len: int = 5,
    prompt_format: str = "gui-owl",
    output: str = "",
) -> list[Message]:
    """Messages for one Worker call; `frame` is the exact frame of `screenshot` as sent.

    With `prompt_format="gui-owl-1.5"` the action list uses that model's names (`interact`)."""
    names = owl15.NAMES if prompt_format == "gui-owl-1.5" else None
    system = common.render("worker_system", frame=frame.describe(), actions=action_docs.worker_lines(names))
    user = common.render(
        "worker_user",
        instruction=state.instruction,
        knowledge=common.knowledge_section(state),
        plan=common.plan_text(state.plan),
        subgoal=state.subgoal or (state.plan[0] if state.plan else state.instruction),
        completed=state.completed or "(nothing yet)",
        notes=state.notes or "(none)",
        history=common.history_text(state, history_len),
        human=common.human_section(state),
        retry=common.retry_section(retry_note),
        output=output,
        frame=frame.describe(),
    )
    return common.messages(system, user, [screenshot])


def parse(text: str) -> WorkerResult | ParseFailure:
    return parse_worker(text)
