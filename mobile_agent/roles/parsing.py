"""Tolerant, strict parsing of the roles' answers (docs/role-formats.md).

Tolerant: section headers in any case and spacing, any number of `#`, bold (`**Thought**`),
colon forms (`Thought: ...`), code fences, `<think>` preambles, single-quoted pseudo-JSON,
trailing commas, a `<tool_call>` block in place of the JSON. Strict: a typed result or a typed
`ParseFailure` with a reason the model can act on, never an exception; the Reflector's outcome
is a whole token (`A`, `(B)`, `Outcome: C`, `A: Successful`), never "a letter A somewhere".
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from mobile_agent.actions import Action, ActionError, parse_action


@dataclass(frozen=True)
class ParseFailure:
    """An answer that cannot be used: which role, why, and the raw text."""

    role: str
    reason: str
    raw: str

    ok = False


@dataclass(frozen=True)
class NativeFormatFailure(ParseFailure):
    """A role answered with GUI-Owl's own `<tool_call>` instead of its sections.

    Such a model only speaks the end-to-end format; multi mode cannot use it, `--mode single` can.
    """


NATIVE_FORMAT_HINT = (
    "this model answers in GUI-Owl's native tool-call format (<tool_call>) instead of the "
    "{role}'s ### sections; run it with --mode single (MOBILE_AGENT_MODE=single)"
)


@dataclass(frozen=True)
class ManagerResult:
    thought: str
    completed: str
    plan: tuple[str, ...]
    subgoal: str
    finished: bool

    ok = True


@dataclass(frozen=True)
class WorkerResult:
    thought: str
    action: Action  # one of mobile_agent.actions' models
    description: str

    ok = True


@dataclass(frozen=True)
class ReflectorResult:
    outcome: str  # "A" | "B" | "C"
    error: str
    thought: str

    ok = True


@dataclass(frozen=True)
class NotetakerResult:
    notes: str

    ok = True


@dataclass(frozen=True)
class SingleResult:
    thought: str
    action: Action
    conclusion: str
    extra: dict[str, Any] = field(default_factory=dict)

    ok = True


RoleResult = ManagerResult | WorkerResult | ReflectorResult | NotetakerResult | SingleResult

# ---------------------------------------------------------------------------------------------
# Sections

# canonical section name -> accepted spellings (compared after normalising case and spacing)
SECTION_ALIASES: dict[str, tuple[str, ...]] = {
    "thought": ("thought", "thoughts", "thinking", "reasoning", "analysis"),
    "completed": (
        "completed",
        "completed contents",
        "completed work",
        "progress",
        "completed subgoals",
        "completed subgoal",
        "historical operations",
    ),
    "plan": ("plan", "updated plan", "new plan"),
    "subgoal": ("current subgoal", "subgoal", "next subgoal", "current sub goal"),
    "status": ("status", "task status"),
    "action": ("action", "actions", "next action"),
    "description": ("description", "atomic action description", "action description", "expected effect"),
    "outcome": ("outcome", "result", "answer"),
    "error": ("error", "error description", "errors"),
    "notes": ("notes", "important notes", "note"),
}
_NAME_TO_CANON = {
    re.sub(r"[\s_\-]+", " ", alias): canon for canon, aliases in SECTION_ALIASES.items() for alias in aliases
}
_HEADER = re.compile(
    r"""^\s*(?:\#{1,6}\s*)?          # markdown header marks (optional for bold / colon forms)
        (?:\d+[.)]\s*)?              # a number: "### 1. Thought"
        (?P<b1>\*\*|__)?\s*
        (?P<name>[A-Za-z][A-Za-z _\-]{0,40})\s*
        (?P<b2>\*\*|__)?\s*
        (?:\#{1,6}\s*)?            # Mobile-Agent-v3 closes its headers too: "### Plan ###"
        (?P<colon>:)?\s*
        (?P<b3>\*\*|__)?\s*
        (?P<rest>.*)$""",
    re.X,
)
_FENCE = re.compile(r"^\s*(```|~~~)")
_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.S | re.I)


def _norm_name(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())


def _header(line: str, wanted: frozenset[str]) -> tuple[str, str, bool] | None:
    """(canonical name, inline rest, strong) when `line` is a section header for `wanted`.

    Strong headers are markdown (`### X`) or bold (`**X**`); weak ones are `X: ...`.
    """
    m = _HEADER.match(line)
    if not m:
        return None
    canon = _NAME_TO_CANON.get(_norm_name(m.group("name")))
    if canon is None or canon not in wanted:
        return None
    strong = line.lstrip().startswith("#") or bool(m.group("b1"))
    rest = m.group("rest").strip()
    if strong:
        return canon, rest.strip("*_ ").strip(), True
    if m.group("colon"):
        return canon, rest, False
    return None


def sections(text: str, wanted: frozenset[str] | set[str] | None = None) -> dict[str, str]:
    """Split an answer into {canonical section name: content}. First occurrence wins.

    Markdown or bold headers are used when there are any; plain `Name: value` lines only
    otherwise (so "Action: tap it" inside a thought cannot hijack the real `### Action`).
    Code-fence lines are dropped from contents, so ```json blocks and answers wrapped whole in
    a fence both work. Content is stripped.
    """
    names = frozenset(wanted) if wanted is not None else frozenset(SECTION_ALIASES)
    lines = _THINK_BLOCK.sub("", text or "").splitlines()
    heads = [None if _FENCE.match(line) else _header(line, names) for line in lines]
    strong_only = any(h is not None and h[2] for h in heads)
    found: dict[str, list[str]] = {}
    current: str | None = None
    for line, head in zip(lines, heads, strict=True):
        if head is not None and (head[2] or not strong_only):
            name, rest, _ = head
            if name in found:  # a repeated header: stop collecting
                current = None
                continue
            current = name
            found[name] = [rest] if rest else []
            continue
        if _FENCE.match(line):
            continue
        if current is not None:
            found[current].append(line)
    return {k: "\n".join(v).strip() for k, v in found.items()}


# ---------------------------------------------------------------------------------------------
# JSON


def balanced_at(text: str, start: int, opens: str = "{", closes: str = "}") -> str | None:
    """The balanced span that opens at `text[start]` (quotes respected), or None if it never closes."""
    depth = 0
    quote: str | None = None
    escape = False
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in opens:
            depth += 1
        elif ch in closes:
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return None


def find_json_object(text: str) -> str | None:
    """The first balanced `{...}` in text (quotes respected), or None."""
    start = text.find("{")
    while start != -1:
        found = balanced_at(text, start)
        if found is not None:
            return found
        start = text.find("{", start + 1)
    return None


def _pythonish(src: str) -> str:
    """Map JSON literals (true/false/null) to Python ones outside strings."""
    out: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(src):
        ch = src[i]
        if quote:
            out.append(ch)
            if ch == "\\" and i + 1 < len(src):
                out.append(src[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch in "\"'":
            quote = ch
            out.append(ch)
            i += 1
            continue
        m = re.match(r"(true|false|null)\b", src[i:])
        if m and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            out.append({"true": "True", "false": "False", "null": "None"}[m.group(1)])
            i += len(m.group(1))
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def loads_lenient(src: str) -> Any:
    """json.loads, then the common repairs: trailing commas, single quotes, Python literals."""
    try:
        return json.loads(src)
    except json.JSONDecodeError:
        pass
    no_trailing = re.sub(r",\s*([}\]])", r"\1", src)
    try:
        return json.loads(no_trailing)
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(_pythonish(no_trailing))
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        raise ValueError(f"not valid JSON: {src[:160]!r}") from None


_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|<conclusion>|<thinking>|$)", re.S | re.I)


def _strip_fences(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not _FENCE.match(line)).strip()


def extract_action_object(text: str) -> tuple[Any, str] | tuple[None, str]:
    """(object, "") for the first JSON object in text, or (None, reason)."""
    candidate = find_json_object(_strip_fences(text))
    if candidate is None:
        return None, "no JSON object found"
    try:
        return loads_lenient(candidate), ""
    except ValueError as exc:
        return None, str(exc)


def parse_action_text(text: str) -> tuple[Action, str] | tuple[None, str]:
    """(action, "") or (None, reason): a `<tool_call>` block or a bare JSON object."""
    m = _TOOL_CALL.search(text)
    body = m.group(1) if m else text
    obj, reason = extract_action_object(body)
    if obj is None and m is not None:
        # a closing tag inside the JSON's strings (text to type) cut the block short
        obj, _ = extract_action_object(text[m.start(1) :])
    if obj is None:
        return None, reason
    try:
        return parse_action(obj), ""
    except ActionError as exc:
        return None, str(exc)


# ---------------------------------------------------------------------------------------------
# Role parsers


def _plan_items(text: str) -> tuple[str, ...]:
    items: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        line = re.sub(r"^(?:[-*•+]\s+|\d+\s*[.):]\s*|step\s*\d+\s*[.):]\s*)", "", line, flags=re.I).strip()
        line = line.strip("* ").strip()
        if line:
            items.append(line)
    return tuple(items)


_FINISHED = re.compile(r"^\W*(finished|done|complete|completed|task finished|task complete)\W*$", re.I)
_IN_PROGRESS = re.compile(
    r"^\W*(in[\s_\-]?progress|ongoing|running|continue|not[\s_\-]finished|unfinished)\b", re.I
)


def parse_status(text: str) -> bool | None:
    """True finished, False in progress, None unreadable. The first line decides."""
    first = (text.strip().splitlines() or [""])[0].strip().strip("`*").strip()
    if _IN_PROGRESS.match(first):
        return False
    if _FINISHED.match(first) or re.match(r"^\W*finished\b", first, re.I):
        return True
    return None


def parse_manager(text: str) -> ManagerResult | ParseFailure:
    s = sections(text, {"thought", "completed", "plan", "subgoal", "status"})
    plan = _plan_items(s.get("plan", ""))
    status_text = s.get("status")
    if status_text is not None and status_text.strip():
        finished = parse_status(status_text)
        if finished is None:
            return ParseFailure(
                "manager", f"### Status must be 'in_progress' or 'finished', got {status_text[:60]!r}", text
            )
    else:  # no status: a plan that only says "Finished" still counts
        finished = len(plan) == 1 and bool(_FINISHED.match(plan[0]))
    if not finished and not plan:
        if "plan" not in s and _TOOL_CALL.search(text):
            return NativeFormatFailure("manager", NATIVE_FORMAT_HINT.format(role="Manager"), text)
        return ParseFailure("manager", "no ### Plan section with at least one numbered subgoal", text)
    subgoal = s.get("subgoal", "").strip()
    subgoal = _plan_items(subgoal)[0] if _plan_items(subgoal) else ""
    if not subgoal and plan and not finished:
        subgoal = plan[0]
    return ManagerResult(
        thought=s.get("thought", ""),
        completed=s.get("completed", ""),
        plan=plan,
        subgoal=subgoal,
        finished=bool(finished),
    )


def parse_worker(text: str) -> WorkerResult | ParseFailure:
    s = sections(text, {"thought", "action", "description"})
    source = s.get("action") or ""
    if not find_json_object(source) and "<tool_call>" not in source.lower():
        source = text  # no usable ### Action: a <tool_call> or JSON anywhere
    action, reason = parse_action_text(_THINK_BLOCK.sub("", source))
    if action is None:
        if not text.strip():
            reason = "empty answer"
        return ParseFailure("worker", f"### Action: {reason}", text)
    description = s.get("description", "")
    description = description.splitlines()[0].strip() if description else ""
    return WorkerResult(thought=s.get("thought", ""), action=action, description=description)


_OUTCOME = re.compile(
    r"""^\W{0,3}(?i:outcome|option|answer|result|choice)?\s*[:\-]?\s*
        [\(\[\*"'`]*\s*(?P<letter>[ABC])\s*[\)\]\*"'`]*
        (?=$|\s*[.:;,)\]\-–—]|\s+(?:success|successful|partial|wrong|no\b|nothing|fail))""",
    re.X,
)
_OUTCOME_LINE = re.compile(r"^\s*(?:(?i:outcome)\s*[:\-]\s*)?[\(\[\*`]*([ABC])[\)\]\*`]*\s*(?:$|[.:\-–—]\s*)")


def parse_outcome(text: str) -> str | None:
    """The outcome letter of a Reflector's `### Outcome` content, as a whole token, else None."""
    for line in text.strip().splitlines():
        line = line.strip()
        if not line:
            continue
        m = _OUTCOME.match(line)
        if m:
            return m.group("letter")
        if line.lower() in ("a", "b", "c", "a.", "b.", "c."):
            return line[0].upper()
        return None
    return None


_NONE = re.compile(r"^\W*(none|n/?a|no error|nothing|null|-)\W*$", re.I)


def parse_reflector(text: str) -> ReflectorResult | ParseFailure:
    s = sections(text, {"thought", "outcome", "error"})
    outcome = parse_outcome(s["outcome"]) if "outcome" in s else None
    if outcome is None and "outcome" not in s:
        # no section: a line that is nothing but an outcome token ("(B)", "Outcome - C", "A: ...")
        for line in _THINK_BLOCK.sub("", text).splitlines():
            m = _OUTCOME_LINE.match(line)
            if m:
                outcome = m.group(1)
                break
    if outcome is None:
        got = s.get("outcome", "")[:60]
        return ParseFailure("reflector", f"### Outcome must be A, B or C, got {got!r}", text)
    error = s.get("error", "").strip()
    if _NONE.match(error):
        error = ""
    return ReflectorResult(outcome=outcome, error=error, thought=s.get("thought", ""))


def parse_notetaker(text: str) -> NotetakerResult | ParseFailure:
    s = sections(text, {"notes"})
    if "notes" in s:
        notes = s["notes"]
    else:
        body = _strip_fences(_THINK_BLOCK.sub("", text or ""))
        bullets = [ln for ln in body.splitlines() if ln.strip()]
        if not bullets or not all(re.match(r"^\s*(?:[-*•]|\d+[.)])\s+\S", ln) for ln in bullets):
            return ParseFailure("notetaker", "no ### Notes section", text)
        notes = body
    if _NONE.match(notes):
        notes = ""
    return NotetakerResult(notes=notes.strip())


def _tag(text: str, *names: str) -> str | None:
    for name in names:
        m = re.search(rf"<{name}>\s*(.*?)\s*(?:</{name}>|<tool_call>|<conclusion>|$)", text, re.S | re.I)
        if m:
            return m.group(1).strip()
    return None


_ACTION_LINE = re.compile(r"^\W{0,4}action\W{0,4}:\s*(?P<text>\S.*)$", re.I | re.M)


def _action_line(text: str) -> str:
    """GUI-Owl-1.5's `Action: <what to do>` line before its `<tool_call>`, else ""."""
    head = re.split(r"<tool_call>", text, maxsplit=1, flags=re.I)[0]
    m = _ACTION_LINE.search(_THINK_BLOCK.sub("", head))
    return m.group("text").strip().strip("*").strip() if m else ""


def parse_single(text: str) -> SingleResult | ParseFailure:
    """GUI-Owl's native answer: `<thinking>`, `<tool_call>` and `<conclusion>`; GUI-Owl-1.5's
    `Action: ...` line before the `<tool_call>` stands for the conclusion when there is none."""
    thought = _tag(text, "thinking", "think") or ""
    conclusion = _tag(text, "conclusion") or _action_line(text)
    if "<tool_call>" in text.lower():
        action, reason = parse_action_text(text)
    else:  # some checkpoints drop the tags: take a JSON object after the thinking
        rest = re.sub(r"<(thinking|think)>.*?(</\1>|$)", "", text, flags=re.S | re.I)
        action, reason = parse_action_text(rest)
        if action is None:
            reason = f"no <tool_call> block ({reason})"
    if action is None:
        return ParseFailure("single", reason if text.strip() else "empty answer", text)
    return SingleResult(
        thought=thought, action=action, conclusion=conclusion.splitlines()[0] if conclusion else ""
    )
