"""A corpus of well-formed and broken role answers, and what each must parse to."""

from __future__ import annotations

import pytest

from mobile_agent.actions import Click, SystemButton, Terminate, Type
from mobile_agent.roles.parsing import (
    ManagerResult,
    NativeFormatFailure,
    NotetakerResult,
    ParseFailure,
    ReflectorResult,
    SingleResult,
    WorkerResult,
    loads_lenient,
    parse_manager,
    parse_notetaker,
    parse_outcome,
    parse_reflector,
    parse_single,
    parse_worker,
    sections,
)

CLICK = '{"action": "click", "coordinate": [540, 1210]}'

WORKER_OK = [
    f"### Thought\nThe toggle is on the right.\n### Action\n{CLICK}\n### Description\nWi-Fi turns on",
    f"### thought\nx\n### ACTION\n```json\n{CLICK}\n```\n### description\nd",
    f"## Thought\nx\n## Action\n{CLICK}\n## Description\nd",
    f"# Thought\nx\n#### Action\n{CLICK}\n#### Description\nd",
    f"**Thought**\nx\n**Action**\n{CLICK}\n**Description**\nd",
    f"**Thought:** x\n**Action:** {CLICK}\n**Description:** d",
    f"Thought: x\nAction: {CLICK}\nDescription: d",
    "Thought: x\nAction: {'action': 'click', 'coordinate': [540, 1210],}\nDescription: d",
    '### Thought\nx\n### Action\n{"action": "click", "coordinate": [540, 1210],}\n### Description\nd',
    "### Thought\nx\n### Action\n<tool_call>\n"
    '{"name": "mobile_use", "arguments": {"action": "click", "coordinate": [540, 1210]}}\n</tool_call>\n### Description\nd',
    f"```\n### Thought\nx\n### Action\n{CLICK}\n### Description\nd\n```",
    f"###   Thought   \nx\n###Action\n\n{CLICK}\n\n###  Description\nd",
    f"<think>let me think: Action: none</think>\n### Thought\nx\n### Action\n{CLICK}\n### Description\nd",
    # a colon line inside the thought must not hijack the real section
    f"### Thought\nAction: tap the toggle, I guess\n### Action\n{CLICK}\n### Description\nd",
    f"### 1. Thought\nx\n### 2. Action\n{CLICK}\n### 3. Description\nd",
    '### Thought\nx\n### Action\n{"action": "tap", "point": "(540, 1210)"}\n### Description\nd',
]


@pytest.mark.parametrize("text", WORKER_OK)
def test_worker_well_formed_variants(text: str) -> None:
    result = parse_worker(text)
    assert isinstance(result, WorkerResult), result
    assert isinstance(result.action, Click)
    assert result.action.coordinate == (540.0, 1210.0)


def test_worker_fields() -> None:
    result = parse_worker(WORKER_OK[0])
    assert isinstance(result, WorkerResult)
    assert result.thought == "The toggle is on the right."
    assert result.description == "Wi-Fi turns on"


def test_worker_other_actions() -> None:
    r = parse_worker('### Action\n{"action": "type", "text": "a \\"quoted\\" $HOME; rm -rf"}')
    assert isinstance(r, WorkerResult) and isinstance(r.action, Type)
    assert r.action.text == 'a "quoted" $HOME; rm -rf'
    r = parse_worker('### Action\n{"action": "system_button", "button": "back"}')
    assert isinstance(r, WorkerResult) and r.action == SystemButton(button="Back")
    r = parse_worker('### Action\n{"action": "terminate", "status": "SUCCESS"}')
    assert isinstance(r, WorkerResult) and r.action == Terminate(status="success")
    r = parse_worker("### Action\n{'action': 'click', 'coordinate': [1, 2], 'flag': true, 'x': null}")
    assert isinstance(r, WorkerResult)


WORKER_BROKEN = [
    ("", "empty"),
    ("I think we should tap the Wi-Fi toggle.", "no JSON"),
    ("### Thought\nx\n### Action\nclick the toggle\n### Description\nd", "no JSON"),
    ('### Action\n{"action": "click"}', "missing 'coordinate'"),
    ('### Action\n{"action": "fly", "coordinate": [1, 2]}', "unknown action"),
    ('### Action\n{"action": "click", "coordinate": [1, 2]', "no JSON"),
    ('### Action\n{"action": "system_button", "button": "Power"}', "unknown button"),
    ('### Action\n{"action": "wait", "time": -1}', "time"),
    ('### Action\n{"action": "click", "coordinate": [-5, 2]}', "negative"),
    ('### Action\n{"coordinate": [1, 2]}', "no 'action'"),
]


