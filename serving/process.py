"""Start and stop a server process together with the processes it spawns.

`vllm serve` runs an API server, an engine core and workers as separate processes. The server is
started in its own session (a new process group), so stopping it signals the whole group:
SIGTERM first, then, after a bounded wait, SIGKILL for whatever is left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence

__all__ = ["STOP_GRACE_S", "ServerStopped", "start_group", "stop_group"]

STOP_GRACE_S = 30.0


class ServerStopped(Exception):
    """Raised from a SIGTERM handler to leave a blocking wait and stop the server."""


def start_group(cmd: Sequence[str], env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start `cmd` as the leader of a new process group (its own session)."""
    return subprocess.Popen(list(cmd), env=None if env is None else dict(env), start_new_session=True)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def stop_group(
    proc: subprocess.Popen[bytes], grace_s: float = STOP_GRACE_S, sig: int = signal.SIGTERM
) -> int:
    """Signal the group, wait at most `grace_s` for the leader, then SIGKILL the group.

    Returns the leader's exit status. Safe to call when it already exited: stragglers of the
    group are killed all the same.
    """
    if proc.poll() is None:
        _signal_group(proc, sig)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
    _signal_group(proc, signal.SIGKILL)  # workers the leader left behind
    return proc.returncode
