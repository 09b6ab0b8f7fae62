"""Skip locally, fail under CI: a missing tool or dependency must not hide a regression in CI.

A developer without chromium, hadolint or torch gets a skip with the reason. CI installs all of
them (`.ci/run`), so there a skip would only mean a test that stopped running: with `CI=true` in
the environment the same call fails the test instead.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest

__all__ = ["in_ci", "require_module", "skip_or_fail"]


def in_ci() -> bool:
    """Whether the environment says this is CI (`CI=true`, as CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def skip_or_fail(reason: str, *, allow_module_level: bool = False) -> NoReturn:
    """Skip with `reason` locally; under CI fail with it, since the test must run there."""
    if in_ci():
        pytest.fail(
            f"{reason} (CI=true: this test must run in CI; a skip would hide a regression)", pytrace=False
        )
    pytest.skip(reason, allow_module_level=allow_module_level)


def require_module(name: str, hint: str = "") -> ModuleType:
    """Import `name` (for a module-level optional dependency), or skip/fail via `skip_or_fail`."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        reason = f"{name} is not importable ({exc})" + (f"; {hint}" if hint else "")
    skip_or_fail(reason, allow_module_level=True)  # outside `except`: no chained traceback
