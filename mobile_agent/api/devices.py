"""The device pool: which phones exist, which are healthy, and which task holds each one.

A lease is taken and given back synchronously on the event loop thread, so two tasks can never
hold the same phone: there is no await between "is it free?" and "it is mine". Devices come
from the adb server (real phones, emulators, virtual phones) plus `adb connect` targets from the
settings, polled in the background; a device that fails during a task is marked unhealthy and
given no new task until adb reports it again and it answers a shell command.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

AVAILABLE = "available"
LEASED = "leased"
UNHEALTHY = "unhealthy"
OFFLINE = "offline"


@dataclass(frozen=True)
class AdbEntry:
    """One line of `adb devices`: the serial and adb's state ("device", "offline", ...)."""

    serial: str
    state: str
    model: str | None = None


@dataclass
class PooledDevice:
    serial: str
    state: str = AVAILABLE
    leased_by: str | None = None
    model: str | None = None
    adb_state: str = "device"
    error: str | None = None
    seen_at: float = field(default_factory=time.time)

    def public(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "state": self.state,
            "leased_by": self.leased_by,
            "model": self.model,
            "adb_state": self.adb_state,
            "error": self.error,
        }


@dataclass(frozen=True)
class LeaseRecord:
    serial: str
    task_id: str
    acquired: float
    released: float | None = None


class LeaseError(RuntimeError):
    """A lease was asked for a device that is not available (a scheduler bug if it ever fires)."""


Lister = Callable[[], Awaitable[Sequence[AdbEntry]]]
Prober = Callable[[str], Awaitable[bool]]


