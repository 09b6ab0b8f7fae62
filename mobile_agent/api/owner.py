"""One server per task store: the lease that stops a second `serve` from sharing a store.

The scheduler leases phones in memory, so two servers on one store would both lease the same
phone, and the second one's start-up recovery would mark the first one's live tasks
`interrupted`. Until leases are coordinated through the store, a server takes the store first:

- a SQLite file gets an exclusive OS lock (`flock`) on a side file, `<db>.owner.lock`. The OS
  drops it when the process dies, even with `kill -9`, so a crash never blocks the next start.
  The lock file also holds who took it (pid, host, port, since), which a refused server prints
  without opening the database at all;
- every store also gets an owner row (`server_owner`: pid, host name, address, heartbeat). For
  a store with no file to lock (PostgreSQL...) the row is the lease: a server refreshes its
  heartbeat every `heartbeat_s` and a row whose heartbeat is older than `expiry_s` is stale.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Float, Integer, String, create_engine, delete, select, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.pool import NullPool

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the owner row's heartbeat is the lease
    fcntl = None  # type: ignore[assignment]

__all__ = ["Holder", "StoreBusy", "StoreOwner", "lock_path"]

log = logging.getLogger(__name__)


class _Base(DeclarativeBase):
    pass


class OwnerRow(_Base):
    __tablename__ = "server_owner"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    pid: Mapped[int] = mapped_column(Integer)
    hostname: Mapped[str] = mapped_column(String(255))
    host: Mapped[str | None] = mapped_column(String(255), default=None)
    port: Mapped[int | None] = mapped_column(Integer, default=None)
    started_at: Mapped[float] = mapped_column(Float)
    heartbeat_at: Mapped[float] = mapped_column(Float)


@dataclass
class Holder:
    """Who holds a store."""

    pid: int
    hostname: str
    host: str | None
    port: int | None
    started_at: float
    heartbeat_at: float | None = None

    def describe(self) -> str:
        since = datetime.fromtimestamp(self.started_at, UTC).isoformat(timespec="seconds")
        where = f", listening on {self.host}:{self.port}" if self.port is not None else ""
        return f"pid {self.pid} on host {self.hostname}{where}, since {since}"


class StoreBusy(RuntimeError):
    """Another live server holds the store."""

    def __init__(self, url: str, holder: Holder | None) -> None:
        self.url = url
        self.holder = holder
        who = holder.describe() if holder else "a server whose details could not be read"
        super().__init__(
            f"the task store {url} is in use by another mobile-agent server ({who}). Two servers on "
            "one store would lease the same phones. Stop that server first, or give this one its "
            "own store (--db-url, or another --runs-dir)."
        )


def lock_path(url: str) -> Path | None:
    """The side file locked for a SQLite file store; None for other stores (and in-memory SQLite)."""
    parsed = make_url(url)
    db = parsed.database
    if not parsed.drivername.startswith("sqlite") or not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db).expanduser().resolve().with_name(Path(db).name + ".owner.lock")


class StoreOwner:
    """Take a store for this process (`acquire`), keep it (heartbeat), give it back (`release`)."""

    def __init__(
        self,
        url: str,
        *,
        host: str | None = None,
        port: int | None = None,
        heartbeat_s: float = 10.0,
        expiry_s: float = 45.0,
    ) -> None:
        self.url = url
        self.shown_url = make_url(url).render_as_string(hide_password=True)
        self.token = uuid.uuid4().hex
        self.heartbeat_s = heartbeat_s
        self.expiry_s = expiry_s
        now = time.time()
        self.me = Holder(os.getpid(), socket.gethostname(), host, port, now, now)
        self._lock_file = lock_path(url)
        self._fd: int | None = None
        self._engine: Engine | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self._engine is not None

    # taking and giving back ------------------------------------------------------------

    def acquire(self) -> StoreOwner:
        """Take the store or raise StoreBusy; a refused server writes nothing to the store."""
        if self._lock_file is not None and fcntl is not None:
            self._lock()
        engine = create_engine(self.url, poolclass=NullPool)
        try:
            if self._fd is None:  # no OS lock: look at the row before writing anything
                holder = self._live_row(engine)
                if holder is not None:
                    raise StoreBusy(self.shown_url, holder)
            _Base.metadata.create_all(engine)
            self._claim_row(engine)
        except BaseException:
            engine.dispose()
            self._unlock()
            raise
        self._engine = engine
        self._beat = threading.Thread(target=self._heartbeat, name="store-owner", daemon=True)
        self._beat.start()
        return self

    def set_address(self, host: str | None, port: int | None) -> None:
        """Record the address once the server listens (with --port 0 it is known only then)."""
        self.me.host, self.me.port = host, port
        self._write_lock_note()
        if self._engine is not None:
            with contextlib.suppress(OperationalError, ProgrammingError):
                with self._engine.begin() as conn:
                    conn.execute(
                        update(OwnerRow)
                        .where(OwnerRow.id == 1, OwnerRow.token == self.token)
                        .values(host=host, port=port)
                    )

    def release(self) -> None:
        """Give the store back (a clean stop); a crash gives it back through the OS or expiry."""
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=5)
            self._beat = None
        if self._engine is not None:
            with contextlib.suppress(Exception):
                with self._engine.begin() as conn:
                    conn.execute(delete(OwnerRow).where(OwnerRow.id == 1, OwnerRow.token == self.token))
            self._engine.dispose()
            self._engine = None
        self._unlock()

    # the OS lock -----------------------------------------------------------------------

    def _lock(self) -> None:
        assert self._lock_file is not None and fcntl is not None
        self._lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreBusy(self.shown_url, self._read_lock_note()) from None
        self._fd = fd
        self._write_lock_note()

    def _unlock(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def _write_lock_note(self) -> None:
        if self._fd is None:
            return
        note = json.dumps(asdict(self.me)).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, note, 0)

    def _read_lock_note(self) -> Holder | None:
        try:
            assert self._lock_file is not None
            data: dict[str, Any] = json.loads(self._lock_file.read_text(encoding="utf-8"))
            return Holder(**data)
        except (OSError, ValueError, TypeError):
            return None

    # the owner row ---------------------------------------------------------------------

    def _live_row(self, engine: Engine) -> Holder | None:
        """The row's holder when its heartbeat is fresh (read only: the table may not exist)."""
        try:
            with engine.connect() as conn:
                row = conn.execute(select(OwnerRow).where(OwnerRow.id == 1)).first()
        except (OperationalError, ProgrammingError):
            return None
        if row is None or row.heartbeat_at < time.time() - self.expiry_s:
            return None
        return Holder(row.pid, row.hostname, row.host, row.port, row.started_at, row.heartbeat_at)

    def _claim_row(self, engine: Engine) -> None:
        me = self.me
        values = {
            "token": self.token,
            "pid": me.pid,
            "hostname": me.hostname,
            "host": me.host,
            "port": me.port,
            "started_at": me.started_at,
            "heartbeat_at": time.time(),
        }
        session = sessionmaker(engine)
        try:
            with session.begin() as s:
                row = s.get(OwnerRow, 1, with_for_update=True)
                if row is None:
                    s.add(OwnerRow(id=1, **values))
                elif self._fd is None and row.heartbeat_at >= time.time() - self.expiry_s:
                    raise StoreBusy(
                        self.shown_url,
                        Holder(row.pid, row.hostname, row.host, row.port, row.started_at, row.heartbeat_at),
                    )
                else:  # held under our OS lock, or stale: the previous holder is gone
                    for key, value in values.items():
                        setattr(row, key, value)
        except IntegrityError:  # another server inserted the row first
            raise StoreBusy(self.shown_url, self._live_row(engine)) from None

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            engine = self._engine
            if engine is None:
                return
            try:
                with engine.begin() as conn:
                    done = conn.execute(
                        update(OwnerRow)
                        .where(OwnerRow.id == 1, OwnerRow.token == self.token)
                        .values(heartbeat_at=time.time())
                    ).rowcount
                if not done:
                    log.error("another server took over the task store %s", self.shown_url)
            except Exception:
                log.exception("could not refresh the task store's owner heartbeat")
