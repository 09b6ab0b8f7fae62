"""The task templates, over every app of the virtual phone (`ALL_TASKS`, `get_task`)."""

from __future__ import annotations

from mobile_agent.bench.base import Task
from mobile_agent.bench.tasks import (
    calendar,
    clock,
    contacts,
    gallery,
    info,
    messages,
    multi,
    notes,
    settings,
)

ALL_TASKS: list[type[Task]] = [
    *settings.TASKS,
    *contacts.TASKS,
    *messages.TASKS,
    *clock.TASKS,
    *notes.TASKS,
    *calendar.TASKS,
    *gallery.TASKS,
    *info.TASKS,
    *multi.TASKS,
]


def get_task(name: str) -> type[Task]:
    """The template called `name` (KeyError naming the known ones otherwise)."""
    for cls in ALL_TASKS:
        if cls.name == name:
            return cls
    raise KeyError(f"no task {name!r}; known: {', '.join(c.name for c in ALL_TASKS)}")


__all__ = ["ALL_TASKS", "get_task"]
