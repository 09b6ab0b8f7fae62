"""Structured answers: the typed data a run must answer with (a Pydantic model or a JSON Schema).

`Agent.run(..., output=Model)`, `mobile-agent run --output-schema FILE` and the API's
`output_schema` all become an `OutputSpec`. The role that answers (the Worker, or the single
mode) is shown the schema; its `answer` text is read as JSON (code fences and prose around the
object tolerated) and validated; an invalid one is sent back with the validation errors, a bounded
number of times. A schema that is not a valid JSON Schema is refused before anything runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mobile_agent.output_cost import (
    EVAL_BUDGET_S,
    MAX_EVAL_STEPS,
    SchemaTooCostly,
    expansion_problem,
    metered,
    with_step_budget,
)
from mobile_agent.output_patterns import (
    PATTERN_BUDGET_S,
    PatternTimeout,
    bounded,
    pattern_problem,
    with_bounded_regex,
)

__all__ = ["OutputInvalid", "OutputSchemaError", "OutputSpec", "load_schema_file", "read_json_value"]

MAX_SCHEMA_CHARS = 20_000  # the schema goes into every answering prompt
MAX_SCHEMA_DEPTH = 64  # nested objects and arrays; jsonschema recurses a few frames per level
_MAX_ERRORS = 5
_REF_KEYS = ("$ref", "$dynamicRef", "$recursiveRef")
_DATA_KEYS = ("const", "enum", "default", "examples")  # values, not schemas: their "$ref" is data
_TOO_DEEP = "the answer's JSON is nested too deeply to read; answer with a flatter value"
_PROBES: tuple[Any, ...] = (None, True, 0, 1.5, "", [], {})  # answers that reach every top-level branch


class OutputSchemaError(ValueError):
    """The schema itself is unusable (not JSON, not a JSON Schema, too big)."""


class OutputInvalid(ValueError):
    """An answer that does not match the schema; the message is shown to the model."""


def _no_fetch(uri: str) -> Any:
    """The registry's retrieval: a schema is self-contained, nothing is ever fetched."""
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


def _refs(node: Any) -> list[str]:
    """Every `$ref` (and dynamic / recursive reference) in a schema, data values left out."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _REF_KEYS and isinstance(value, str):
                found.append(value)
            elif key not in _DATA_KEYS:
                found.extend(_refs(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_refs(item))
    return found


def _validator(cls: type[Any], schema: dict[str, Any]) -> Any:
    """A validator whose references resolve inside the schema only (never over the network)."""
    from referencing import Registry

    return cls(schema, registry=Registry(retrieve=_no_fetch))  # type: ignore[call-arg]


def _check_refs(cls: type[Any], schema: dict[str, Any]) -> None:
    """Refuse references that leave the schema, that lead nowhere, or that loop forever."""
    from referencing.exceptions import Unresolvable

    for ref in _refs(schema):
        if not ref.startswith("#"):
            raise OutputSchemaError(
                f"the output schema must be self-contained: $ref {ref[:200]!r} points outside it "
                "(nothing is fetched; put the definition under $defs and use #/$defs/...)"
            )
    validator = _validator(cls, schema)
    for ref in _refs(schema):
        try:
            validator._resolver.lookup(ref)
        except Unresolvable:
            raise OutputSchemaError(f"$ref {ref[:200]!r} leads nowhere in the output schema") from None
    problem = expansion_problem(cls, schema)
    if problem:
        raise OutputSchemaError(f"the output schema is too costly to evaluate: {problem}")
    with metered():  # all the probes share one budget
        for probe in _PROBES:
            try:
                with bounded():
                    any(True for _ in validator.iter_errors(probe))
            except SchemaTooCostly as exc:
                raise OutputSchemaError(
                    f"the output schema is too costly to evaluate: {exc} even on an empty value"
                ) from None
            except PatternTimeout as exc:
                raise OutputSchemaError(f"the output schema's {exc} even on an empty value") from None
            except RecursionError:
                raise OutputSchemaError(
                    "the output schema refers to itself without end (a $ref loop that never reaches a type)"
                ) from None
            except Unresolvable as exc:
                raise OutputSchemaError(f"a $ref of the output schema leads nowhere: {exc}") from None


def _check_shape(schema: dict[str, Any]) -> None:
    """Refuse what is not JSON or too deep to check: jsonschema's checks recurse per level (a schema
    ~150 levels deep raised RecursionError, a 500 over HTTP), NaN and infinities are not JSON, and
    a lone surrogate cannot be stored or sent back (the task list answered 500 for everyone)."""
    stack: list[tuple[Any, int]] = [(schema, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list) and depth > MAX_SCHEMA_DEPTH:
            raise OutputSchemaError(f"the output schema is nested more than {MAX_SCHEMA_DEPTH} levels deep")
        if isinstance(node, dict):
            for key, value in node.items():
                stack.append((key, depth))
                stack.append((value, depth + 1))
        elif isinstance(node, list):
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise OutputSchemaError(f"the output schema holds {node}, which is not a JSON number")
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise OutputSchemaError(
                    f"the output schema holds text that is not valid Unicode (a lone surrogate): {node[:50]!r}"
                ) from None


def _check_schema(schema: Any) -> type[Any]:
    """The jsonschema validator class for `schema`, or `OutputSchemaError` saying what is wrong."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    if not isinstance(schema, dict):
        raise OutputSchemaError(f"the output schema must be a JSON object, got {type(schema).__name__}")
    if not schema:
        raise OutputSchemaError("the output schema is empty: say what the answer must look like")
    _check_shape(schema)
    size = len(json.dumps(schema, ensure_ascii=False))
    if size > MAX_SCHEMA_CHARS:
        raise OutputSchemaError(f"the output schema is {size} characters; the limit is {MAX_SCHEMA_CHARS}")
    try:
        cls: type[Any] = validator_for(schema, default=Draft202012Validator)
        cls.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "(top level)"
        raise OutputSchemaError(f"not a valid JSON Schema at {where}: {exc.message[:300]}") from None
    problem = pattern_problem(cls, schema)
    if problem:
        raise OutputSchemaError(f"the output schema cannot be used: {problem}")
    cls = with_bounded_regex(cls)  # its patterns meet the model's answer: never an unbounded `re`
    cls = with_step_budget(cls)  # nor unbounded work: each check counts against `metered`
    _check_refs(cls, schema)
    return cls


