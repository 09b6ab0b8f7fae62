"""A stateless scripted model for the fleet tests: `[taps=N]` in the instruction makes the Manager
finish after N worker taps (it counts them in its "Completed" field, shown back in its next prompt);
`[ask]` makes the Worker's first action a question to a person, `[asks=N]` its first N actions
(each a different question); `[pay]` makes its first tap a sensitive one ("pay the bill", which
the policy puts to a person), and after a refusal it taps elsewhere ((860, 1500), never the
refused (140, 1500))."""

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
        asks = int(m.group(1)) if (m := re.search(r"\[asks=(\d+)\]", text)) else int("[ask]" in text)
        if 0 <= done < asks:  # ask a person first (the reply is checked by the test)
            prompt = "Which account should I use?" if done == 0 else f"Question {done + 1}: which folder?"
            question = {"action": "ask", "text": prompt}
            return f"### Thought\nI need to know\n### Action\n{json.dumps(question)}\n### Description\nask"
        if "[pay]" in text and done == 0:
            declined = "declined" in text  # the retry after a refusal says so
            tap = {"action": "click", "coordinate": [860 if declined else 140, 1500]}
            what = "tap an empty spot instead" if declined else "pay the bill"
            return f"### Thought\ntap it\n### Action\n{json.dumps(tap)}\n### Description\n{what}"
        action = {"action": "click", "coordinate": [200 + 60 * (max(done, 0) % 10), 1500]}
        return f"### Thought\ntap it\n### Action\n{json.dumps(action)}\n### Description\ntap an empty spot"
    if req.role == "reflector":
        return "### Thought\nthe tap happened\n### Outcome\nA\n### Error\nNone"
    return "### Notes\n- nothing to note"
