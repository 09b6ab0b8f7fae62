"""Every information task, judged over adb on the virtual phone: right passes, wrong and shotgun fail.

A shotgun answer names the right value among other candidates of its kind, the way a policy that
guesses without looking at the screen would ("0 1 2 ... 30", every HH:MM in 5-minute steps, every
`first.lastN@example.com`). It names the right value by construction, so only a verifier that
rejects several distinct candidates stops it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from mobile_agent.bench.base import Task
from mobile_agent.bench.tasks import ALL_TASKS, get_task
from mobile_agent.bench.tasks.common import fmt_time_12


@dataclass
class Answers:
    right: list[str]
    wrong: list[str]
    shotgun: list[str]
    value: str  # the right value as a shotgun writes it (each shotgun names it)
    word: str = ""  # ...or as a word


def _bump(digit_string: str) -> str:
    return digit_string[:-1] + str((int(digit_string[-1]) + 1) % 10)


async def _phone(task: Task, adb: object) -> Answers:
    n = task.params["number"]
    dashed = f"{n[:3]}-{n[3:6]}-{n[6:]}"
    others = [f"555{i:07d}" for i in range(1000000, 9999999, 1234567)]
    return Answers(
        right=[f"{task.params['name']}'s number is {dashed}.", n, f"({n[:3]}) {n[3:6]} {n[6:]}, i.e. {n}"],
        wrong=[_bump(n), n[:-1]],
        shotgun=[", ".join([*others, n]), f"{n} or {_bump(n)}"],
        value=n,
    )


async def _email(task: Task, adb: object) -> Answers:
    e = task.params["email"]
    local, _, domain = e.partition("@")
    stem = local.rstrip("0123456789")
    n = int(local[len(stem) :])
    return Answers(
        right=[f"The email address is {e}.", e.upper(), f"<{e}>"],
        wrong=[f"{stem}{n % 99 + 1}@{domain}", f"x{e}", "I could not find it.", "yes"],
        shotgun=[" ".join(f"{stem}{i}@{domain}" for i in range(1, 100)), f"{e} / someone@{domain}"],
        value=e,
    )


async def _alarm(task: Task, adb: object) -> Answers:
    want = await task.expected(adb)  # type: ignore[attr-defined]
    h, m = (int(v) for v in want.split(":"))
    later = [t for t in task.params["alarms"] if t != want]
    every = " ".join(f"{hh:02d}:{mm:02d}" for hh in range(24) for mm in range(0, 60, 5))
    assert m % 5 == 0, "the shotgun lists 5-minute steps"
    return Answers(
        right=[f"Your earliest alarm is at {want}.", fmt_time_12(h, m), f"{want} ({fmt_time_12(h, m)})"],
        wrong=[*later, f"{(h + 1) % 24:02d}:{m:02d}", fmt_time_12((h + 12) % 24, m)],
        shotgun=[every, ", ".join(sorted({want, *task.params["alarms"]}))] if later else [every],
        value=want,
    )


async def _unread(task: Task, adb: object) -> Answers:
    n = task.count  # type: ignore[attr-defined]
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return Answers(
        right=[f"{n} unread messages", str(n), f"You have {words[n]} ({n}) unread text messages."],
        wrong=[str(n + 1), f"{n + 10} unread", words[n + 1]],
        shotgun=[" ".join(str(i) for i in range(31)), f"{n} or {n + 1}", " ".join(words)],
        value=str(n),
        word=words[n],
    )


async def _code(task: Task, adb: object) -> Answers:
    c = task.params["code"]
    return Answers(
        right=[f"The verification code is {c}.", c, f"{c[:3]} {c[3:]}"],
        wrong=[_bump(c), c[:-1]],
        shotgun=[", ".join([str(100000 + 137 * i) for i in range(50)] + [c]), f"{c} or {_bump(c)}"],
        value=c,
    )


async def _note(task: Task, adb: object) -> Answers:
    body = task.params["body"]  # "Combination NNNN"
    n = int(body.split()[-1])
    other = f"Combination {n % 9000 + 1001}"
    return Answers(
        right=[f'The note "{task.params["title"]}" says "{body}".', body.upper(), f"{body}. ({body})"],
        wrong=[other, "Combination", "I don't know"],
        shotgun=[
            ", ".join(f"Combination {i}" for i in range(1000, 10000)),
            f"{body}, {other.split()[-1]}, 1234",
        ],
        value=body,
    )


CASES: dict[str, Callable[[Task, object], Awaitable[Answers]]] = {
    "info_contact_phone": _phone,
    "info_contact_email": _email,
    "info_earliest_alarm": _alarm,
    "info_unread_count": _unread,
    "info_latest_code": _code,
    "info_note_content": _note,
}


def test_every_answer_task_has_cases() -> None:
    assert {c.name for c in ALL_TASKS if c.answers} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("seed", [0, 1])
async def test_right_passes_wrong_and_shotgun_fail(phone, name: str, seed: int) -> None:
    phone.reset()
    task = get_task(name).from_seed(seed)
    await task.initialize(phone.adb)
    cases = await CASES[name](task, phone.adb)
    for answer in cases.right:
        assert await task.is_successful(phone.adb, answer=answer) == 1.0, answer
    for answer in [*cases.wrong, "", None]:
        assert await task.is_successful(phone.adb, answer=answer) == 0.0, answer
    for answer in cases.shotgun:
        named = [v for v in (cases.value, cases.word) if v and v.casefold() in answer.casefold()]
        assert named, "a shotgun names the right value"
        assert await task.is_successful(phone.adb, answer=answer) == 0.0, answer[:200]