def read_json_value(text: str) -> Any:
    """The JSON value in an answer: the whole text, a fenced block, or the first object or array."""
    from mobile_agent.roles.parsing import balanced_at, find_json_object, loads_lenient

    body = "\n".join(
        line for line in text.strip().splitlines() if not line.strip().startswith(("```", "~~~"))
    )
    body = body.strip()
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        pass
    except RecursionError:
        raise OutputInvalid(_TOO_DEEP) from None
    starts = [i for i in (body.find("{"), body.find("[")) if i != -1]
    if not starts:
        raise OutputInvalid("the answer holds no JSON value")
    start = min(starts)
    candidate = find_json_object(body) if body[start] == "{" else balanced_at(body, start, "[{", "]}")
    if candidate is None:
        raise OutputInvalid("the answer's JSON is cut off (unbalanced brackets)")
    try:
        return loads_lenient(candidate)
    except ValueError as exc:
        raise OutputInvalid(f"the answer is {exc}") from None
    except RecursionError:
        raise OutputInvalid(_TOO_DEEP) from None


def _where(path: Any) -> str:
    parts = [str(p) for p in path]
    return ".".join(parts) if parts else "(top level)"


@dataclass(frozen=True)
class OutputSpec:
    """The schema an answer must match, and the Pydantic model to build when one was given."""

    schema: dict[str, Any]
    model: type[BaseModel] | None = None

    @classmethod
    def of(cls, output: Any) -> OutputSpec:
        """From a Pydantic model class, a JSON Schema dict, or an `OutputSpec`."""
        if isinstance(output, OutputSpec):
            return output
        if isinstance(output, type) and issubclass(output, BaseModel):
            schema = output.model_json_schema()
            _check_schema(schema)
            return cls(schema=schema, model=output)
        if isinstance(output, BaseModel):
            raise OutputSchemaError("output takes the model class, not an instance of it")
        _check_schema(output)
        return cls(schema=dict(output))

    def prompt(self) -> str:
        """The section that tells the answering role the required shape."""
        schema = json.dumps(self.schema, ensure_ascii=False)
        return (
            "### Required answer format\n"
            'The user wants the answer as data. When you answer (action "answer"), its "text" must be '
            f"only a JSON value that matches this JSON Schema, nothing else:\n{schema}\n"
        )

    def validate(self, text: str) -> Any:
        """The validated value of an answer (the model's instance when there is a model), or
        `OutputInvalid` listing what is wrong."""
        value = read_json_value(text)
        if self.model is not None:
            try:
                return self.model.model_validate(value)
            except ValidationError as exc:
                errors = exc.errors()
                shown = "; ".join(f"at {_where(e['loc'])}: {e['msg']}" for e in errors[:_MAX_ERRORS])
                more = f" (and {len(errors) - _MAX_ERRORS} more)" if len(errors) > _MAX_ERRORS else ""
                raise OutputInvalid(f"{shown}{more}") from None
        validator = _validator(_check_schema(self.schema), self.schema)
        try:
            with bounded(), metered():
                found = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        except RecursionError:
            raise OutputInvalid(_TOO_DEEP) from None
        except SchemaTooCostly as exc:
            raise OutputInvalid(
                f"the answer could not be checked against the schema: {exc}, past the limit for one "
                f"answer ({MAX_EVAL_STEPS:,} steps, {EVAL_BUDGET_S:g} s); answer with a smaller, flatter value"
            ) from None
        except PatternTimeout as exc:
            raise OutputInvalid(
                f"the answer could not be checked: the schema's {exc} (all pattern matching of an answer "
                f"is limited to {PATTERN_BUDGET_S:g} s); answer with shorter, plainer values"
            ) from None
        if found:
            shown = "; ".join(f"at {_where(e.absolute_path)}: {e.message[:200]}" for e in found[:_MAX_ERRORS])
            more = f" (and {len(found) - _MAX_ERRORS} more)" if len(found) > _MAX_ERRORS else ""
            raise OutputInvalid(f"{shown}{more}")
        return value

    @staticmethod
    def to_json(value: Any) -> Any:
        """A validated value as JSON data (a model instance dumped)."""
        return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def load_schema_file(path: str | Path) -> dict[str, Any]:
    """A JSON Schema read from a file and checked; `OutputSchemaError` says what is wrong."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise OutputSchemaError(f"cannot read the output schema {p}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise OutputSchemaError(f"the output schema {p} is not UTF-8 text") from None
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OutputSchemaError(f"the output schema {p} is not JSON: {exc}") from None
    _check_schema(schema)
    return dict(schema)
