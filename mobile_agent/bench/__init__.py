"""Offline benchmark: verified tasks on the virtual phone, the oracle policy, pass@k, report, demo.

Success is read from the phone's state over adb, never from the agent's claim. The oracle policy
(`bench.oracle`) is a test instrument of the framework, not a model.
"""

from __future__ import annotations

from typing import Any

__all__ = ["pass_at_k", "run_bench", "run_demo"]


def __getattr__(name: str) -> Any:
    if name == "run_bench":
        from mobile_agent.bench.runner import run_bench

        return run_bench
    if name == "run_demo":
        from mobile_agent.bench.demo import run_demo

        return run_demo
    if name == "pass_at_k":
        from mobile_agent.bench.estimator import pass_at_k

        return pass_at_k
    raise AttributeError(name)