@pytest.mark.parametrize(("text", "why"), WORKER_BROKEN)
def test_worker_broken_answers_are_typed_failures(text: str, why: str) -> None:
    result = parse_worker(text)
    assert isinstance(result, ParseFailure)
    assert result.role == "worker"
    assert result.raw == text
    assert why in result.reason


OUTCOMES = [
    ("A", "A"),
    ("A.", "A"),
    ("(A)", "A"),
    ("B", "B"),
    ("**C**", "C"),
    ("Outcome: B", "B"),
    ("outcome - C", "C"),
    ("A: Successful or partially successful result", "A"),
    ("B - wrong page, go back", "B"),
    ("C. No changes", "C"),
    ("[B]", "B"),
    ("`A`", "A"),
    ("a", "A"),
    ("Option (A)", "A"),
]


@pytest.mark.parametrize(("text", "letter"), OUTCOMES)
def test_outcome_tokens(text: str, letter: str) -> None:
    assert parse_outcome(text) == letter


@pytest.mark.parametrize(
    "text",
    [
        "Apparently the page changed",  # starts with A but is not the token
        "Both screenshots look the same",  # starts with B
        "Clearly nothing happened",  # starts with C
        "The answer is A",  # the letter somewhere: never enough
        "a new page opened",
        "",
        "D",
    ],
)
def test_outcome_never_a_letter_anywhere(text: str) -> None:
    assert parse_outcome(text) is None


def test_reflector_answers() -> None:
    r = parse_reflector("### Thought\nIt opened.\n### Outcome\nA\n### Error\nNone")
    assert r == ReflectorResult(outcome="A", error="", thought="It opened.")
    r = parse_reflector("Thought: nothing moved\nOutcome: C\nError: the tap missed the switch")
    assert isinstance(r, ReflectorResult) and r.outcome == "C" and r.error == "the tap missed the switch"
    r = parse_reflector("I compared them.\n(B)\nWe are on the wrong page.")
    assert isinstance(r, ReflectorResult) and r.outcome == "B"
    r = parse_reflector("### Outcome\nA successful tap.")  # "A successful" is not a token: 'A' then a word
    assert isinstance(r, ReflectorResult) and r.outcome == "A"


@pytest.mark.parametrize(
    "text",
    [
        "### Thought\nAll good, A plus.\n### Outcome\nApparently fine",
        "Everything looks Awesome and Brilliant",
        "### Outcome\n\n### Error\nNone",
        "",
    ],
)
def test_reflector_broken(text: str) -> None:
    r = parse_reflector(text)
    assert isinstance(r, ParseFailure) and r.role == "reflector"


def test_manager_answers() -> None:
    text = (
        "### Thought\nStart in Settings.\n### Completed\nNothing yet.\n### Plan\n1. Open Settings\n"
        "2) Open the Network page\n- Turn Wi-Fi on\n### Current Subgoal\nOpen Settings\n### Status\nin_progress"
    )
    r = parse_manager(text)
    assert r == ManagerResult(
        thought="Start in Settings.",
        completed="Nothing yet.",
        plan=("Open Settings", "Open the Network page", "Turn Wi-Fi on"),
        subgoal="Open Settings",
        finished=False,
    )
    assert parse_manager("### Plan\n1. a\n### Status\nFinished").finished is True  # type: ignore[union-attr]
    assert parse_manager("### Plan\n1. a\n### Status\n**finished**").finished is True  # type: ignore[union-attr]
    assert parse_manager("### Plan\n1. a\n### Status\nnot finished").finished is False  # type: ignore[union-attr]
    assert parse_manager("### Plan\n1. a\n### Status\nIn Progress").finished is False  # type: ignore[union-attr]
    # no subgoal: the first plan item; no status: in progress
    r = parse_manager("### Plan\n1. Open Settings\n2. Tap Wi-Fi")
    assert isinstance(r, ManagerResult) and r.subgoal == "Open Settings" and not r.finished
    # Mobile-Agent-v3's own headings
    r = parse_manager("### Thought\nx\n### Historical Operations\nOpened Settings\n### Plan\nFinished")
    assert isinstance(r, ManagerResult) and r.completed == "Opened Settings" and r.finished
    # the old-style "Finished" as the whole plan
    r = parse_manager("### Plan\nFinished")
    assert isinstance(r, ManagerResult) and r.finished


