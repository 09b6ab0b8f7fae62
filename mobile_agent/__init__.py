"""mobile-agent: GUI-Owl operates an Android phone (Manager, Worker, Reflector, Notetaker)."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Agent", "RunResult", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy, so `import mobile_agent.sim` does not pull in the whole agent stack.
    if name in ("Agent", "RunResult"):
        from mobile_agent import agent

        return getattr(agent, name)
    raise AttributeError(name)
