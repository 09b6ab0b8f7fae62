"""The house as a whole, read from the source with `ast`: arrows point one way.

- no import cycle anywhere in `mobile_agent` or `serving`;
- the framework never imports what sits beside it: the serving stack, the virtual phone, the
  benchmark, the test instruments or the rollouts (the CLI loads those commands by module name
  when they run, so they are not edges of the framework);
- no module over 500 lines unless it is a table of data.
"""

from __future__ import annotations

from import_graph import MODULES, cycles, graph, imports, inside, line_count

BESIDE = (
    "serving",
    "mobile_agent.sim",
    "mobile_agent.bench",
    "mobile_agent.testing",
    "mobile_agent.rollout",
)
FRAMEWORK = [m for m in MODULES if inside(m, ("mobile_agent",)) and not inside(m, BESIDE)]
MAX_LINES = 500
# Tables of data rather than code may be longer.
DATA_TABLES = {"mobile_agent.sim.adb_keycodes", "mobile_agent.sim.keycodes", "mobile_agent.sim.defaults"}


def test_no_import_cycle_in_the_framework_or_the_serving_stack() -> None:
    assert [sorted(c) for c in cycles(graph())] == []


def test_the_framework_imports_nothing_that_sits_beside_it() -> None:
    bad = {m: sorted(i for i in imports(m) if inside(i, BESIDE)) for m in FRAMEWORK}
    assert {m: found for m, found in bad.items() if found} == {}


def test_no_module_over_500_lines_unless_a_data_table() -> None:
    long = {m: n for m in MODULES if (n := line_count(m)) > MAX_LINES and m not in DATA_TABLES}
    assert long == {}


def test_the_checks_see_what_they_look_for() -> None:
    """Not blind: both packages are walked, known edges are seen, a cycle shape is found."""
    assert {"mobile_agent.agent", "mobile_agent.loop.runner", "serving.launcher"} <= set(MODULES)
    assert "mobile_agent.llm.profiles" in imports("serving.launcher")
    assert "mobile_agent.loop" in imports("mobile_agent.agent")
    assert "mobile_agent.sim.server" not in FRAMEWORK and "mobile_agent.api.app" in FRAMEWORK
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [{"a", "b"}]
