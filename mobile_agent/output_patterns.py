"""The regular expressions of an output schema, run with a time bound.

jsonschema runs `pattern` and `patternProperties` with Python's `re`, which backtracks without
limit and holds the GIL while it does: `^(a|aa)+$` against forty a's and a "!" runs for hours and
the whole process stalls (the API's event loop, every other task). The answer is the model's, and
what the phone shows steers it, so a schema's pattern meets untrusted text. Here the keywords that
run a schema's regexes (`pattern`, `patternProperties`, and `additionalProperties` and
`unevaluatedProperties`, which read `patternProperties`) are replaced through jsonschema's
extension mechanism with ones that use the `regex` package with a timeout. One answer's whole
validation shares `PATTERN_BUDGET_S`; past it the check stops with `PatternTimeout`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import regex

__all__ = [
    "PATTERN_BUDGET_S",
    "PatternTimeout",
    "bounded",
    "compile_pattern",
    "pattern_problem",
    "schema_patterns",
    "with_bounded_regex",
]

PATTERN_BUDGET_S = 1.0  # all pattern matching of one answer; real patterns take microseconds
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "dependentSchemas", "dependencies")
_DATA_KEYS = ("const", "enum", "default", "examples")
_deadline: ContextVar[float | None] = ContextVar("mobile_agent_pattern_deadline", default=None)


class PatternTimeout(Exception):
    """A pattern did not finish within the budget (or cannot run); `pattern` names it."""

    def __init__(self, pattern: str, why: str = "took too long") -> None:
        super().__init__(f"pattern {pattern[:200]!r} {why}")
        self.pattern = pattern


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    """The `regex` pattern (`regex.error` when it cannot be compiled)."""
    return regex.compile(pattern)


@contextlib.contextmanager
def bounded(seconds: float = PATTERN_BUDGET_S) -> Iterator[None]:
    """All searches in this block share one deadline `seconds` from now."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _search(pattern: str, text: str) -> bool:
    deadline = _deadline.get()
    left = PATTERN_BUDGET_S if deadline is None else deadline - time.monotonic()
    if left <= 0:
        raise PatternTimeout(pattern)
    try:
        found = compile_pattern(pattern).search(text, timeout=left, concurrent=True)
    except TimeoutError:
        raise PatternTimeout(pattern) from None
    except regex.error as exc:
        raise PatternTimeout(pattern, f"cannot be run: {exc}") from None
    return found is not None


