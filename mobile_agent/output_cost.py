"""How much work checking an answer against an output schema may take, bounded two ways.

jsonschema follows every `$ref` afresh, so a `$defs` chain whose levels each refer to the next
twice (`allOf` of two `$ref`s) doubles the work per level: 14 levels (~1 KB) took 2 s, ~30 levels
(~2 KB) would take hours, holding the GIL (the API's event loop, every other task) at submission
and again at every answer. So:

- `expansion_problem` refuses, before anything runs, a schema whose `$ref`s expand to more than
  `MAX_EXPANDED_SUBSCHEMAS` subschemas (recursion, a `$ref` back into its own cycle, counts once:
  the answer's own depth bounds it);
- `with_step_budget` extends a validator class so every keyword and every type check counts a step
  against the `metered` budget of the validation it belongs to (`MAX_EVAL_STEPS` and
  `EVAL_BUDGET_S`), which catches what depends on the answer (a recursive schema that branches per
  level of the answer's nesting); past it, `SchemaTooCostly`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EVAL_BUDGET_S",
    "MAX_EVAL_STEPS",
    "MAX_EXPANDED_SUBSCHEMAS",
    "SchemaTooCostly",
    "expansion_problem",
    "metered",
    "with_step_budget",
]

MAX_EXPANDED_SUBSCHEMAS = 10_000  # a 20,000-character schema has at most a few thousand
MAX_EVAL_STEPS = 200_000  # keyword and type checks for one answer (~1 s); 1,000 rows of 5 fields take ~40,000
EVAL_BUDGET_S = 2.0  # the same, in time: a backstop for a machine that is slow or busy
_REF_KEYS = ("$ref", "$dynamicRef", "$recursiveRef")
_SKIPPED = ("const", "enum", "default", "examples", "$defs", "definitions")  # data, or reached by $ref only
_CLOCK_EVERY = 1024  # steps between looks at the clock


class SchemaTooCostly(Exception):
    """One validation went past its step or time budget; the message says which."""


@dataclass
class _Budget:
    steps_left: int
    deadline: float
    steps: int


_budget: ContextVar[_Budget | None] = ContextVar("mobile_agent_eval_budget", default=None)


@contextlib.contextmanager
def metered(steps: int = MAX_EVAL_STEPS, seconds: float = EVAL_BUDGET_S) -> Iterator[None]:
    """Every keyword and type check in this block shares one budget of `steps` and `seconds`."""
    token = _budget.set(_Budget(steps, time.monotonic() + seconds, steps))
    try:
        yield
    finally:
        _budget.reset(token)


def _tick() -> None:
    budget = _budget.get()
    if budget is None:
        return
    budget.steps_left -= 1
    if budget.steps_left < 0:
        raise SchemaTooCostly(f"checking it takes more than {budget.steps:,} steps")
    if budget.steps_left % _CLOCK_EVERY == 0 and time.monotonic() > budget.deadline:
        raise SchemaTooCostly(f"checking it takes longer than {EVAL_BUDGET_S:g} s")


def _counted_keyword(fn: Callable[..., Any]) -> Callable[..., Any]:
    def keyword(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        _tick()
        yield from fn(validator, value, instance, schema) or ()

    return keyword


def _counted_type(fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(checker: Any, instance: Any) -> bool:
        _tick()
        return fn(checker, instance)

    return check


_EXTENDED: dict[type[Any], type[Any]] = {}


def with_step_budget(cls: type[Any]) -> type[Any]:
    """`cls` (a jsonschema validator class) with every keyword and type check counted. Type checks
    are counted too because jsonschema's walks for `unevaluated*` follow `$ref`s without running a
    keyword, but with a type check at every schema they enter."""
    from jsonschema.validators import extend

    if cls not in _EXTENDED:
        keywords = {name: _counted_keyword(fn) for name, fn in cls.VALIDATORS.items()}
        checker = cls.TYPE_CHECKER
        types = {name: _counted_type(fn) for name, fn in checker._type_checkers.items()}
        _EXTENDED[cls] = extend(cls, keywords, type_checker=checker.redefine_many(types))
    return _EXTENDED[cls]


@dataclass
class _Unit:
    """The root schema or one `$ref` target: its own subschemas and the targets it refers to."""

    own: int
    edges: list[int]


def _walk(node: Any, resolver: Any, specification: Any, units: dict[int, Any]) -> tuple[int, list[Any]]:
    """(subschemas under `node`, $ref targets with their resolvers), `$defs` and data left out."""
    from referencing.exceptions import Unresolvable

    own, targets = 0, []
    stack = [(node, resolver)]
    while stack:
        item, scope = stack.pop()
        if isinstance(item, list):
            stack.extend((sub, scope) for sub in item)
            continue
        if not isinstance(item, dict):
            continue
        own += 1
        resource = specification.create_resource(item)
        if resource.id() is not None:
            scope = scope.in_subresource(resource)
        for key, value in item.items():
            if key in _REF_KEYS and isinstance(value, str):
                with contextlib.suppress(Unresolvable):
                    resolved = scope.lookup(value)
                    units.setdefault(id(resolved.contents), (resolved.contents, resolved.resolver))
                    targets.append(id(resolved.contents))
            elif key not in _SKIPPED and isinstance(value, dict | list):
                stack.append((value, scope))
    return own, targets


def _expanded_size(graph: dict[int, _Unit], root: int, cap: int) -> int:
    """Subschemas of `root` with every `$ref` replaced by its target, a cycle counted once (Tarjan's
    strongly connected components, iteratively; each is finished after all it reaches)."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    size: dict[int, int] = {}  # per finished unit: the expanded size of its component
    work = [(root, 0)]
    while work:
        unit, i = work.pop()
        if i == 0:
            index[unit] = low[unit] = len(index)
            stack.append(unit)
            on_stack.add(unit)
        edges = graph[unit].edges
        if i < len(edges):
            work.append((unit, i + 1))
            nxt = edges[i]
            if nxt not in index:
                work.append((nxt, 0))
            elif nxt in on_stack:
                low[unit] = min(low[unit], index[nxt])
            continue
        for nxt in edges:
            if nxt in on_stack:
                low[unit] = min(low[unit], low[nxt])
        if low[unit] != index[unit]:
            continue
        members = []
        while True:
            member = stack.pop()
            on_stack.discard(member)
            members.append(member)
            if member == unit:
                break
        inside = set(members)
        total = sum(graph[m].own for m in members)
        for m in members:
            total += sum(size[n] for n in graph[m].edges if n not in inside)
        for m in members:
            size[m] = min(total, cap + 1)
    return size[root]


