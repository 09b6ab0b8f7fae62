"""The task store: tasks and their bus events in a real database, through SQLAlchemy 2.

SQLite (a file, WAL journal) by default so a single `serve` needs nothing else; any SQLAlchemy
URL (PostgreSQL...) works. Events are persisted as they are published, so the live stream can
be replayed after a restart. The store is synchronous and thread-safe; async callers go through
`await store.run(fn, ...)`, which uses the store's own small thread pool, so the event loop never
blocks on the database and database calls never queue behind device I/O in the default pool.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from mobile_agent.bus import EventType

from .migrate import add_missing_columns

T = TypeVar("T")

ACTIVE = ("running", "waiting_for_human")
TERMINAL = ("succeeded", "failed", "cancelled", "interrupted")
STATUSES = ("queued", *ACTIVE, *TERMINAL)


class Base(DeclarativeBase):
    pass


class TaskRow(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    instruction: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), index=True)
    device: Mapped[str | None] = mapped_column(String(200), default=None)  # as requested
    assigned_device: Mapped[str | None] = mapped_column(String(200), default=None)
    mode: Mapped[str | None] = mapped_column(String(16), default=None)
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    max_steps: Mapped[int] = mapped_column(Integer)
    max_seconds: Mapped[float] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    answer: Mapped[str | None] = mapped_column(Text, default=None)
    steps: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float, index=True)
    started_at: Mapped[float | None] = mapped_column(Float, default=None)
    finished_at: Mapped[float | None] = mapped_column(Float, default=None)
    run_dir: Mapped[str | None] = mapped_column(String(500), default=None)
    timings: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    usage: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    pending_request: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    claimed_success: Mapped[bool | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(64), default=None)
    # structured answers (added later: `migrate.add_missing_columns` adds them to older databases)
    output_schema: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    output: Mapped[Any | None] = mapped_column(JSON(none_as_null=True), default=None)
    use_cache: Mapped[bool | None] = mapped_column(default=None)  # False: the task skips the plan cache


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("task_id", "seq", name="uq_events_task_seq"),
        Index("ix_events_task_seq", "task_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    ts: Mapped[float] = mapped_column(Float)
    type: Mapped[str] = mapped_column(String(64))
    step: Mapped[int | None] = mapped_column(Integer, default=None)
    role: Mapped[str | None] = mapped_column(String(32), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


@dataclass
class TaskRecord:
    """A task as the API reports it (times are epoch seconds here; the API formats them)."""

    id: str
    instruction: str
    status: str
    device: str | None
    assigned_device: str | None
    mode: str | None
    model: str | None
    max_steps: int
    max_seconds: float
    reason: str | None = None
    answer: str | None = None
    steps: int = 0
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    run_dir: str | None = None
    timings: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    pending_request: dict[str, Any] | None = None
    claimed_success: bool | None = None
    error: str | None = None
    output_schema: dict[str, Any] | None = None  # the JSON Schema the answer must match
    output: Any = None  # the validated structured answer
    use_cache: bool | None = None  # False: bypass the server's plan cache (None: older rows, use it)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: TaskRow) -> TaskRecord:
        return cls(**{c: getattr(row, c) for c in _TASK_COLUMNS})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_TASK_COLUMNS = [c.name for c in TaskRow.__table__.columns]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and cross-thread use."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


class TaskStore:
    """CRUD for tasks and events. Every method is a short transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        Base.metadata.create_all(self.engine)
        add_missing_columns(self.engine, Base.metadata)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="store")

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store method in the store's thread pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self.engine.dispose()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    # tasks -------------------------------------------------------------------------------

    def create_task(
        self,
        instruction: str,
        *,
        max_steps: int,
        max_seconds: float,
        device: str | None = None,
        mode: str | None = None,
        model: str | None = None,
        output_schema: dict[str, Any] | None = None,
        use_cache: bool = True,
    ) -> TaskRecord:
        row = TaskRow(
            id=uuid.uuid4().hex[:16],
            instruction=instruction,
            status="queued",
            device=device,
            mode=mode,
            model=model,
            output_schema=output_schema,
            use_cache=use_cache,
            max_steps=max_steps,
            max_seconds=max_seconds,
            steps=0,
            created_at=time.time(),
        )
        with self._session.begin() as s:
            s.add(row)
        return TaskRecord.from_row(row)

    def get_task(self, task_id: str) -> TaskRecord | None:
        with self._session() as s:
            row = s.get(TaskRow, task_id)
            return TaskRecord.from_row(row) if row else None

    def list_tasks(
        self, *, status: Sequence[str] | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[TaskRecord], int]:
        """Newest first; returns the page and the total count matching the filter."""
        query = select(TaskRow)
        count = select(func.count()).select_from(TaskRow)
        if status:
            query = query.where(TaskRow.status.in_(list(status)))
            count = count.where(TaskRow.status.in_(list(status)))
        query = query.order_by(TaskRow.created_at.desc(), TaskRow.id).limit(limit).offset(offset)
        with self._session() as s:
            rows = s.scalars(query).all()
            total = s.scalar(count) or 0
            return [TaskRecord.from_row(r) for r in rows], int(total)

    def tasks_with_status(self, statuses: Iterable[str]) -> list[TaskRecord]:
        """Oldest first (FIFO order)."""
        query = (
            select(TaskRow).where(TaskRow.status.in_(list(statuses))).order_by(TaskRow.created_at, TaskRow.id)
        )
        with self._session() as s:
            return [TaskRecord.from_row(r) for r in s.scalars(query).all()]

    def update_task(
        self, task_id: str, *, only_if_status: Sequence[str] | None = None, **values: Any
    ) -> bool:
        """Set columns; with `only_if_status`, only when the status is one of those (atomic)."""
        unknown = set(values) - set(_TASK_COLUMNS)
        if unknown:
            raise ValueError(f"unknown task columns: {sorted(unknown)}")
        stmt = update(TaskRow).where(TaskRow.id == task_id)
        if only_if_status is not None:
            stmt = stmt.where(TaskRow.status.in_(list(only_if_status)))
        with self._session.begin() as s:
            result = s.execute(stmt.values(**values))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    # events ------------------------------------------------------------------------------

    def add_events(self, task_id: str, events: Sequence[dict[str, Any]]) -> None:
        """Append bus events (their JSON form: seq, ts, type, step, role, data)."""
        if not events:
            return
        with self._session.begin() as s:
            s.add_all(
                EventRow(
                    task_id=task_id,
                    seq=e["seq"],
                    ts=e["ts"],
                    type=e["type"],
                    step=e.get("step"),
                    role=e.get("role"),
                    data=e.get("data") or {},
                )
                for e in events
            )

    def events(self, task_id: str, after_seq: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        query = (
            select(EventRow)
            .where(EventRow.task_id == task_id, EventRow.seq > after_seq)
            .order_by(EventRow.seq)
        )
        if limit:
            query = query.limit(limit)
        with self._session() as s:
            return [
                {"seq": r.seq, "ts": r.ts, "type": r.type, "step": r.step, "role": r.role, "data": r.data}
                for r in s.scalars(query).all()
            ]

    def last_seq(self, task_id: str) -> int:
        with self._session() as s:
            value = s.scalar(select(func.max(EventRow.seq)).where(EventRow.task_id == task_id))
            return int(value or 0)

    def append_event(self, task_id: str, type: str, data: dict[str, Any]) -> dict[str, Any]:
        """Add one event after the last stored one (for tasks with no live bus)."""
        ev = {
            "seq": self.last_seq(task_id) + 1,
            "ts": time.time(),
            "type": type,
            "step": None,
            "role": None,
            "data": data,
        }
        self.add_events(task_id, [ev])
        return ev

    def cancel_queued(self, task_id: str) -> bool:
        """Cancel a task that has not started (status still `queued`), with its `task.finished`
        event; False when it had already left the queue (a scheduler or replica took it)."""
        reason = "cancelled before it started"
        done = self.update_task(
            task_id, only_if_status=["queued"], status="cancelled", reason=reason, finished_at=time.time()
        )
        if done:
            data = {"status": "cancelled", "reason": reason, "answer": None, "steps": 0}
            self.append_event(task_id, EventType.TASK_FINISHED, data)
        return bool(done)