@pytest.mark.parametrize(
    "text",
    [
        "",
        "I will open settings.",
        "### Thought\nx\n### Status\nin_progress",
        "### Plan\n1. a\n### Status\nmaybe",
    ],
)
def test_manager_broken(text: str) -> None:
    assert isinstance(parse_manager(text), ParseFailure)


def test_notetaker() -> None:
    assert parse_notetaker("### Notes\n- code 4711\n- meeting at 3 pm") == NotetakerResult(
        "- code 4711\n- meeting at 3 pm"
    )
    assert parse_notetaker("### Important Notes\nNone") == NotetakerResult("")
    assert parse_notetaker("- code 4711") == NotetakerResult("- code 4711")
    assert isinstance(parse_notetaker("blah blah"), ParseFailure)


SINGLE_OK = [
    '<thinking>tap it</thinking>\n<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", '
    '"coordinate": [540, 1210]}}\n</tool_call>\n<conclusion>Tapped Wi-Fi.</conclusion>',
    '<thinking>\n tap it \n</thinking>   <tool_call>{"name": "mobile_use", "arguments": {"action": "click", '
    '"coordinate": [540, 1210]}}</tool_call><conclusion>Tapped Wi-Fi.</conclusion>',
    '<thinking>tap it</thinking>\n<tool_call>\n```json\n{"name": "mobile_use", "arguments": {"action": "click", '
    '"coordinate": [540, 1210]}}\n```\n</tool_call>\n<conclusion>Tapped Wi-Fi.</conclusion>',
    "<thinking>tap it</thinking>\n<tool_call>\n{'name': 'mobile_use', 'arguments': {'action': 'click', "
    "'coordinate': [540, 1210]}}\n</tool_call>\n<conclusion>Tapped Wi-Fi.</conclusion>",
    # missing closing tags
    '<thinking>tap it</thinking>\n<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", '
    '"coordinate": [540, 1210]}}\n<conclusion>Tapped Wi-Fi.',
    '<THINKING>tap it</THINKING><TOOL_CALL>{"name": "mobile_use", "arguments": {"action": "click", '
    '"coordinate": [540, 1210],}}</TOOL_CALL><conclusion>Tapped Wi-Fi.</conclusion>',
]


@pytest.mark.parametrize("text", SINGLE_OK)
def test_single_variants(text: str) -> None:
    r = parse_single(text)
    assert isinstance(r, SingleResult), r
    assert r.action == Click(coordinate=(540, 1210))
    assert r.thought == "tap it"
    assert r.conclusion == "Tapped Wi-Fi."


@pytest.mark.parametrize(
    "text",
    [
        "",
        "<thinking>hmm</thinking><conclusion>nothing</conclusion>",
        "<tool_call>not json</tool_call>",
        '<tool_call>{"name": "mobile_use", "arguments": {"action": "click"}}</tool_call>',
    ],
)
def test_single_broken(text: str) -> None:
    assert isinstance(parse_single(text), ParseFailure)


def test_sections_first_occurrence_and_fences() -> None:
    s = sections("### Plan\n1. a\n### Plan\n1. b\n", {"plan"})
    assert s == {"plan": "1. a"}
    s = sections("```markdown\n### Notes\n- x\n```", {"notes"})
    assert s == {"notes": "- x"}


def test_loads_lenient() -> None:
    assert loads_lenient("{'a': 1, 'b': [1, 2,],}") == {"a": 1, "b": [1, 2]}
    assert loads_lenient('{"a": true, "b": null}') == {"a": True, "b": None}
    assert loads_lenient("{'t': 'it''s'}") == {"t": "its"}
    with pytest.raises(ValueError):
        loads_lenient("{nope}")


# ---------------------------------------------------------------------------------------------
# Mobile-Agent-v3's exact answer format: GUI-Owl was trained on MA3's role prompts, whose headers
# close with hashes ("### Plan ###"). Spellings: as MA3 writes them, lower case, extra spaces.

MA3_STYLES = ["exact", "lower", "upper-spaced", "four-hashes", "tight"]


