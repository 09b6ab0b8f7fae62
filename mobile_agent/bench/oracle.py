"""The oracle policy: an OpenAI-compatible server that plays a perfect GUI-Owl for the framework.

THIS IS A TEST INSTRUMENT OF THE FRAMEWORK, NEVER A CLAIM ABOUT A MODEL. It knows each task's
solution as high-level steps, reads the phone's live UI tree over adb, and answers every role's
prompt in the exact format of docs/role-formats.md, with points in the frame of the image it was
sent. A 100% score with it proves the framework (prompts -> parsing -> coordinates -> device ->
reflection -> termination) executes without loss; it says nothing about any model's skill.

Requests are routed to a task by the request's `model` name (the runner registers one name per
run, so parallel runs of the same instruction never collide), or else by finding a registered
instruction inside the request's text. `error_rate` makes the Worker pick a wrong action some of
the time (seeded), to exercise the framework's recovery.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageChops

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Move, Task
from mobile_agent.bench.grounding import Screen
from mobile_agent.bench.policy import Decision, decide
from mobile_agent.testing import ChatRequest, StubChatServer

__all__ = ["APP_LABELS", "DESTRUCTIVE", "NOTICE", "ORACLE_MODEL", "Oracle", "OracleServer", "Session"]

ORACLE_MODEL = "mobile-agent-oracle"
NOTICE = "[scripted oracle: a test instrument of the framework, not a model]"
APP_LABELS = ("Settings", "Contacts", "Messages", "Clock", "Notes", "Calendar", "Gallery")
DESTRUCTIVE = (
    "delete",
    "remove",
    "send",
    "save",
    "clear",
    "discard",
    "trash",
    "favorite",
    "favourite",
    "ok",
    "done",
)


@dataclass
class Session:
    """One registered run: the task, its phone, and the little the oracle remembers."""

    token: str
    task: Task
    serial: str
    adb: AdbShell
    rng: random.Random
    seen: set[str] = field(default_factory=set)
    calls: dict[str, int] = field(default_factory=dict)
    injected: int = 0


class Oracle:
    """The responder behind the oracle server (see the module docstring)."""

    def __init__(self, frame: str = "resized", error_rate: float = 0.0, seed: int = 0) -> None:
        if frame not in ("resized", "norm1000"):
            raise ValueError(f"frame must be 'resized' or 'norm1000', got {frame!r}")
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError(f"error_rate must be in [0, 1], got {error_rate}")
        self.frame = frame
        self.error_rate = error_rate
        self.seed = seed
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._counter = 0

    # registry ----------------------------------------------------------------------------------
    def register(self, task: Task, serial: str, adb: AdbShell | None = None) -> str:
        """Register a run; returns the model name the agent must use to reach this session."""
        with self._lock:
            self._counter += 1
            token = f"{ORACLE_MODEL}/{self._counter}"
            rng = random.Random(f"{self.seed}:{task.instance_id}:{self._counter}")
            self._sessions[token] = Session(token, task, serial, adb or AdbShell(serial), rng)
        return token

    def unregister(self, token: str) -> Session | None:
        with self._lock:
            return self._sessions.pop(token, None)

    def session_for(self, request: ChatRequest) -> Session:
        with self._lock:
            sess = self._sessions.get(request.model)
            if sess is not None:
                return sess
            text = request.user_text
            hits = [s for s in self._sessions.values() if s.task.goal in text]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise LookupError(f"no registered oracle task matches this request (model {request.model!r})")
        raise LookupError(
            f"{len(hits)} registered runs share this instruction; send the model name the runner registered"
        )

    # answering ---------------------------------------------------------------------------------
    async def respond(self, request: ChatRequest) -> str:
        sess = self.session_for(request)
        role = request.role or "single"
        sess.calls[role] = sess.calls.get(role, 0) + 1
        if role == "manager":
            return await self._manager(sess)
        if role == "worker":
            return await self._worker(sess, request)
        if role == "reflector":
            return await self._reflector(sess, request)
        if role == "notetaker":
            return await self._notetaker(sess, request)
        return await self._single(sess, request)

    async def _decide(self, sess: Session) -> Decision:
        return await decide(sess.task, sess.adb, sess.seen)

    async def _manager(self, sess: Session) -> str:
        d = await self._decide(sess)
        plan = d.plan or ["Complete the instruction"]
        if d.done:
            thought, completed, subgoal, status = (
                "The phone's state shows the instruction is fully done.",
                "All steps of the plan are done.",
                "None: the task is finished.",
                "finished",
            )
        else:
            idx = d.index
            subgoal = plan[idx] if idx >= 0 else "Go back to a page on the way to the goal"
            done_steps = plan[:idx] if idx > 0 else []
            completed = "; ".join(done_steps) if done_steps else "Nothing yet."
            thought = f"On the current screen the next useful step is: {subgoal}."
            status = "in_progress"
        lines = "\n".join(f"{i}. {s}" for i, s in enumerate(plan, 1))
        return (
            f"### Thought\n{NOTICE} {thought}\n### Completed\n{completed}\n### Plan\n{lines}\n"
            f"### Current Subgoal\n{subgoal}\n### Status\n{status}\n"
        )

    async def _next_move(self, sess: Session) -> tuple[Move, Decision]:
        d = await self._decide(sess)
        if d.done:
            move = Move(
                {"action": "terminate", "status": "success"}, "The goal holds on the phone now.", "finish"
            )
        else:
            assert d.move is not None
            move = d.move
        if self.error_rate > 0 and move.action["action"] not in ("answer", "terminate"):
            if sess.rng.random() < self.error_rate:
                wrong = self._wrong_move(sess, d.screen, move)
                if wrong is not None:
                    sess.injected += 1
                    move = wrong
        return move, d

    async def _worker(self, sess: Session, request: ChatRequest) -> str:
        move, _ = await self._next_move(sess)
        action = await self._to_frame(sess, move.action, request)
        return (
            f"### Thought\n{NOTICE} {move.thought}\n### Action\n{json.dumps(action, ensure_ascii=False)}\n"
            f"### Description\n{move.description}\n"
        )

    async def _single(self, sess: Session, request: ChatRequest) -> str:
        move, _ = await self._next_move(sess)
        action = await self._to_frame(sess, move.action, request)
        call = json.dumps({"name": "mobile_use", "arguments": action}, ensure_ascii=False)
        return (
            f"<thinking>{NOTICE} {move.thought}</thinking>\n<tool_call>\n{call}\n</tool_call>\n"
            f"<conclusion>{move.description}</conclusion>"
        )

    async def _reflector(self, sess: Session, request: ChatRequest) -> str:
        images = request.images
        if len(images) >= 2 and _same(images[-2], images[-1]):
            return (
                f"### Thought\n{NOTICE} BEFORE and AFTER are identical: the action had no visible effect.\n"
                "### Outcome\nC\n### Error\nThe screen did not change.\n"
            )
        d = await self._decide(sess)
        if d.move is not None and d.move.recovery:
            return (
                f"### Thought\n{NOTICE} The screen changed, but this page is off the way to the goal.\n"
                "### Outcome\nB\n### Error\nThe action led to a page that does not serve the subgoal.\n"
            )
        return f"### Thought\n{NOTICE} The screen changed as expected.\n### Outcome\nA\n### Error\nNone\n"

    async def _notetaker(self, sess: Session, request: ChatRequest) -> str:
        d = await self._decide(sess)
        notes = d.facts
        body = "\n".join(f"- {n}" for n in notes) if notes else "- No important notes yet."
        return f"### Notes\n{body}\n"

    # frames and errors ---------------------------------------------------------------------------
    async def _to_frame(self, sess: Session, action: dict[str, Any], request: ChatRequest) -> dict[str, Any]:
        """Map device points into the frame of the image this request carried."""
        out = dict(action)
        if not any(k in out for k in ("coordinate", "coordinate2")):
            return out
        dw, dh = await sess.adb.size()
        if self.frame == "norm1000":
            sx, sy = 1000.0 / dw, 1000.0 / dh
        else:
            if not request.images:
                raise ValueError("the request carried no image, so no frame to answer in")
            iw, ih = request.images[-1].size
            sx, sy = iw / dw, ih / dh
        for key in ("coordinate", "coordinate2"):
            if key in out:
                x, y = out[key]
                out[key] = [round(x * sx), round(y * sy)]
        return out

    def _wrong_move(self, sess: Session, screen: Screen, right: Move) -> Move | None:
        """A plausible mistake that a later step can undo (never a destructive tap)."""
        rng = sess.rng
        kind = rng.choice(["back", "home", "open", "tap", "swipe"])
        tag = "[oracle: injected error]"
        if kind == "back":
            return Move(
                {"action": "system_button", "button": "Back"}, f"{tag} going back", "go back", recovery=True
            )
        if kind == "home":
            return Move(
                {"action": "system_button", "button": "Home"}, f"{tag} going home", "go home", recovery=True
            )
        if kind == "open":
            label = rng.choice([a for a in APP_LABELS if a.lower() not in sess.task.app.lower()] or ["Clock"])
            return Move(
                {"action": "open", "text": label}, f"{tag} opening {label}", f"open {label}", recovery=True
            )
        if kind == "swipe":
            return Move(
                {"action": "swipe", "coordinate": [540, 1000], "coordinate2": [540, 1800]},
                f"{tag} scrolling",
                "scroll",
                recovery=True,
            )
        right_pt = right.action.get("coordinate")
        cands = [
            n
            for n in screen.find_all(where=lambda n: n.clickable and not n.is_edit)
            if not any(w in n.label.casefold() for w in DESTRUCTIVE)
            and n.package != "com.android.systemui"
            and (right_pt is None or n.center != tuple(right_pt))
            and n.area < screen.width * screen.height // 4
        ]
        if not cands:
            return Move(
                {"action": "system_button", "button": "Back"}, f"{tag} going back", "go back", recovery=True
            )
        node = rng.choice(cands)
        return Move(
            {"action": "click", "coordinate": list(node.center)},
            f"{tag} tapping '{node.label}'",
            "tap",
            recovery=True,
        )


def _same(a: Image.Image, b: Image.Image) -> bool:
    if a.size != b.size:
        return False
    return ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None


class OracleServer:
    """The oracle on a real OpenAI-compatible HTTP server (loopback, ephemeral port)."""

    def __init__(self, frame: str = "resized", error_rate: float = 0.0, seed: int = 0, port: int = 0) -> None:
        self.oracle = Oracle(frame=frame, error_rate=error_rate, seed=seed)
        self.server = StubChatServer(self.oracle.respond, port=port, model=ORACLE_MODEL, keep_requests=False)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def start(self) -> OracleServer:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> OracleServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
