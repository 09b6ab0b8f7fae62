"""What every `mobile-agent` command shares: exit codes, the usage error, printing, lazy loading."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "call_with",
    "escape",
    "load_module",
    "make_console",
    "missing",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A setup problem; the message says what to do."""


def escape(text: str) -> str:
    """Text for rich markup: brackets in messages, answers and paths print as themselves."""
    from rich.markup import escape as _escape

    return _escape(text)


def make_console() -> Any:
    """The console every command prints to (stderr: stdout may carry --json)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def missing(feature: str, module: str, exc: BaseException) -> UsageError:
    return UsageError(f"`mobile-agent {feature}` is not available in this installation ({module}: {exc}).")


def load_module(module: str, feature: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise missing(feature, module, exc) from None


def call_with(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Call fn with the keyword arguments it accepts (others' signatures may grow)."""
    params = inspect.signature(fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return fn(**kwargs)
    return fn(**{k: v for k, v in kwargs.items() if k in params})
