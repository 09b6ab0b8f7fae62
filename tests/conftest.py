"""Shared by every test folder: puts tests/ on sys.path so `from ci_guard import ...` works anywhere,
and stops at once, saying how to install, when the project or its test extra is not installed
(`pytest` alone in a fresh clone used to end in 69 collection errors).

(pytest's default prepend import mode already adds this folder for this conftest; the explicit
insert keeps it true under `--import-mode=importlib` too.)
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

_ROOT = Path(_TESTS).parent
# the project, a core dependency the sim needs, and the test extra's own pieces
_REQUIRED = ("mobile_agent", "PIL", "adbutils", "httpx", "pytest_asyncio", "pytest_timeout")


def pytest_configure(config: pytest.Config) -> None:
    missing = []
    for name in _REQUIRED:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            missing.append(f"{name} ({exc})")
    if missing:
        raise pytest.UsageError(
            f"this Python ({sys.executable}) lacks what the tests need: {'; '.join(missing)}. "
            f'Install the project with its test extra first, from {_ROOT}: pip install -e ".[dev]" && pytest'
        )
    import mobile_agent

    where = Path(mobile_agent.__file__).resolve()
    if _ROOT not in where.parents:
        raise pytest.UsageError(
            f"mobile_agent is imported from {where.parent}, not from this checkout ({_ROOT}): "
            f'run pip install -e ".[dev]" here first'
        )
