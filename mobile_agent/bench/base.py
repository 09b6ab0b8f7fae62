"""The task interface (android_world-like) and the high-level solution steps the oracle grounds.

A task template is a class: a goal template, parameters drawn from a seed, a complexity that
sets the step budget, `initialize` (puts the phone in a state over adb), `is_successful` (reads
the phone's state over adb and returns 0..1; never the agent's claim), `tear_down`, and a
`solution`: high-level steps that the oracle grounds on the live UI tree. An instance whose
initial state already passes is rejected (`TaskSetupError`), so a do-nothing agent cannot score.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.answers import answer_contains as answer_contains  # re-exported for the tasks
from mobile_agent.bench.answers import digits as digits
from mobile_agent.bench.answers import norm_text as norm_text
from mobile_agent.bench.grounding import Matcher, Screen
from mobile_agent.device.uitree import Node

__all__ = [
    "STEPS_PER_COMPLEXITY",
    "Answer",
    "Ctx",
    "Custom",
    "Fill",
    "Move",
    "OpenApp",
    "ScreenPred",
    "Step",
    "Tap",
    "Task",
    "TaskSetupError",
    "Toggle",
    "answer_contains",
    "clear_move",
    "digits",
    "gated",
    "norm_text",
    "not_seen",
    "on",
    "scroll_move",
    "seen",
    "tap",
]

STEPS_PER_COMPLEXITY = 10


class TaskSetupError(RuntimeError):
    """The task could not be put in a valid initial state (e.g. it already passes)."""


# --------------------------------------------------------------------------------------------
# Oracle moves and solution steps
# --------------------------------------------------------------------------------------------


@dataclass
class Move:
    """One concrete action decided on the current screen, in DEVICE pixels.

    `action` is GUI-Owl's JSON (`{"action": "click", "coordinate": [x, y]}`) with device
    coordinates; the oracle maps points into the frame of the image it was sent.
    """

    action: dict[str, Any]
    thought: str
    description: str
    step_index: int = -1
    recovery: bool = False


@dataclass
class Ctx:
    """What a step may look at: the current screen, the phone over adb, the task."""

    screen: Screen
    adb: AdbShell
    task: Task
    state: dict[str, Any] = field(default_factory=dict)  # from `Task.oracle_state` (read over adb)
    seen: set[str] = field(default_factory=set)  # facts whose evidence the oracle has seen on screen


def tap(node: Node, why: str, desc: str) -> Move:
    x, y = node.clickable_self_or_ancestor().center if not node.is_edit else node.center
    return Move({"action": "click", "coordinate": [x, y]}, why, desc)


class Step:
    """A high-level step: readable text for the plan, plus how to act on a screen.

    `ready(ctx)`: the step can act on this screen. `done(ctx)`: its effect is already there.
    The oracle scans the solution from the last step back and acts on the first step that is
    ready and not done, which makes it stateless: any screen, after any detour, has one answer.
    """

    text: str
    gate: Callable[[Ctx], bool] | None = None  # extra precondition (e.g. a fact already read)

    def ready(self, ctx: Ctx) -> bool:  # pragma: no cover - interface
        return False

    def done(self, ctx: Ctx) -> bool:
        return False

    def act(self, ctx: Ctx) -> Move | None:  # pragma: no cover - interface
        return None


ScreenPred = Callable[[Screen], bool]


def gated(step: Step, fn: Callable[[Ctx], bool]) -> Step:
    """The same step, acting only once `fn(ctx)` holds (a later phase of a multi-app task)."""
    step.gate = fn
    return step


def seen(key: str) -> Callable[[Ctx], bool]:
    return lambda ctx: key in ctx.seen


def not_seen(key: str) -> Callable[[Ctx], bool]:
    return lambda ctx: key not in ctx.seen


def on(package: str, *texts: Matcher) -> ScreenPred:
    """A screen predicate: app `package` on top and every text visible."""

    def pred(s: Screen) -> bool:
        return s.package == package and all(s.find(t, exact=not isinstance(t, str)) for t in texts)

    return pred


@dataclass
class OpenApp(Step):
    label: str
    package: str

    def __post_init__(self) -> None:
        self.text = f"Open the {self.label} app"

    def ready(self, ctx: Ctx) -> bool:
        return True

    def done(self, ctx: Ctx) -> bool:
        return ctx.screen.package == self.package

    def act(self, ctx: Ctx) -> Move | None:
        return Move(
            {"action": "open", "text": self.label}, f"I need the {self.label} app.", f"open {self.label}"
        )


@dataclass
class Tap(Step):
    """Tap an element found by text/description/id, on the screen where `where` holds.

    When the screen is right but the element is not visible, scroll the largest scrollable list.
    """

    text: str
    target: Matcher = None
    rid: Matcher = None
    where: ScreenPred | None = None
    exact: bool = True
    done_when: Callable[[Ctx], bool] | None = None
    scroll: bool = True
    pick: str = "first"  # or "last"

    def _find(self, ctx: Ctx) -> Node | None:
        found = ctx.screen.find_all(self.target, rid=self.rid, exact=self.exact)
        found = [n for n in found if n.enabled]
        if not found:
            return None
        return found[-1] if self.pick == "last" else found[0]

    def ready(self, ctx: Ctx) -> bool:
        if self.where is not None:
            return self.where(ctx.screen) and (
                self._find(ctx) is not None or (self.scroll and ctx.screen.scrollable() is not None)
            )
        return self._find(ctx) is not None

    def done(self, ctx: Ctx) -> bool:
        return bool(self.done_when and self.done_when(ctx))

    def act(self, ctx: Ctx) -> Move | None:
        node = self._find(ctx)
        if node is not None:
            return tap(node, f"I can see '{node.label}' on the screen; tapping it.", self.text)
        return scroll_move(ctx.screen, f"'{self.target or self.rid}' is not visible yet; scrolling the list.")


def scroll_move(screen: Screen, why: str, up: bool = True) -> Move | None:
    lst = screen.scrollable()
    if lst is None:
        return None
    x1, y1, x2, y2 = lst.bounds
    cx = (x1 + x2) // 2
    hi, lo = y1 + (y2 - y1) // 4, y2 - (y2 - y1) // 4
    a, b = (lo, hi) if up else (hi, lo)
    return Move(
        {"action": "swipe", "coordinate": [cx, a], "coordinate2": [cx, b]}, why, "scroll to reveal more items"
    )


@dataclass
class Toggle(Step):
    """Set the switch on the row labelled `label` to `on`."""

    text: str
    label: Matcher
    on: bool
    where: ScreenPred | None = None

    def ready(self, ctx: Ctx) -> bool:
        if self.where is not None and not self.where(ctx.screen):
            return False
        return ctx.screen.switch_for(self.label) is not None

    def done(self, ctx: Ctx) -> bool:
        sw = ctx.screen.switch_for(self.label)
        return sw is not None and sw.checked == self.on

    def act(self, ctx: Ctx) -> Move | None:
        sw = ctx.screen.switch_for(self.label)
        if sw is None:
            return None
        state = "on" if self.on else "off"
        return tap(
            sw,
            f"The '{self.label}' switch is {'on' if sw.checked else 'off'}; it must be {state}.",
            self.text,
        )


@dataclass
class Fill(Step):
    """Type `value` into the text field found by `field` (hint text, id or label)."""

    text: str
    field: Callable[[Screen], Node | None]
    value: str
    where: ScreenPred | None = None

    def ready(self, ctx: Ctx) -> bool:
        if self.where is not None and not self.where(ctx.screen):
            return False
        return self.field(ctx.screen) is not None

    def done(self, ctx: Ctx) -> bool:
        node = self.field(ctx.screen)
        return node is not None and node.text == self.value

    def act(self, ctx: Ctx) -> Move | None:
        node = self.field(ctx.screen)
        if node is None:
            return None
        if not node.focused:
            return tap(
                node, "The text field must have focus before typing.", f"focus the field for: {self.text}"
            )
        if node.text and node.text != self.value:
            return Move(
                clear_move(node),
                f"The field holds '{node.text}', which is not what I need; clearing it first.",
                "clear the field",
            )
        return Move(
            {"action": "type", "text": self.value},
            f"The field has focus; typing '{self.value}'.",
            self.text,
        )


def clear_move(node: Node) -> dict[str, Any]:
    """How to empty a focused field that holds the wrong text."""
    return {"action": "key", "text": "KEYCODE_DEL"}


@dataclass
class Answer(Step):
    """Answer the question once `evidence` is visible on the screen.

    `value` is the answer, or a function of the context (e.g. read from `ctx.state`).
    """

    text: str
    value: str | Callable[[Ctx], str]
    evidence: Matcher | Callable[[Ctx], Matcher] = None
    where: ScreenPred | None = None

    def _evidence(self, ctx: Ctx) -> Matcher:
        return self.evidence(ctx) if callable(self.evidence) else self.evidence

    def ready(self, ctx: Ctx) -> bool:
        if self.where is not None and not self.where(ctx.screen):
            return False
        ev = self._evidence(ctx)
        return ev is None or ctx.screen.find(ev, exact=False) is not None

    def act(self, ctx: Ctx) -> Move | None:
        value = self.value(ctx) if callable(self.value) else self.value
        return Move({"action": "answer", "text": value}, f"The screen shows the answer: {value}.", self.text)


@dataclass
class Custom(Step):
    """A step whose readiness and action are plain functions (for one-off screens)."""

    text: str
    ready_fn: Callable[[Ctx], bool]
    act_fn: Callable[[Ctx], Move | None]
    done_fn: Callable[[Ctx], bool] | None = None

    def ready(self, ctx: Ctx) -> bool:
        return self.ready_fn(ctx)

    def done(self, ctx: Ctx) -> bool:
        return bool(self.done_fn and self.done_fn(ctx))

    def act(self, ctx: Ctx) -> Move | None:
        return self.act_fn(ctx)


# --------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------


class Task:
    """One task template; an instance is the template with parameters drawn from a seed."""

    name: ClassVar[str] = ""
    app: ClassVar[str] = ""
    goal_template: ClassVar[str] = ""
    complexity: ClassVar[float] = 1.0
    answers: ClassVar[bool] = False  # information retrieval: judged on the agent's answer
    tags: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: dict[str, Any], seed: int = 0) -> None:
        self.params = params
        self.seed = seed

    # construction -----------------------------------------------------------------------------
    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        """Parameters drawn from `rng` (override)."""
        return {}

    @classmethod
    def from_seed(cls, seed: int) -> Task:
        rng = random.Random(f"{cls.name}:{seed}")
        return cls(cls.generate_params(rng), seed)

    @property
    def goal(self) -> str:
        return self.goal_template.format(**self.params)

    @property
    def instance_id(self) -> str:
        return f"{self.name}#{self.seed}"

    @property
    def max_steps(self) -> int:
        return max(5, round(STEPS_PER_COMPLEXITY * self.complexity))

    # lifecycle ---------------------------------------------------------------------------------
    async def setup(self, adb: AdbShell) -> None:
        """Put the phone in this task's initial state (override)."""

    async def initialize(self, adb: AdbShell) -> None:
        """Set up, go to the home screen, and reject an initial state that already passes."""
        await self.setup(adb)
        await adb.home()
        score = await self.is_successful(adb, answer=None)
        if score >= 1.0:
            raise TaskSetupError(f"{self.instance_id}: the initial state already passes; the task is void")

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        """Read the phone's state over adb; 1.0 when the goal holds (override)."""
        raise NotImplementedError

    async def tear_down(self, adb: AdbShell) -> None:
        """Undo anything outside the phone's snapshot (override when needed)."""

    # oracle ------------------------------------------------------------------------------------
    def solution(self) -> list[Step]:
        """High-level steps the oracle grounds on the live UI (override)."""
        return []

    def facts(self) -> list[tuple[str, str, str]]:
        """(key, note, evidence): the Notetaker records `note` once `evidence` is seen on screen."""
        return []

    async def oracle_state(self, adb: AdbShell) -> dict[str, Any]:
        """Device facts the solution's steps consult (read over adb before each decision)."""
        return {}

    def describe(self) -> dict[str, Any]:
        return {
            "task": self.name,
            "instance": self.instance_id,
            "seed": self.seed,
            "app": self.app,
            "goal": self.goal,
            "complexity": self.complexity,
            "max_steps": self.max_steps,
            "answers": self.answers,
            "params": self.params,
        }