def ma3(style: str, name: str) -> str:
    """An MA3 section header in one of the spellings a model may produce."""
    return {
        "exact": f"### {name} ###",
        "lower": f"### {name.lower()} ###",
        "upper-spaced": f"###   {name.upper()}   ###  ",
        "four-hashes": f"#### {name} ####",
        "tight": f"###{name}###",
    }[style]


@pytest.mark.parametrize("style", MA3_STYLES)
def test_ma3_manager_first_plan(style: str) -> None:
    text = (
        f"{ma3(style, 'Thought')}\nWi-Fi is a Settings toggle.\n\n"
        f"{ma3(style, 'Plan')}\n1. Open Settings\n2. Turn on the Wi-Fi switch\n"
    )
    r = parse_manager(text)
    assert r == ManagerResult(
        thought="Wi-Fi is a Settings toggle.",
        completed="",
        plan=("Open Settings", "Turn on the Wi-Fi switch"),
        subgoal="Open Settings",
        finished=False,
    )


@pytest.mark.parametrize("style", MA3_STYLES)
def test_ma3_manager_update_and_finish(style: str) -> None:
    update = (
        f"{ma3(style, 'Thought')}\nSettings is open.\n"
        f"{ma3(style, 'Historical Operations')}\n1. Open Settings\n"
        f"{ma3(style, 'Plan')}\n1. Turn on the Wi-Fi switch\n"
    )
    r = parse_manager(update)
    assert isinstance(r, ManagerResult), r
    assert r.completed == "1. Open Settings" and r.plan == ("Turn on the Wi-Fi switch",)
    assert r.subgoal == "Turn on the Wi-Fi switch" and not r.finished
    done = (
        f"{ma3(style, 'Thought')}\nWi-Fi is on.\n"
        f"{ma3(style, 'Completed Subgoal')}\nOpened Settings; turned on Wi-Fi\n"
        f"{ma3(style, 'Plan')}\nFinished\n"
    )
    r = parse_manager(done)
    assert isinstance(r, ManagerResult), r
    assert r.finished and r.completed == "Opened Settings; turned on Wi-Fi"


@pytest.mark.parametrize("style", MA3_STYLES)
def test_ma3_worker(style: str) -> None:
    text = (
        f"{ma3(style, 'Thought')}\nThe switch is on the right.\n"
        f"{ma3(style, 'Action')}\n{CLICK}\n"
        f"{ma3(style, 'Description')}\nTap the Wi-Fi switch to turn it on.\n"
    )
    r = parse_worker(text)
    assert r == WorkerResult(
        thought="The switch is on the right.",
        action=Click(coordinate=(540, 1210)),
        description="Tap the Wi-Fi switch to turn it on.",
    )


@pytest.mark.parametrize("style", MA3_STYLES)
@pytest.mark.parametrize(
    ("letter", "error"), [("A", "None"), ("B", "Opened the wrong page."), ("C", "No change.")]
)
def test_ma3_reflector(style: str, letter: str, error: str) -> None:
    text = f"{ma3(style, 'Outcome')}\n{letter}\n\n{ma3(style, 'Error Description')}\n{error}\n"
    r = parse_reflector(text)
    assert r == ReflectorResult(outcome=letter, error="" if error == "None" else error, thought="")


@pytest.mark.parametrize("style", MA3_STYLES)
def test_ma3_notetaker(style: str) -> None:
    r = parse_notetaker(f"{ma3(style, 'Important Notes')}\n- the code is 4711\n")
    assert r == NotetakerResult("- the code is 4711")


def test_ma3_inline_content_after_closing_hashes() -> None:
    assert sections("### Outcome ### B\n### Error Description ### wrong page") == {
        "outcome": "B",
        "error": "wrong page",
    }


def test_manager_answered_in_gui_owl_native_format_says_use_single_mode() -> None:
    text = (
        "<thinking>Open Settings first.</thinking>\n<tool_call>\n"
        '{"name": "mobile_use", "arguments": {"action": "open", "text": "Settings"}}\n</tool_call>\n'
        "<conclusion>Opened Settings.</conclusion>"
    )
    r = parse_manager(text)
    assert isinstance(r, NativeFormatFailure) and isinstance(r, ParseFailure)
    assert r.role == "manager" and "--mode single" in r.reason and "native" in r.reason
    # a plain unusable answer stays an ordinary failure
    other = parse_manager("I will open settings.")
    assert isinstance(other, ParseFailure) and not isinstance(other, NativeFormatFailure)