def schema_patterns(node: Any) -> Iterator[tuple[str, str]]:
    """(keyword, pattern) for every `pattern` and `patternProperties` key of a schema."""
    if isinstance(node, list):
        for item in node:
            yield from schema_patterns(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in _DATA_KEYS:
            continue
        if key == "pattern" and isinstance(value, str):
            yield key, value
        elif key == "patternProperties" and isinstance(value, dict):
            for name, sub in value.items():
                yield key, name
                yield from schema_patterns(sub)
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            for sub in value.values():
                yield from schema_patterns(sub)
        else:
            yield from schema_patterns(value)


# The keyword functions below are jsonschema's own (jsonschema/_keywords.py and _utils.py, MIT),
# with `re.search` replaced by the bounded `_search`.


def _pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not _search(patrn, instance):
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


def _pattern_properties(validator: Any, pp: dict[str, Any], instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pp.items():
        for k, v in instance.items():
            if _search(pattern, k):
                yield from validator.descend(v, subschema, path=k, schema_path=pattern)


def _additional(instance: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    for name in instance:
        if name not in properties and not any(_search(p, name) for p in patterns):
            yield name


def _additional_properties(validator: Any, ap: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema._utils import extras_msg
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    extras = set(_additional(instance, schema))
    if validator.is_type(ap, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], ap, path=extra)
    elif not ap and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras))
            patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            yield ValidationError(f"{joined} {verb} not match any of the regexes: {patterns}")
        else:
            error = "Additional properties are not allowed (%s %s unexpected)"
            yield ValidationError(error % extras_msg(sorted(extras, key=str)))


def _valid(errors: Iterator[Any]) -> bool:
    return next(errors, None) is None


def _evaluated_keys(validator: Any, instance: dict[str, Any], schema: Any) -> list[str]:
    """The keys of `instance` that `schema` evaluates (draft 2020-12's annotation rules)."""
    if validator.is_type(schema, "boolean"):
        return []
    keys: list[str] = []
    for ref_key in ("$ref", "$dynamicRef"):
        ref = schema.get(ref_key)
        if ref is not None:
            resolved = validator._resolver.lookup(ref)
            sub = validator.evolve(schema=resolved.contents, _resolver=resolved.resolver)
            keys += _evaluated_keys(sub, instance, resolved.contents)
    properties = schema.get("properties")
    if validator.is_type(properties, "object"):
        keys += properties.keys() & instance.keys()
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        if (subschema := schema.get(keyword)) is not None:
            keys += (k for k, v in instance.items() if _valid(validator.descend(v, subschema)))
    if "patternProperties" in schema:
        keys += (k for k in instance if any(_search(p, k) for p in schema["patternProperties"]))
    for name, subschema in schema.get("dependentSchemas", {}).items():
        if name in instance:
            keys += _evaluated_keys(validator, instance, subschema)
    for keyword in ("allOf", "oneOf", "anyOf"):
        for subschema in schema.get(keyword, []):
            if _valid(validator.descend(instance, subschema)):
                keys += _evaluated_keys(validator, instance, subschema)
    if "if" in schema:
        if validator.evolve(schema=schema["if"]).is_valid(instance):
            keys += _evaluated_keys(validator, instance, schema["if"])
            if "then" in schema:
                keys += _evaluated_keys(validator, instance, schema["then"])
        elif "else" in schema:
            keys += _evaluated_keys(validator, instance, schema["else"])
    return keys


def _unevaluated_properties(validator: Any, up: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema._utils import extras_msg
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    evaluated = set(_evaluated_keys(validator, instance, schema))
    bad = [
        name
        for name in instance
        if name not in evaluated
        and not _valid(validator.descend(instance[name], up, path=name, schema_path=name))
    ]
    if bad:
        if up is False:
            error = "Unevaluated properties are not allowed (%s %s unexpected)"
            yield ValidationError(error % extras_msg(sorted(bad, key=str)))
        else:
            error = (
                "Unevaluated properties are not valid under the given schema (%s %s unevaluated and invalid)"
            )
            yield ValidationError(error % extras_msg(bad))


_EXTENDED: dict[type[Any], type[Any]] = {}


def pattern_problem(cls: type[Any], schema: Any) -> str | None:
    """Why the schema's patterns cannot be run bounded, or None: each must compile with `regex`
    too, and a draft 2019-09 schema cannot have `unevaluatedProperties` with `patternProperties`."""
    from jsonschema import _keywords

    kinds = set()
    for keyword, pattern in schema_patterns(schema):
        kinds.add(keyword)
        try:
            compile_pattern(pattern)
        except regex.error as exc:
            return f"its {keyword} {pattern[:200]!r} is not a regular expression we can run: {exc}"
    own = cls.VALIDATORS.get("unevaluatedProperties")
    if own is not None and own is not _keywords.unevaluatedProperties and "patternProperties" in kinds:
        if "unevaluatedProperties" in json.dumps(schema):
            return (
                "unevaluatedProperties together with patternProperties needs draft 2020-12 "
                '(drop "$schema" or set it to https://json-schema.org/draft/2020-12/schema)'
            )
    return None


def with_bounded_regex(cls: type[Any]) -> type[Any]:
    """`cls` (a jsonschema validator class) with every regex it runs bounded in time.

    Draft 2019-09's `unevaluatedProperties` keeps jsonschema's own function: `output.py` refuses a
    2019-09 schema that has it together with `patternProperties` (the only regexes it runs)."""
    from jsonschema import _keywords
    from jsonschema.validators import extend

    if cls not in _EXTENDED:
        keywords = {
            "pattern": _pattern,
            "patternProperties": _pattern_properties,
            "additionalProperties": _additional_properties,
        }
        if cls.VALIDATORS.get("unevaluatedProperties") is _keywords.unevaluatedProperties:
            keywords["unevaluatedProperties"] = _unevaluated_properties
        _EXTENDED[cls] = extend(cls, keywords)
    return _EXTENDED[cls]