def expansion_problem(cls: type[Any], schema: dict[str, Any]) -> str | None:
    """Why `schema`'s `$ref`s make it too costly to evaluate, or None."""
    import referencing.jsonschema
    from referencing import Registry, Specification

    specification = referencing.jsonschema.specification_with(
        cls.ID_OF(cls.META_SCHEMA) or "urn:unknown-dialect", default=Specification.OPAQUE
    )
    root = Registry().resolver_with_root(specification.create_resource(schema))
    units: dict[int, Any] = {id(schema): (schema, root)}
    graph: dict[int, _Unit] = {}
    walked, todo = 0, [id(schema)]
    while todo:
        key = todo.pop()
        if key in graph:
            continue
        contents, resolver = units[key]
        own, edges = _walk(contents, resolver, specification, units)
        graph[key] = _Unit(own, edges)
        todo.extend(edges)
        walked += own  # every unit reached counts at least once in the expansion
        if walked > MAX_EXPANDED_SUBSCHEMAS:
            break
    if walked <= MAX_EXPANDED_SUBSCHEMAS:
        walked = _expanded_size(graph, id(schema), MAX_EXPANDED_SUBSCHEMAS)
    if walked > MAX_EXPANDED_SUBSCHEMAS:
        return (
            f"with its $refs followed it has more than {MAX_EXPANDED_SUBSCHEMAS:,} subschemas to check "
            "(a $ref used more than once at each level of a chain doubles the work per level)"
        )
    return None
