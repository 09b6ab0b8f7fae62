"""The step loop's layout, read from the source with `ast`: no import cycle through a loop
module, no loop module importing the virtual phone, the benchmark or the serving stack, and no
loop module over 400 lines."""

from __future__ import annotations

from import_graph import MODULES, cycles, graph, imports

LOOP = "mobile_agent.loop"
FORBIDDEN = ("mobile_agent.sim", "mobile_agent.bench", "serving")
MAX_LINES = 400


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