class AdbBackend:
    """The adb server seen through adbutils: list, connect, probe (blocking calls in threads)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 5037,
        connect_targets: Sequence[str] = (),
        allowed: set[str] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.connect_targets = list(connect_targets)
        self.allowed = allowed
        self._models: dict[str, str] = {}

    def _client(self) -> Any:
        import adbutils

        return adbutils.AdbClient(host=self.host, port=self.port, socket_timeout=10)

    def _list(self) -> list[AdbEntry]:
        client = self._client()
        listed = {d.serial: d.state for d in client.list()}
        for target in self.connect_targets:
            if listed.get(target) != "device":
                try:
                    client.connect(target, timeout=3.0)
                except Exception as exc:
                    log.warning("adb connect %s failed: %s", target, exc)
        if self.connect_targets:
            listed = {d.serial: d.state for d in client.list()}
        entries = []
        for serial, state in listed.items():
            if self.allowed is not None and serial not in self.allowed:
                continue
            if self.allowed is not None and serial not in self.allowed:
                continue
            if state == "device" and serial not in self._models:
                try:
                    self._models[serial] = client.device(serial).prop.model or ""
                except Exception as exc:
                    log.debug("model of %s unknown: %s", serial, exc)
            entries.append(AdbEntry(serial, state, self._models.get(serial)))
        return entries

    async def list(self) -> Sequence[AdbEntry]:
        return await asyncio.to_thread(self._list)

    def _probe(self, serial: str) -> bool:
        try:
            out = self._client().device(serial).shell("echo ok", timeout=5)
            return str(out).strip() == "ok"
        except Exception:
            return False

    async def probe(self, serial: str) -> bool:
        return await asyncio.to_thread(self._probe, serial)

    def _server_version(self) -> int:
        return int(self._client().server_version())

    async def server_version(self) -> int:
        return await asyncio.to_thread(self._server_version)


class DevicePool:
    """Devices, their health and their leases. Mutations happen on the event loop thread only."""

    def __init__(self, lister: Lister, prober: Prober | None = None) -> None:
        self._lister = lister
        self._prober = prober
        self._devices: dict[str, PooledDevice] = {}
        self._listeners: list[Callable[[], None]] = []
        self.leases: list[LeaseRecord] = []
        self.last_error: str | None = None
        self._refresh_lock = asyncio.Lock()

    # view --------------------------------------------------------------------------------

    def devices(self) -> list[PooledDevice]:
        return sorted(self._devices.values(), key=lambda d: d.serial)

    def get(self, serial: str) -> PooledDevice | None:
        return self._devices.get(serial)

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call `callback` when a device may have become available."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        for cb in list(self._listeners):
            cb()

    # adb ---------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Re-read adb; new devices join, vanished ones go offline, recovered ones come back."""
        async with self._refresh_lock:
            try:
                entries = await self._lister()
                self.last_error = None
            except Exception as exc:
                self.last_error = f"adb unavailable: {exc}"
                log.warning("device refresh failed: %s", exc)
                return
            seen = {e.serial: e for e in entries}
            recover: list[str] = []
            for serial, entry in seen.items():
                dev = self._devices.get(serial)
                if dev is None:
                    dev = self._devices[serial] = PooledDevice(serial=serial, model=entry.model)
                    dev.state = AVAILABLE if entry.state == "device" else OFFLINE
                dev.adb_state = entry.state
                dev.model = entry.model or dev.model
                dev.seen_at = time.time()
                if dev.state == LEASED:
                    continue
                if entry.state != "device":
                    dev.state = OFFLINE
                elif dev.state in (OFFLINE, UNHEALTHY):
                    recover.append(serial)
            for serial, dev in self._devices.items():
                if serial not in seen:
                    dev.adb_state = "absent"
                    if dev.state != LEASED:
                        dev.state = OFFLINE
            for serial in recover:
                healthy = await self._prober(serial) if self._prober else True
                dev = self._devices[serial]
                if healthy and dev.state in (OFFLINE, UNHEALTHY):
                    dev.state = AVAILABLE
                    dev.error = None
            self._changed()

    async def probe(self, serial: str) -> bool:
        """True when the device answers (always True without a prober)."""
        return await self._prober(serial) if self._prober else True

    # leases ------------------------------------------------------------------------------

    def free(self, serial: str | None = None) -> PooledDevice | None:
        """An available device: that one if named, else the first free one by serial."""
        if serial is not None:
            dev = self._devices.get(serial)
            return dev if dev is not None and dev.state == AVAILABLE else None
        for dev in self.devices():
            if dev.state == AVAILABLE:
                return dev
        return None

    def lease(self, serial: str, task_id: str) -> PooledDevice:
        dev = self._devices.get(serial)
        if dev is None or dev.state != AVAILABLE:
            raise LeaseError(f"device {serial} is not available ({dev.state if dev else 'unknown'})")
        dev.state = LEASED
        dev.leased_by = task_id
        self.leases.append(LeaseRecord(serial, task_id, time.time()))
        return dev

    def release(self, serial: str, task_id: str, *, healthy: bool = True, error: str | None = None) -> None:
        dev = self._devices.get(serial)
        if dev is None or dev.leased_by != task_id:
            raise LeaseError(f"task {task_id} does not hold {serial}")
        dev.leased_by = None
        if healthy:
            dev.state = AVAILABLE if dev.adb_state == "device" else OFFLINE
            dev.error = None
        else:
            dev.state = UNHEALTHY
            dev.error = error
        for i in range(len(self.leases) - 1, -1, -1):
            rec = self.leases[i]
            if rec.serial == serial and rec.task_id == task_id and rec.released is None:
                self.leases[i] = LeaseRecord(serial, task_id, rec.acquired, time.time())
                break
        self._changed()

    def overlapping_leases(self) -> list[tuple[LeaseRecord, LeaseRecord]]:
        """Pairs of leases of one device that overlap in time (always empty unless broken)."""
        by_serial: dict[str, list[LeaseRecord]] = {}
        for rec in self.leases:
            by_serial.setdefault(rec.serial, []).append(rec)
        bad = []
        for recs in by_serial.values():
            recs.sort(key=lambda r: r.acquired)
            for a, b in itertools.pairwise(recs):
                if a.released is None or a.released > b.acquired:
                    bad.append((a, b))
        return bad
