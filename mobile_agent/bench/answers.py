"""Judging an information-retrieval answer: it must state the expected value and no other candidate.

A guessing policy that lists every plausible value ("0 1 2 ... 30", every HH:MM in 5-minute steps,
every `first.lastN@example.com`) names the right one by construction, so a "does the answer contain
it" test passes it without the agent looking at the screen. Each kind therefore extracts every
candidate value of its kind from the answer, and the answer passes only when the expected value is
among them and no *distinct* candidate is. Repeating the right value, or giving it in another format
(`06:30` and `6:30 AM`, `555-123 4567`, "three"), still passes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Literal

__all__ = ["AnswerKind", "answer_candidates", "answer_contains", "digits", "norm_text"]

AnswerKind = Literal["text", "digits", "number", "time", "email"]

_TIME = re.compile(r"(?<!\d)(\d{1,2})[:.h](\d{2})(?!\d)\s*([ap]\.?m\b\.?)?")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGIT_CHUNK = re.compile(r"[\d\s().+-]+")
_NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}


def norm_text(s: str | None) -> str:
    """Case-, width- and whitespace-insensitive form; strips surrounding quotes and a final period."""
    if s is None:
        return ""
    s = unicodedata.normalize("NFKC", s).casefold().strip()
    s = re.sub(r"\s+", " ", s)
    return s.strip(" .\"'“”‘’")


def digits(s: str | None) -> str:
    return re.sub(r"\D", "", s or "")


def _times(answer: str) -> set[str]:
    """Every clock time in the answer, as 24-hour HH:MM (`6:30 pm` -> `18:30`)."""
    found = set()
    for h, m, ampm in _TIME.findall(answer.casefold()):
        hour = int(h)
        if ampm.startswith("p") and hour < 12:
            hour += 12
        if ampm.startswith("a") and hour == 12:
            hour = 0
        found.add(f"{hour:02d}:{int(m):02d}")
    return found


def _numbers(answer: str, want: str) -> set[str]:
    """Every count-like number: digit runs (clock times and long ids aside), else number words."""
    text = _TIME.sub(" ", unicodedata.normalize("NFKC", answer).casefold())
    longest = len(want.lstrip("-")) + 2  # a phone number or a code in the answer is not a count
    nums = {str(int(n)) for n in re.findall(r"-?\d+", text) if len(n.lstrip("-")) <= longest}
    if nums or re.search(r"\d", text):
        return nums
    return {str(v) for w, v in _NUMBER_WORDS.items() if re.search(rf"\b{w}\b", text)}


def _digit_runs(answer: str, want: str) -> set[str]:
    """Digit strings written with separators ("555-123 4567") that have the expected's length."""
    text = unicodedata.normalize("NFKC", answer)
    found = {d for d in (digits(c) for c in _DIGIT_CHUNK.findall(text)) if d == want or len(d) == len(want)}
    if digits(text) == want:  # the digits spread over the answer ("5 5 5 1 2 ...")
        found.add(want)
    return found


def _emails(answer: str) -> set[str]:
    return {e.casefold() for e in _EMAIL.findall(unicodedata.normalize("NFKC", answer))}


def _text(answer: str, want: str) -> set[str]:
    """The expected text if present, plus every number shaped like one in it but not one of its own.

    ("Combination 4821" against "Combination 4821, 1234, 5678": the other 4-digit numbers are
    other candidate combinations.)
    """
    found = {want} if want in norm_text(answer) else set()
    own = set(re.findall(r"\d+", want))
    sizes = {len(n) for n in own}
    found |= {n for n in re.findall(r"\d+", norm_text(answer)) if len(n) in sizes and n not in own}
    return found


_EXPECTED: dict[str, Callable[[str], str]] = {
    "text": norm_text,
    "digits": digits,
    "number": lambda e: str(int(e)),
    "time": lambda e: "{:02d}:{:02d}".format(*(int(v) for v in e.split(":"))),
    "email": lambda e: unicodedata.normalize("NFKC", e).strip().casefold(),
}
_CANDIDATES: dict[str, Callable[[str, str], set[str]]] = {
    "text": _text,
    "digits": _digit_runs,
    "number": _numbers,
    "time": lambda a, _w: _times(a),
    "email": lambda a, _w: _emails(a),
}


def answer_candidates(answer: str, expected: str, kind: AnswerKind = "text") -> tuple[str, set[str]]:
    """(the expected value normalised, the distinct candidate values of that kind in the answer)."""
    if kind not in _EXPECTED:
        raise ValueError(f"unknown answer kind {kind!r}; expected one of {sorted(_EXPECTED)}")
    want = _EXPECTED[kind](expected)
    return want, _CANDIDATES[kind](answer, want)


def answer_contains(answer: str | None, expected: str, kind: AnswerKind = "text") -> bool:
    """Whether the answer states the expected value and no other value of its kind.

    `kind`: text, digits (a phone number or a code, any separators), number (a count), time
    (HH:MM, 12- or 24-hour), email.
    """
    if answer is None:
        return False
    want, found = answer_candidates(answer, expected, kind)
    return bool(want) and found == {want}
