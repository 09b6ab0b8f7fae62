"""Check the device and the model endpoint(s) before a run starts, and report every problem at once.

A run that cannot start (no phone, no model server) should not leave a run directory behind, and
the user should learn about all of its set-up problems in one go rather than one per attempt.
The endpoint probe is the one `mobile-agent doctor` uses (`mobile_agent.llm.probe.acheck_endpoint`),
stopped before it would spend a completion on the model.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from mobile_agent.config import AgentConfig
from mobile_agent.device.base import Device, DeviceError, DeviceNotFound
from mobile_agent.device.connect import connect
from mobile_agent.llm.probe import acheck_endpoint
from mobile_agent.redact import redact

__all__ = ["SetupError", "SetupProblem", "check_setup", "endpoints_to_probe"]

PROBE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SetupProblem:
    """One reason a run cannot start: `kind` is device_not_found, device_error, model_unavailable or config."""

    kind: str
    message: str


class SetupError(RuntimeError):
    """The run could not start; `problems` lists every reason found, nothing was written."""

    def __init__(self, problems: list[SetupProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    @property
    def kinds(self) -> list[str]:
        return [p.kind for p in self.problems]


def endpoints_to_probe(config: AgentConfig, roles: tuple[str, ...]) -> list[tuple[str, str, str | None]]:
    """The distinct (base_url, model, api_key) of the roles served over HTTP (local models have none)."""
    seen: list[tuple[str, str, str | None]] = []
    for role in roles:
        s = config.model_settings(role)
        if s.get("backend") != "openai":
            continue
        key = (str(s["base_url"]), str(s["model"]), s.get("api_key"))
        if key not in seen:
            seen.append(key)
    return seen


async def _probe(base_url: str, model: str, api_key: str | None) -> SetupProblem | None:
    status = await acheck_endpoint(base_url, model, api_key=api_key, timeout=PROBE_TIMEOUT_S, chat=False)
    if status.reachable:
        return None  # a model the server does not list is the run's first call to report
    return SetupProblem(
        "model_unavailable", f"the model server at {redact(base_url)} is not reachable: {status.error}"
    )


async def _open(device: Device | str | None) -> tuple[Device | None, bool, SetupProblem | None]:
    try:
        opened, owned = await connect(device)
    except DeviceError as exc:
        kind = "device_not_found" if isinstance(exc, DeviceNotFound) else "device_error"
        return None, False, SetupProblem(kind, f"cannot use the device: {exc}")
    return opened, owned, None


async def check_setup(
    device: Device | str | None, config: AgentConfig, roles: tuple[str, ...]
) -> tuple[Device, bool]:
    """Open the device and probe the model endpoints of `roles`, side by side.

    Returns (device, True when we opened it). Raises `SetupError` listing every problem found;
    a device opened here is closed again before it is raised.
    """
    endpoints = endpoints_to_probe(config, roles)
    results: list[Any] = await asyncio.gather(_open(device), *(_probe(*e) for e in endpoints))
    opened, owned, device_problem = results[0]
    problems = [p for p in [device_problem, *results[1:]] if p is not None]
    if problems:
        if owned and opened is not None:
            with contextlib.suppress(Exception):  # best effort: the set-up error is the news
                await opened.close()
        raise SetupError(problems)
    assert opened is not None
    return opened, owned
