"""The roles: Manager, Worker, Reflector, Notetaker (multi mode) and Single (end-to-end).

Each role module offers two pure functions: `build_messages(state, images..., frame)` and
`parse(text) -> result | ParseFailure`. The runner calls the model in between.
"""

from mobile_agent.roles import manager, notetaker, reflector, single, worker
from mobile_agent.roles.parsing import (
    ManagerResult,
    NotetakerResult,
    ParseFailure,
    ReflectorResult,
    RoleResult,
    SingleResult,
    WorkerResult,
)

ROLES = ("manager", "worker", "reflector", "notetaker")

__all__ = [
    "ROLES",
    "ManagerResult",
    "NotetakerResult",
    "ParseFailure",
    "ReflectorResult",
    "RoleResult",
    "SingleResult",
    "WorkerResult",
    "manager",
    "notetaker",
    "reflector",
    "single",
    "worker",
]
