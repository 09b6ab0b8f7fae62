"""Edges between the framework's modules, read from the source with `ast` (tests/import_graph.py):
no import cycle outside the virtual phone, test instruments in
`mobile_agent.testing` and imported by no production module, the ADB driver in small parts."""

from __future__ import annotations

import ast

from import_graph import MODULES, cycles, graph, imports

TESTING = "mobile_agent.testing"
# what may use the instruments, all beside the framework: themselves, the benchmark (its oracle serves
# answers over HTTP), the virtual phone (a test instrument of its own) and the rollouts built on the
# benchmark (they record what the policy was sent)
MAY_USE_TESTING = (TESTING, "mobile_agent.bench", "mobile_agent.sim", "mobile_agent.rollout")
INSTRUMENTS = {"StubChatServer", "ScriptedResponder", "ScriptExhausted", "ChatRequest"}


def _inside(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_no_import_cycle_outside_the_virtual_phone() -> None:
    found = [sorted(c) for c in cycles(graph()) if not all(_inside(m, ("mobile_agent.sim",)) for m in c)]
    assert found == []


def test_test_instruments_live_in_the_testing_package() -> None:
    defined = {
        node.name: name
        for name, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.ClassDef) and node.name in INSTRUMENTS
    }
    assert set(defined) == INSTRUMENTS
    assert {cls: m for cls, m in defined.items() if not _inside(m, (TESTING,))} == {}


def test_production_code_never_imports_the_test_instruments() -> None:
    users = {
        m: sorted(i for i in imports(m) if _inside(i, (TESTING,)))
        for m in MODULES
        if not _inside(m, MAY_USE_TESTING)
    }
    assert {m: found for m, found in users.items() if found} == {}


def test_the_adb_driver_is_split_by_job_into_small_modules() -> None:
    parts = sorted(m for m in MODULES if m.startswith("mobile_agent.device."))
    assert {
        f"mobile_agent.device.{p}" for p in ("adb", "adb_conn", "adb_screen", "adb_typing", "adb_apps")
    } <= set(parts)
    for name in parts:
        lines = len(MODULES[name].read_text("utf-8").splitlines())
        assert lines <= 400, f"{name} has {lines} lines"


def test_the_framework_never_imports_the_serving_stack() -> None:
    # Edges point one way: `serving/` reads the model profiles and the probe from the framework.
    users = {
        m: sorted(i for i in imports(m) if _inside(i, ("serving",)))
        for m in MODULES
        if _inside(m, ("mobile_agent",))
    }
    assert {m: found for m, found in users.items() if found} == {}
