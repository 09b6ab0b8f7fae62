"""The import graph of the project's packages, read from the source with `ast` (nothing is imported).

One walker for every layout test: `MODULES` maps each module of `mobile_agent` and `serving` to its
file, `imports(name)` lists what a module imports (at the top, under TYPE_CHECKING or inside a
function; `from pkg import mod` counts as `pkg.mod`), `graph()` the edges between our modules and
`cycles()` the strongly connected components with more than one module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mobile_agent

__all__ = ["MODULES", "ROOT", "cycles", "graph", "imports", "inside", "line_count", "module_name"]

ROOT = Path(mobile_agent.__file__).resolve().parent.parent
PACKAGES = ("mobile_agent", "serving")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {
    module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))
}


def inside(name: str, packages: tuple[str, ...]) -> bool:
    """Whether module `name` is one of `packages` or inside one of them."""
    return any(name == p or name.startswith(p + ".") for p in packages)


def imports(name: str) -> set[str]:
    """Every module `name` imports, ours or not (`from pkg import mod` is `pkg.mod`)."""
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


def graph(within: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    """Edges between our modules inside `within` (default: all of them)."""
    names = [m for m in MODULES if inside(m, within)]
    return {
        name: {m for m in imports(name) if m in MODULES and m != name and inside(m, within)} for name in names
    }


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
        for w in sorted(edges.get(v, ())):
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


def line_count(name: str) -> int:
    return len(MODULES[name].read_text("utf-8").splitlines())
