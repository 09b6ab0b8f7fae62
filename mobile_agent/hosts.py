"""This machine: is a host name or address loopback only (binding checks, warnings about URLs
that other machines cannot reach), and is a process of it still alive?"""

from __future__ import annotations

import ipaddress
import os

__all__ = ["is_loopback", "pid_alive"]


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost; a name or 0.0.0.0 is not loopback."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def pid_alive(pid: int) -> bool:
    """True while a process with this id exists on this machine (another user's counts too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
