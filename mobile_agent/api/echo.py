"""What a 422 may echo of the input it refused: JSON-safe, and short.

A refused value can come from the body, the path, the query or a header, and can be a string,
a field name, or a whole object or list (pydantic echoes the body for a missing field). Every
string is cut to `ECHO_CHARS`, every list and object to `ECHO_ITEMS` entries, and a response
lists at most `ECHO_ERRORS` errors, so the error body stays small whatever was sent.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["ECHO_CHARS", "ECHO_ERRORS", "ECHO_ITEMS", "capped_errors", "json_safe"]

ECHO_CHARS = 200
ECHO_ITEMS = 10
ECHO_ERRORS = 10


def json_safe(value: Any) -> Any:
    """`value` with what JSON cannot carry made printable: NaN and infinities, lone surrogates."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {json_safe(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def _cap(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return value if len(value) <= ECHO_CHARS else f"{value[:ECHO_CHARS]}... ({len(value)} characters)"
    if isinstance(value, bytes):
        return _cap(value.decode("utf-8", "backslashreplace"), depth)
    if depth >= 3 and isinstance(value, dict | list | tuple):
        return f"({type(value).__name__} of {len(value)} items)"
    if isinstance(value, dict):
        items = list(value.items())
        out = {_cap(str(k)): _cap(v, depth + 1) for k, v in items[:ECHO_ITEMS]}
        if len(items) > ECHO_ITEMS:
            out["..."] = f"({len(items)} keys)"
        return out
    if isinstance(value, list | tuple):
        capped = [_cap(v, depth + 1) for v in value[:ECHO_ITEMS]]
        if len(value) > ECHO_ITEMS:
            capped.append(f"... ({len(value)} items)")
        return capped
    return value


def capped_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors with their `input`, `loc`, `msg` and `ctx` cut short, and at most
    `ECHO_ERRORS` of them (then one more saying how many were left out)."""
    out = []
    for err in errors[:ECHO_ERRORS]:
        err = dict(err)
        if "input" in err:
            err["input"] = _cap(err["input"])
        if "loc" in err:
            err["loc"] = [x if isinstance(x, int) else _cap(str(x)) for x in err["loc"]]
        for key in ("msg", "ctx"):
            if key in err:
                err[key] = _cap(err[key])
        out.append(err)
    if len(errors) > ECHO_ERRORS:
        out.append(
            {
                "type": "too_many_errors",
                "loc": [],
                "msg": f"{len(errors) - ECHO_ERRORS} more errors not shown ({len(errors)} in all)",
            }
        )
    return out
