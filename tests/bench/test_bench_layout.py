"""The benchmark's layout, read from the source with `ast`: it uses other modules' public names
only (no `from x import _private`, no `module._private`), no import cycle runs through a bench
module, and every bench module says what it exports and types its public functions."""

from __future__ import annotations

import ast
import importlib
import tomllib

from import_graph import MODULES, ROOT, cycles, imports

BENCH = "mobile_agent.bench"


BENCH_MODULES = sorted(m for m in MODULES if m == BENCH or m.startswith(BENCH + "."))
SCRIPTS = sorted((ROOT / "benchmarks").glob("*.py"))


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_reaches(source: str) -> list[str]:
    """`from x import _y` and `alias._y` where `alias` was bound by an import: another module's privates."""
    tree = ast.parse(source)
    imported: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.update(a.asname or a.name for a in node.names)
            found += [f"from {node.module} import {a.name}" for a in node.names if is_private(a.name)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            if isinstance(node.value, ast.Name) and node.value.id in imported:
                found.append(f"{node.value.id}.{node.attr}")
    return found


def test_bench_and_the_benchmark_scripts_use_public_names_only() -> None:
    bad = {m: private_reaches(MODULES[m].read_text("utf-8")) for m in BENCH_MODULES}
    bad |= {f"benchmarks/{p.name}": private_reaches(p.read_text("utf-8")) for p in SCRIPTS}
    assert {where: found for where, found in bad.items() if found} == {}


def test_no_import_cycle_goes_through_a_bench_module() -> None:
    edges = {name: {m for m in imports(name) if m in MODULES and m != name} for name in MODULES}
    through_bench = [sorted(c) for c in cycles(edges) if any(m.startswith(BENCH) for m in c)]
    assert through_bench == []


def test_every_bench_module_says_what_it_exports() -> None:
    for name in BENCH_MODULES:
        if name.endswith(".__main__"):
            continue
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"{name} has no __all__"
        missing = [n for n in exported if not hasattr(module, n)]
        assert missing == [], f"{name}.__all__ names what it does not define: {missing}"


def test_what_others_import_from_a_bench_module_is_in_its_all() -> None:
    """The package, the benchmark scripts and the tests use a bench module through its `__all__`."""
    users = [*(ROOT / "mobile_agent").rglob("*.py"), *SCRIPTS, *(ROOT / "tests").rglob("*.py")]
    bad: set[str] = set()
    for path in users:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.ImportFrom) or node.module not in BENCH_MODULES:
                continue
            exported = set(getattr(importlib.import_module(node.module), "__all__", ()))
            for alias in node.names:
                if alias.name not in exported and f"{node.module}.{alias.name}" not in MODULES:
                    bad.add(f"{path.relative_to(ROOT)}: {node.module}.{alias.name}")
    assert sorted(bad) == []


def test_public_bench_functions_are_typed() -> None:
    def untyped(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        a = fn.args
        params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *(p for p in (a.vararg, a.kwarg) if p)]
        return fn.returns is None or any(
            p.annotation is None and p.arg not in ("self", "cls") for p in params
        )

    bad: list[str] = []
    for name in BENCH_MODULES:
        tree = ast.parse(MODULES[name].read_text("utf-8"))
        for node in tree.body:
            members = node.body if isinstance(node, ast.ClassDef) and not is_private(node.name) else [node]
            for fn in members:
                if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and not is_private(fn.name):
                    if untyped(fn):
                        bad.append(f"{name}:{fn.lineno} {fn.name}")
    assert bad == []


def test_mypy_checks_the_benchmark_its_scripts_and_serving() -> None:
    """`mypy` (README: `ruff check . && mypy`) covers bench/, benchmarks/ and serving/, none excluded."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mypy"]
    assert {"mobile_agent", "serving", "benchmarks"} <= set(config["files"])
    assert not [e for e in config.get("exclude", []) if "bench" in e or "serving" in e]


def test_the_checks_see_what_they_look_for() -> None:
    """The walkers are not blind: they find a known edge, a cycle shape and both kinds of private reach."""
    assert "mobile_agent.bench.runner" in imports("mobile_agent.bench.cli")
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [{"a", "b"}]
    src = "import m.sub as s\nfrom x import _hidden, shown\ns._peek()\nshown._inner\nself._own\n"
    assert sorted(private_reaches(src)) == ["from x import _hidden", "s._peek", "shown._inner"]
