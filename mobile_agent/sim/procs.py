"""The virtual phone's one process table: what `ps`, `pidof`, `pgrep` and `kill` all read.

System daemons and the running apps are fixed or derived from the phone's state; processes the
shell starts (uiautomator2's `app_process` server) are spawned here and exit when killed or when
the adb stream that runs them in the foreground closes. The uiautomator2 server is up as long as
its process lives: `tcp:9008` is only answered then, as a device answers only while something
listens on that port. A fresh phone has it already running (as left by an earlier session).
"""

from __future__ import annotations

import itertools
import threading
import weakref
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from mobile_agent.sim.contract import PhoneModel

__all__ = ["Proc", "ProcessTable", "app_pid", "app_user", "process_table", "running_packages"]

SIGNALS = {"HUP": 1, "INT": 2, "KILL": 9, "TERM": 15}
U2_SERVER_ARGS = "app_process / com.wetest.uia2.Main -p 9008"
ZYGOTE_PID = 560


@dataclass(frozen=True)
class Proc:
    """One row of the table."""

    user: str
    pid: int
    ppid: int
    name: str
    args: str = ""
    role: str = ""  # "u2": uiautomator2's server

    @property
    def uid(self) -> int:
        fixed = {"root": 0, "system": 1000, "shell": 2000, "logd": 1036}
        if self.user in fixed:
            return fixed[self.user]
        return 10000 + int(self.user[4:]) if self.user.startswith("u0_a") else 9999

    @property
    def cmdline(self) -> str:
        return self.args or self.name


SYSTEM_PROCESSES = (
    Proc("root", 1, 0, "init", "/system/bin/init second_stage"),
    Proc("root", 2, 0, "[kthreadd]"),
    Proc("logd", 250, 1, "logd", "/system/bin/logd"),
    Proc("system", 512, 1, "servicemanager", "/system/bin/servicemanager"),
    Proc("root", ZYGOTE_PID, 1, "zygote64"),
    Proc("system", 890, ZYGOTE_PID, "system_server"),
    Proc("u0_a120", 1205, ZYGOTE_PID, "com.android.systemui"),
    Proc("u0_a98", 1388, ZYGOTE_PID, "com.android.inputmethod.latin"),
    Proc("shell", 4200, 1, "adbd", "/apex/com.android.adbd/bin/adbd --root_seclabel=u:r:su:s0"),
)
ADBD_PID = 4200


def app_pid(package: str) -> int:
    """A stable fake pid for a running app."""
    return 2000 + zlib.crc32(package.encode()) % 28000


def app_user(package: str) -> str:
    return f"u0_a{100 + zlib.crc32(package.encode()) % 60}"


def running_packages(phone: PhoneModel) -> list[str]:
    """Apps with a process: the recents, the focused one, and the launcher."""
    pkgs: list[str] = []
    try:
        pkgs.extend(phone.recent_apps())
    except Exception:
        pass
    try:
        pkg, _ = phone.focus()
        if pkg not in pkgs:
            pkgs.append(pkg)
    except Exception:
        pass
    if "com.android.launcher3" not in pkgs:
        pkgs.append("com.android.launcher3")
    return pkgs


class ProcessTable:
    """Processes of one phone; thread-safe (commands run in worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spawned: dict[int, Proc] = {}
        self._watchers: dict[int, list[Callable[[int], None]]] = {}
        self._pids = itertools.count(5001)
        self.spawn("shell", "app_process", ADBD_PID, U2_SERVER_ARGS, role="u2")

    def spawn(self, user: str, name: str, ppid: int, args: str = "", role: str = "") -> Proc:
        with self._lock:
            proc = Proc(user, next(self._pids), ppid, name, args, role)
            self._spawned[proc.pid] = proc
            return proc

    def rows(self, phone: PhoneModel) -> list[Proc]:
        """Every process, by pid: the system, the running apps, what the shell started."""
        procs = list(SYSTEM_PROCESSES)
        procs += [Proc(app_user(p), app_pid(p), ZYGOTE_PID, p) for p in running_packages(phone)]
        with self._lock:
            procs += list(self._spawned.values())
        return sorted(procs, key=lambda p: p.pid)

    def find(self, role: str) -> Proc | None:
        with self._lock:
            return next((p for p in self._spawned.values() if p.role == role), None)

    def alive(self, pid: int) -> bool:
        with self._lock:
            return pid in self._spawned

    def exit(self, pid: int, status: int = 0) -> bool:
        """End a spawned process; its watchers learn the exit status. False if it was not running."""
        with self._lock:
            if self._spawned.pop(pid, None) is None:
                return False
            watchers = self._watchers.pop(pid, [])
        for watcher in watchers:
            watcher(status)
        return True

    def on_exit(self, pid: int, watcher: Callable[[int], None]) -> None:
        """Call `watcher(status)` (from any thread) when `pid` exits; at once if it is gone."""
        with self._lock:
            if pid in self._spawned:
                self._watchers.setdefault(pid, []).append(watcher)
                return
        watcher(0)


_TABLES: weakref.WeakKeyDictionary[PhoneModel, ProcessTable] = weakref.WeakKeyDictionary()
_TABLES_LOCK = threading.Lock()


def process_table(phone: PhoneModel) -> ProcessTable:
    """The phone's process table (made on first use)."""
    with _TABLES_LOCK:
        table = _TABLES.get(phone)
        if table is None:
            table = _TABLES[phone] = ProcessTable()
        return table
