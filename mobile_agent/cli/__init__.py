"""`mobile-agent`: run a task, list devices, check the setup, start virtual phones, serve the API.

Exit codes: 0 success, 1 the task (or check) failed, 2 a usage or setup error (no device, model
server unreachable, bad settings), printed as what to do about it rather than a traceback.
Pieces that live in other modules (sim, api, bench, doctor) are imported only when their command
runs, so a missing piece names itself instead of breaking every command.
"""

from __future__ import annotations

from mobile_agent.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, escape, make_console
from mobile_agent.cli.main import build_parser, main

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "build_parser",
    "escape",
    "main",
    "make_console",
]
