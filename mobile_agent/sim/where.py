"""The one query engine of the content providers: the SQL WHERE subset `content --where` takes.

Android hands `content query|update|delete --where` to the provider's SQLite, so a clause is
`col OP value` terms joined by AND and OR, AND binding tighter (`a=1 OR b=2 AND c=3` is
`a=1 OR (b=2 AND c=3)`). OP is one of `= == != <> < > <= >= LIKE` (LIKE with `%` and `_`,
case-insensitive); a value is a number, a 'single-quoted' string ('' is a quote inside it), a
"double-quoted" one, or a bare word. Numbers compare as numbers. Parentheses and other SQL are
not supported: like SQLite, a clause that does not parse is an error (`WhereError`), never
"matches nothing"; so is a column the table does not have.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Term", "WhereError", "like", "matches", "parse_where", "select"]

_TERM = re.compile(
    r"""\s*([A-Za-z_]\w*)\s*(==|=|!=|<>|<=|>=|<|>|\s+LIKE\s+)\s*('(?:[^']|'')*'|"[^"]*"|[^\s'"]+)\s*""",
    re.IGNORECASE | re.DOTALL,
)
_JOIN = re.compile(r"\s+(AND|OR)\s+", re.IGNORECASE)


class WhereError(ValueError):
    """A clause SQLite would refuse; `str()` is SQLite's message (`near "x": syntax error`)."""


@dataclass(frozen=True)
class Term:
    column: str
    op: str  # "=", "!=", "<", ">", "<=", ">=", "LIKE"
    value: str


# A parsed clause: OR of ANDs of terms.
Clause = list[list[Term]]


def _split(where: str) -> list[tuple[str, str]]:
    """(joiner before, text) pieces, split at AND/OR outside quotes."""
    pieces: list[tuple[str, str]] = []
    joiner, start, i, quote = "", 0, 0, ""
    while i < len(where):
        c = where[i]
        if quote:
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c.isspace() and (i == 0 or not where[i - 1].isspace()):  # a run's start: linear
            m = _JOIN.match(where, i)
            if m and i > start:
                pieces.append((joiner, where[start:i]))
                joiner, start, i = m.group(1).upper(), m.end(), m.end()
                continue
        i += 1
    pieces.append((joiner, where[start:]))
    return pieces


def _term(text: str) -> Term:
    m = _TERM.fullmatch(text)
    if not m or (m.group(3)[:1] not in "'\"" and "(" in m.group(3)):
        raise WhereError(f'near "{text.strip()}": syntax error')
    col, op, raw = m.group(1), m.group(2).strip().upper(), m.group(3)
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        value = raw[1:-1].replace("''", "'")
    elif len(raw) >= 2 and raw[0] == raw[-1] == '"':
        value = raw[1:-1]
    else:
        value = raw
    return Term(col, {"==": "=", "<>": "!="}.get(op, op), value)


def parse_where(where: str | None, columns: Iterable[str] | None = None) -> Clause:
    """Parse a clause (None or blank: every row); with `columns`, an unknown column is an error."""
    if not where or not where.strip():
        return []
    clause: Clause = []
    for joiner, text in _split(where.strip()):
        term = _term(text)
        if joiner == "AND":
            clause[-1].append(term)
        else:
            clause.append([term])
    if columns is not None:
        known = set(columns)
        for group in clause:
            for term in group:
                if term.column not in known:
                    raise WhereError(f"no such column: {term.column}")
    return clause


def _holds(row: dict[str, Any], term: Term) -> bool:
    cell = row.get(term.column)
    text = "" if cell is None else str(cell)
    if term.op == "LIKE":
        return like(text, term.value)
    a: Any
    b: Any
    try:
        a, b = float(text), float(term.value)
    except ValueError:
        a, b = text, term.value
    return {
        "=": a == b,
        "!=": a != b,
        "<": a < b,
        ">": a > b,
        "<=": a <= b,
        ">=": a >= b,
    }[term.op]


def like(text: str, pattern: str) -> bool:
    """SQLite's LIKE (`%` any run, `_` one character, case-insensitive), in O(len * len) time.

    Not a regex: a translated pattern such as `.*a.*a.*a...b` backtracks exponentially.
    """
    text, pattern = text.lower(), pattern.lower()
    t = p = 0
    star_p, star_t = -1, 0  # the last `%` seen, and where in the text it is resumed from
    while t < len(text):
        if p < len(pattern) and pattern[p] != "%" and (pattern[p] == "_" or pattern[p] == text[t]):
            t, p = t + 1, p + 1
        elif p < len(pattern) and pattern[p] == "%":
            star_p, star_t, p = p, t, p + 1
        elif star_p >= 0:
            star_t += 1
            t, p = star_t, star_p + 1
        else:
            return False
    return all(c == "%" for c in pattern[p:])


def matches(row: dict[str, Any], clause: Clause) -> bool:
    """Whether a row satisfies a parsed clause (an empty clause takes every row)."""
    return not clause or any(all(_holds(row, t) for t in group) for group in clause)


def select(
    rows: Sequence[dict[str, Any]], where: str | None, columns: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """The rows a WHERE clause takes (raises WhereError for one SQLite would refuse)."""
    clause = parse_where(where, columns)
    return [r for r in rows if matches(r, clause)]
