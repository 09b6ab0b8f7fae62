"""Shared by every test folder: puts tests/ on sys.path so `from ci_guard import ...` works anywhere.

(pytest's default prepend import mode already adds this folder for this conftest; the explicit
insert keeps it true under `--import-mode=importlib` too.)
"""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
