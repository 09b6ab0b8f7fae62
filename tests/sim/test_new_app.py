"""A new app is one class: what it declares (package, activity, label, content URIs, columns, seed
rows, row defaults) is all the phone and its shell commands need (pm, am, the launcher, content)."""

from __future__ import annotations

from typing import Any

from mobile_agent.sim.apps import ALL_APPS
from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.phone import VirtualPhone
from mobile_agent.sim.providers import Provider
from mobile_agent.sim.seed import SeedContext
from mobile_agent.sim.shell import Shell
from mobile_agent.sim.ui import TextView, View

TODO = "content://org.example.todo/items"


class TodoApp(App):
    package = "org.example.todo"
    label = "Todo"
    activity = "org.example.todo.MainActivity"
    providers = (Provider(table="todo", uris={TODO: None}, columns=("_id", "task", "done")),)

    def seed_rows(self, table: str, seed: SeedContext) -> list[dict[str, Any]]:
        return [{"_id": 1, "task": f"Water the plants ({seed.rng.randint(1, 9)}x)", "done": 0}]

    def new_row(self, table: str, values: dict[str, Any], type_: int | None) -> dict[str, Any]:
        return {"task": str(values.get("task", "")), "done": int(values.get("done", 0))}

    def build(self, s: Screen) -> View:
        return TextView("; ".join(r["task"] for r in self.table("todo")), rid=self.rid("tasks"))


def sh(phone: VirtualPhone, line: str) -> str:
    result = Shell(phone).run(line)
    assert result.code == 0, result.merged
    return result.stdout.decode()


def test_a_new_app_is_installed_launched_and_queried_from_its_declaration() -> None:
    phone = VirtualPhone(3, apps=[*ALL_APPS, TodoApp])
    assert "package:org.example.todo" in sh(phone, "pm list packages").splitlines()
    resolved = sh(phone, "cmd package resolve-activity --brief org.example.todo").splitlines()[-1]
    assert resolved == "org.example.todo/org.example.todo.MainActivity"
    assert "Todo" in phone.dump_hierarchy()  # on the launcher
    assert sh(phone, f"content query --uri {TODO} --projection task").startswith(
        "Row: 0 task=Water the plants"
    )
    sh(phone, f"content insert --uri {TODO} --bind 'task:s:Buy stamps'")
    assert sh(phone, f"content query --uri {TODO} --where \"done=0 AND task LIKE 'buy%'\"") == (
        "Row: 0 _id=2, task=Buy stamps, done=0\n"
    )
    sh(phone, "am start -n org.example.todo/.MainActivity")
    assert phone.focus() == ("org.example.todo", "org.example.todo.MainActivity")
    assert "Buy stamps" in phone.dump_hierarchy()
    sh(phone, "pm clear org.example.todo")
    assert sh(phone, f"content query --uri {TODO}") == "No result found.\n"


def test_a_new_app_leaves_every_other_seeded_row_as_it_was() -> None:
    plain, extended = VirtualPhone(5), VirtualPhone(5, apps=[*ALL_APPS, TodoApp])
    assert {t: r for t, r in extended.tables.items() if t != "todo"} == plain.tables
    assert extended.verification_code == plain.verification_code
