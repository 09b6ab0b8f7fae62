"""A stateless scripted model for the fleet tests: `[taps=N]` in the instruction makes the Manager
finish after N worker taps (it counts them in its "Completed" field, shown back in its next prompt);
`[ask]` makes the Worker's first action a question to a person."""

from __future__ import annotations

import json
import re

from mobile_agent.testing import ChatRequest


def respond(req: ChatRequest) -> str:
    text = req.user_text
    done = int(m.group(1)) if (m := re.search(r"taps: (\d+)", text)) else -1
    if req.role == "manager":
        target = int(m.group(1)) if (m := re.search(r"\[taps=(\d+)\]", text)) else 1
        done += 1
        status = "finished" if done >= target else "in_progress"
        return (
            f"### Thought\ncounting taps\n### Completed\ntaps: {done}\n### Plan\n1. Tap the screen\n"
            f"### Current Subgoal\nTap the screen\n### Status\n{status}"
        )
    if req.role == "worker":
        if "[ask]" in text and done == 0:  # ask a person first (the reply is checked by the test)
            question = {"action": "ask", "text": "Which account should I use?"}
            return f"### Thought\nI need to know\n### Action\n{json.dumps(question)}\n### Description\nask"
        action = {"action": "click", "coordinate": [200 + 60 * (max(done, 0) % 10), 1500]}
        return f"### Thought\ntap it\n### Action\n{json.dumps(action)}\n### Description\ntap an empty spot"
    if req.role == "reflector":
        return "### Thought\nthe tap happened\n### Outcome\nA\n### Error\nNone"
    return "### Notes\n- nothing to note"
