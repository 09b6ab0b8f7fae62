"""A stateless scripted model policy for end-to-end API tests (served by StubChatServer).

The instruction carries the script: `[taps=N]` makes the Manager finish after N worker taps
(it counts them in its own "Completed" field, which the next Manager prompt shows back);
`[confirm]` makes the first tap a "Send the message" tap, which the sensitive-action policy
stops for a human confirmation; `[ask]` makes the Worker ask the user a question (an `ask`
action) until a reply shows in its prompt; `[answer]` makes the Worker answer with `ANSWER` as
JSON text (after its question, with `[ask]`), a value with markup in it for the viewer to escape.
"""

from __future__ import annotations

import json
import re

from mobile_agent.testing import ChatRequest

ANSWER = {"name": "Ana Pereira", "note": "</script><img src=x onerror=alert(1)>", "tags": ["<b>x</b>"]}


def manager_answer(done: int, finished: bool) -> str:
    status = "finished" if finished else "in_progress"
    return (
        f"### Thought\ncounting taps\n### Completed\ntaps: {done}\n### Plan\n1. Tap the screen\n"
        f"### Current Subgoal\nTap the screen\n### Status\n{status}"
    )


def worker_answer(x: int, y: int, description: str) -> str:
    action = {"action": "click", "coordinate": [x, y]}
    return f"### Thought\ntap it\n### Action\n{json.dumps(action)}\n### Description\n{description}"


def respond(req: ChatRequest) -> str:
    text = req.user_text
    if req.role == "manager":
        target = int(m.group(1)) if (m := re.search(r"\[taps=(\d+)\]", text)) else 1
        done = int(m.group(1)) if (m := re.search(r"taps: (\d+)", text)) else -1
        done += 1  # this call's count: the Manager is called once before each tap
        return manager_answer(done, finished=done >= target)
    if req.role == "worker":
        done = int(m.group(1)) if (m := re.search(r"taps: (\d+)", text)) else 0
        if "[ask]" in text and "Replies from the user" not in text:
            return '### Thought\nneed the PIN\n### Action\n{"action": "ask", "text": "What is the PIN?"}\n### Description\nask the user'
        if "[answer]" in text:
            action = {"action": "answer", "text": json.dumps(ANSWER)}
            return f"### Thought\nI know it\n### Action\n{json.dumps(action)}\n### Description\nanswer"
        if "[confirm]" in text and done <= 0:
            return worker_answer(546, 1700, "Send the message")
        return worker_answer(200 + 60 * (done % 10), 1500, "tap an empty spot")
    if req.role == "reflector":
        return "### Thought\nthe tap happened\n### Outcome\nA\n### Error\nNone"
    return "### Notes\n- nothing to note"
