"""The virtual phone's layout, read from the source with `ast`: no import cycle inside
`mobile_agent.sim`, no module over 500 lines unless it is a data table, the shell reaching its
commands only through the command registry, and the ADB side reaching the phone only through the
contract (`contract.PhoneModel`)."""

from __future__ import annotations

from import_graph import MODULES as ALL_MODULES
from import_graph import cycles, inside
from import_graph import graph as sim_graph
from import_graph import imports as all_imports

MAX_LINES = 500
# Modules that are tables of data rather than code may be longer.
DATA_TABLES = {"mobile_agent.sim.adb_keycodes", "mobile_agent.sim.keycodes", "mobile_agent.sim.defaults"}
SHELL = ("mobile_agent.sim.shell", "mobile_agent.sim.shell_parse")
COMMANDS = "mobile_agent.sim.commands"
REGISTRY = "mobile_agent.sim.commands.registry"
# The phone model: only the composition root (server.default_phone_factory) may name it.
MODEL = ("mobile_agent.sim.phone", "mobile_agent.sim.apps")
ADB_SIDE = (
    "mobile_agent.sim.adb_",
    "mobile_agent.sim.commands",
    "mobile_agent.sim.shell",
    "mobile_agent.sim.sync",
    "mobile_agent.sim.u2rpc",
    "mobile_agent.sim.u2_selectors",
    "mobile_agent.sim.framebuffer",
    "mobile_agent.sim.gesture",
    "mobile_agent.sim.procs",
    "mobile_agent.sim.jobs",
)


SIM_PACKAGE = ("mobile_agent.sim",)
MODULES = {name: path for name, path in ALL_MODULES.items() if inside(name, SIM_PACKAGE)}


def imports(name: str) -> set[str]:
    """The virtual phone's own modules that `name` imports."""
    return {m for m in all_imports(name) if m in MODULES and m != name}


def graph() -> dict[str, set[str]]:
    return sim_graph(SIM_PACKAGE)


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p if p.endswith("_") else p + ".") for p in prefixes)


def test_no_import_cycle_in_the_virtual_phone() -> None:
    assert [sorted(c) for c in cycles(graph())] == []


def test_no_module_over_500_lines_unless_a_data_table() -> None:
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES and name not in DATA_TABLES
    }
    assert long == {}


def test_the_shell_reads_the_registry_and_imports_no_command_module() -> None:
    bad = {m: sorted(i for i in imports(m) if _under(i, (COMMANDS,)) and i != REGISTRY) for m in SHELL}
    assert {m: found for m, found in bad.items() if found} == {}
    assert REGISTRY in imports("mobile_agent.sim.shell")
    assert not any(_under(i, SHELL) for i in imports(REGISTRY))  # and the registry not the shell


def test_the_adb_side_reaches_the_phone_only_through_the_contract() -> None:
    adb_side = [m for m in MODULES if _under(m, ADB_SIDE) or m in SHELL]
    assert adb_side, "the ADB side was not found"
    bad = {m: sorted(i for i in imports(m) if _under(i, MODEL)) for m in adb_side}
    assert {m: found for m, found in bad.items() if found} == {}


def test_the_checks_see_what_they_look_for() -> None:
    """The walker is not blind: it finds known edges, a cycle shape, and the modules it checks."""
    assert "mobile_agent.sim.contract" in imports("mobile_agent.sim.shell")
    assert "mobile_agent.sim.apps.base" in imports("mobile_agent.sim.phone_state")
    assert {"mobile_agent.sim.commands.input", REGISTRY} <= imports("mobile_agent.sim.commands")
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [{"a", "b"}]
    assert _under("mobile_agent.sim.adb_server", ADB_SIDE) and not _under("mobile_agent.sim.apps", ADB_SIDE)
