"""The step loop's layout, read from the source with `ast`: no import cycle through a loop
module, no loop module importing the virtual phone, the benchmark or the serving stack, and no
loop module over 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import mobile_agent

PACKAGE = Path(mobile_agent.__file__).parent
LOOP = "mobile_agent.loop"
FORBIDDEN = ("mobile_agent.sim", "mobile_agent.bench", "serving")
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(name: str) -> set[str]:
    """Every module `name` imports, at the top or inside a function (`from pkg import mod` is `pkg.mod`)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            submodules = {f"{base}.{a.name}" for a in node.names} & MODULES.keys()
            found.update(submodules)
            if len(submodules) < len(node.names):  # names defined in the package itself
                found.add(base)
    return found


def graph() -> dict[str, set[str]]:
    return {name: {m for m in imports(name) if m in MODULES and m != name} for name in MODULES}


def cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def loop_modules() -> list[str]:
    return sorted(m for m in MODULES if m == LOOP or m.startswith(LOOP + "."))


def test_the_loop_package_exists_with_its_parts() -> None:
    assert {
        f"{LOOP}.{part}" for part in ("runner", "observe", "actuation", "models", "guards", "result")
    } <= set(loop_modules())
    assert "mobile_agent.runner" not in MODULES


def test_no_import_cycle_goes_through_a_loop_module() -> None:
    through_loop = [sorted(c) for c in cycles(graph()) if any(m.startswith(LOOP) for m in c)]
    assert through_loop == []


def test_the_loop_imports_no_phone_benchmark_or_serving_code() -> None:
    bad = {
        m: sorted(i for i in imports(m) if any(i == f or i.startswith(f + ".") for f in FORBIDDEN))
        for m in loop_modules()
    }
    assert {m: found for m, found in bad.items() if found} == {}


def test_every_loop_module_is_small_and_says_what_it_exports() -> None:
    for name in loop_modules():
        text = MODULES[name].read_text("utf-8")
        assert len(text.splitlines()) <= MAX_LINES, f"{name} has {len(text.splitlines())} lines"
        assert "__all__" in text, f"{name} has no __all__"


def test_the_checks_see_what_they_look_for() -> None:
    """The walker is not blind: it finds a known edge and a known cycle shape."""
    assert "mobile_agent.loop.actuation" in imports("mobile_agent.loop.runner")
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [{"a", "b"}]
