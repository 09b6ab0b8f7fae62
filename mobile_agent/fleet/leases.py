"""Phone leases in PostgreSQL: row locks decide who gets a phone, fencing tokens decide who may write.

Tables of their own (`fleet_phones`, `fleet_blobs`, `fleet_replies`), beside the task store's `tasks` and
`events`, so the fleet adds to the store and changes nothing a single `serve` uses.

- `lease_batch`: one transaction takes the oldest queued tasks and the free phones with
  `SELECT ... FOR UPDATE SKIP LOCKED`; two replicas never see the same row, so a phone is leased
  to one task at a time. Each lease bumps the phone's `token`.
- Everything a phone's actor writes (events, screenshots, the final status) is *fenced*: it
  commits only while the phone row still holds that task and that token (checked under the
  row's lock). A lease revoked because its host was declared lost can never be written to
  again, so a partitioned host that comes back cannot finish a task twice.
- Screenshots and a task's run artifacts (`result.json`, `report.html`) live in the store
  (`fleet_blobs`): every replica can serve them and a fleet needs no shared filesystem or bucket
  (a PNG of a few hundred KB per step is small next to what PostgreSQL handles).
- A task that asks a person shows `waiting_for_human` with its request (a fenced write); any
  replica stores the reply (`fleet_replies`, keyed by the request's `since`, so a reply never
  answers a later request) and the phone's actor, polling, takes it; `end_wait` ends the wait
  and the reply's row in one transaction, so every reply answered 200 is the one the task got.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, LargeBinary, String, Text, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from mobile_agent.api.human import NoPendingRequest
from mobile_agent.api.store import ACTIVE, EventRow, TaskRecord, TaskRow
from mobile_agent.bus import EventType

__all__ = [
    "AVAILABLE",
    "LEASED",
    "OFFLINE",
    "Fenced",
    "FleetStore",
    "Lease",
    "PhoneRow",
]

AVAILABLE, LEASED, OFFLINE = "available", "leased", "offline"

log = logging.getLogger(__name__)

# (task, its stored events, its stored screenshots) -> the artifacts of a lost task
Rebuild = Callable[[TaskRecord, list[dict[str, Any]], dict[str, bytes]], Sequence[tuple[str, bytes]]]


class Fenced(RuntimeError):
    """The lease this write belongs to was revoked (the task was ended elsewhere)."""


class FleetBase(DeclarativeBase):
    pass


class PhoneRow(FleetBase):
    __tablename__ = "fleet_phones"

    serial: Mapped[str] = mapped_column(String(200), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(16), index=True)
    task_id: Mapped[str | None] = mapped_column(String(32), default=None)
    token: Mapped[int] = mapped_column(Integer, default=0)
    leased_at: Mapped[float | None] = mapped_column(Float, default=None)
    seen_at: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text, default=None)

    def public(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "host": self.host,
            "state": self.state,
            "leased_by": self.task_id,
            "error": self.error,
        }


class BlobRow(FleetBase):
    __tablename__ = "fleet_blobs"

    task_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[float] = mapped_column(Float)


class ReplyRow(FleetBase):
    """A person's answer to a fleet task's pending request, until the phone's actor takes it."""

    __tablename__ = "fleet_replies"

    task_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    since: Mapped[float] = mapped_column(Float)  # the `since` of the request it answers
    text: Mapped[str] = mapped_column(Text, default="")
    approve: Mapped[int | None] = mapped_column(Integer, default=None)  # 1, 0, or None (not said)
    created_at: Mapped[float] = mapped_column(Float)


@dataclass(frozen=True)
class Lease:
    task: TaskRecord
    serial: str
    token: int
    actor: str
    host: str


class FleetStore:
    """The fleet's transactions on one engine (synchronous; callers run them in threads)."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError(
                f"a fleet needs PostgreSQL (row locks with SKIP LOCKED); got a {engine.dialect.name} URL"
            )
        self.engine = engine
        FleetBase.metadata.create_all(engine)
        self._session = sessionmaker(engine, expire_on_commit=False)

    # phones --------------------------------------------------------------------------------

    def phones(self) -> list[PhoneRow]:
        with self._session() as s:
            return list(s.scalars(select(PhoneRow).order_by(PhoneRow.host, PhoneRow.serial)).all())

    def phone_seen(self, serial: str, host: str, actor: str) -> None:
        """A phone answered: register it, or bring it back from offline (never over a lease)."""
        now = time.time()
        with self._session.begin() as s:
            stmt = pg_insert(PhoneRow).values(
                serial=serial, host=host, actor=actor, state=AVAILABLE, token=0, seen_at=now
            )
            s.execute(stmt.on_conflict_do_nothing(index_elements=["serial"]))
            s.execute(
                update(PhoneRow)
                .where(PhoneRow.serial == serial, PhoneRow.task_id.is_(None))
                .values(host=host, actor=actor, state=AVAILABLE, seen_at=now, error=None)
            )
            s.execute(
                update(PhoneRow)
                .where(PhoneRow.serial == serial, PhoneRow.task_id.is_not(None))
                .values(seen_at=now)
            )

    def phone_offline(self, serial: str, error: str) -> None:
        """A free phone stopped answering (a leased one goes through `revoke`)."""
        with self._session.begin() as s:
            s.execute(
                update(PhoneRow)
                .where(PhoneRow.serial == serial, PhoneRow.task_id.is_(None), PhoneRow.state != OFFLINE)
                .values(state=OFFLINE, error=error)
            )

    def queued_ids(self, limit: int = 1000) -> list[str]:
        query = select(TaskRow.id).where(TaskRow.status == "queued").order_by(TaskRow.created_at, TaskRow.id)
        with self._session() as s:
            return list(s.scalars(query.limit(limit)).all())

    # leases --------------------------------------------------------------------------------

    def lease_batch(self, limit: int = 64) -> list[Lease]:
        """Give free phones to the oldest queued tasks (a task naming a phone waits for it)."""
        leases: list[Lease] = []
        with self._session.begin() as s:
            tasks = s.scalars(
                select(TaskRow)
                .where(TaskRow.status == "queued")
                .order_by(TaskRow.created_at, TaskRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if not tasks:
                return []
            free = list(
                s.scalars(
                    select(PhoneRow)
                    .where(PhoneRow.state == AVAILABLE, PhoneRow.task_id.is_(None))
                    .order_by(PhoneRow.seen_at)
                    .with_for_update(skip_locked=True)
                ).all()
            )
            # taken once the free phones are read: a phone freed while this transaction waited
            # was freed before this moment, so its previous task's end never follows this start
            now = time.time()
            for task in tasks:
                if not free:
                    break
                phone = next((p for p in free if task.device in (None, p.serial)), None)
                if phone is None:
                    continue
                free.remove(phone)
                phone.state, phone.task_id, phone.leased_at = LEASED, task.id, now
                phone.token += 1
                task.status, task.assigned_device = "running", phone.serial
                task.started_at, task.run_dir = now, task.id
                s.flush()
                leases.append(
                    Lease(TaskRecord.from_row(task), phone.serial, phone.token, phone.actor, phone.host)
                )
        return leases

    def _locked_phone(self, s: Session, serial: str, task_id: str, token: int) -> PhoneRow:
        phone = s.scalars(select(PhoneRow).where(PhoneRow.serial == serial).with_for_update()).first()
        if phone is None or phone.task_id != task_id or phone.token != token:
            raise Fenced(f"the lease of task {task_id} on {serial} (token {token}) is no longer held")
        return phone

    def requeue(self, serial: str, task_id: str, token: int, error: str | None = None) -> bool:
        """The phone never started the task: queue it again, the phone offline when `error`."""
        with self._session.begin() as s:
            try:
                phone = self._locked_phone(s, serial, task_id, token)
            except Fenced:
                return False
            phone.task_id, phone.leased_at, phone.token = None, None, phone.token + 1
            phone.state, phone.error = (OFFLINE, error) if error else (AVAILABLE, None)
            s.execute(
                update(TaskRow)
                .where(TaskRow.id == task_id, TaskRow.status.in_(ACTIVE))
                .values(status="queued", assigned_device=None, started_at=None)
            )
        return True

    # fenced writes (the phone's actor) -----------------------------------------------------

    def write_events(
        self,
        serial: str,
        task_id: str,
        token: int,
        events: Sequence[dict[str, Any]],
        blobs: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        """Append events (idempotent on seq: a retried batch is not doubled) and screenshots."""
        with self._session.begin() as s:
            self._locked_phone(s, serial, task_id, token)
            if events:
                rows = [
                    {
                        "task_id": task_id,
                        "seq": e["seq"],
                        "ts": e["ts"],
                        "type": e["type"],
                        "step": e.get("step"),
                        "role": e.get("role"),
                        "data": e.get("data") or {},
                    }
                    for e in events
                ]
                s.execute(
                    pg_insert(EventRow).values(rows).on_conflict_do_nothing(constraint="uq_events_task_seq")
                )
                steps = [e["step"] for e in events if e["type"] == EventType.STEP_FINISHED and e.get("step")]
                if steps:
                    s.execute(update(TaskRow).where(TaskRow.id == task_id).values(steps=max(steps)))
            _put_blobs(s, task_id, blobs)

    def finish(
        self,
        serial: str,
        task_id: str,
        token: int,
        artifacts: Sequence[tuple[str, bytes]] = (),
        **values: Any,
    ) -> None:
        """Record the task's end and its run artifacts and free the phone, in one fenced transaction."""
        with self._session.begin() as s:
            phone = self._locked_phone(s, serial, task_id, token)
            s.execute(
                update(TaskRow).where(TaskRow.id == task_id, TaskRow.status.in_(ACTIVE)).values(**values)
            )
            _put_blobs(s, task_id, artifacts, replace=True)
            s.execute(delete(ReplyRow).where(ReplyRow.task_id == task_id))
            phone.task_id, phone.leased_at, phone.state, phone.error = None, None, AVAILABLE, None

    def set_human(self, serial: str, task_id: str, token: int, status: str, pending: dict[str, Any]) -> None:
        """The task waits for a person: `waiting_for_human` with its request (`end_wait` ends it)."""
        with self._session.begin() as s:
            self._locked_phone(s, serial, task_id, token)
            s.execute(
                update(TaskRow)
                .where(TaskRow.id == task_id, TaskRow.status.in_(ACTIVE))
                .values(status=status, pending_request=pending)
            )

    def stored_reply(
        self, serial: str, task_id: str, token: int, since: float
    ) -> tuple[str, bool | None] | None:
        """The reply to the request made at `since`, once a replica has stored one. It stays
        stored until `end_wait`, so a second reply meanwhile is refused as one already given."""
        with self._session.begin() as s:
            self._locked_phone(s, serial, task_id, token)
            row = s.get(ReplyRow, task_id)
            if row is None or row.since != since:
                return None
            return row.text, None if row.approve is None else bool(row.approve)

    def end_wait(
        self, serial: str, task_id: str, token: int, since: float | None
    ) -> tuple[str, bool | None] | None:
        """The task runs again; returns the reply stored for the request made at `since`, if any.
        One transaction: a reply is either in it (and counts, even if the wait timed out just
        before it was seen) or comes after it (and is refused: nothing is waiting)."""
        with self._session.begin() as s:
            self._locked_phone(s, serial, task_id, token)
            s.scalars(select(TaskRow.id).where(TaskRow.id == task_id).with_for_update()).first()
            row = s.get(ReplyRow, task_id, with_for_update=True)
            got = None
            if row is not None:
                if row.since == since:
                    got = row.text, None if row.approve is None else bool(row.approve)
                s.delete(row)
            s.execute(
                update(TaskRow)
                .where(TaskRow.id == task_id, TaskRow.status.in_(ACTIVE))
                .values(status="running", pending_request=None)
            )
            return got

    # replies (any replica, from POST /v1/tasks/{id}/reply) --------------------------------

    def post_reply(self, task_id: str, text: str, approve: bool | None) -> None:
        """Store the reply to the task's pending request (NoPendingRequest if there is none, or it
        was answered already); the phone's actor, polling, passes it to the agent."""
        with self._session.begin() as s:
            task = s.scalars(select(TaskRow).where(TaskRow.id == task_id).with_for_update()).first()
            pending = task.pending_request if task is not None else None
            if task is None or task.status != "waiting_for_human" or not isinstance(pending, dict):
                raise NoPendingRequest(f"task {task_id} is not waiting for a reply")
            since = float(pending.get("since") or 0.0)
            row = s.get(ReplyRow, task_id, with_for_update=True)
            if row is not None and row.since == since:
                raise NoPendingRequest(f"task {task_id}: its request was answered already")
            if row is not None:
                s.delete(row)
                s.flush()
            s.add(
                ReplyRow(
                    task_id=task_id,
                    since=since,
                    text=text,
                    approve=None if approve is None else int(approve),
                    created_at=time.time(),
                )
            )

    # revocation (a replica, when a host is lost) -------------------------------------------

    def revoke(self, serial: str, reason: str, rebuild: Rebuild | None = None) -> str | None:
        """The phone's host is lost: the phone goes offline, its lease is revoked (token bumped)
        and its task, if any, ends `failed` with `reason` after the events already streamed, with
        the artifacts `rebuild` makes of them (the host can no longer write its own), all in one
        transaction. Returns the task id that was ended."""
        now = time.time()
        with self._session.begin() as s:
            phone = s.scalars(select(PhoneRow).where(PhoneRow.serial == serial).with_for_update()).first()
            if phone is None:
                return None
            task_id = phone.task_id
            phone.state, phone.error, phone.task_id, phone.leased_at = OFFLINE, reason, None, None
            phone.token += 1
            if task_id is None:
                return None
            task = s.scalars(select(TaskRow).where(TaskRow.id == task_id).with_for_update()).first()
            if task is None or task.status not in ACTIVE:
                return None
            last = s.scalar(select(func.max(EventRow.seq)).where(EventRow.task_id == task_id)) or 0
            steps = s.scalar(
                select(func.max(EventRow.step)).where(
                    EventRow.task_id == task_id, EventRow.type == EventType.STEP_FINISHED
                )
            )
            steps = int(steps or task.steps or 0)
            task.status, task.reason, task.error = "failed", reason, "host_lost"
            task.finished_at, task.steps, task.pending_request = now, steps, None
            s.execute(delete(ReplyRow).where(ReplyRow.task_id == task_id))  # nobody will take it now
            s.add(
                EventRow(
                    task_id=task_id,
                    seq=int(last) + 1,
                    ts=now,
                    type=EventType.TASK_FINISHED,
                    data={"status": "failed", "reason": reason, "answer": None, "steps": steps},
                )
            )
            if rebuild is not None:
                s.flush()
                _put_blobs(s, task_id, _rebuilt(s, task, rebuild), replace=True)
            return task_id

    def blob(self, task_id: str, name: str) -> bytes | None:
        with self._session() as s:
            row = s.get(BlobRow, (task_id, name))
            return row.data if row else None


def _put_blobs(s: Session, task_id: str, blobs: Sequence[tuple[str, bytes]], replace: bool = False) -> None:
    """Screenshots are written once (a retried batch keeps the first); artifacts are replaced."""
    for name, data in blobs:
        stmt = pg_insert(BlobRow).values(task_id=task_id, name=name, data=data, created_at=time.time())
        if replace:
            s.execute(
                stmt.on_conflict_do_update(
                    index_elements=["task_id", "name"],
                    set_={"data": stmt.excluded.data, "created_at": stmt.excluded.created_at},
                )
            )
        else:
            s.execute(stmt.on_conflict_do_nothing(index_elements=["task_id", "name"]))


def _rebuilt(s: Session, task: TaskRow, rebuild: Rebuild) -> Sequence[tuple[str, bytes]]:
    """A lost task's artifacts from its stored events and screenshots (none if that fails: the
    task's end is recorded all the same)."""
    rows = s.scalars(select(EventRow).where(EventRow.task_id == task.id).order_by(EventRow.seq)).all()
    events = [
        {"seq": r.seq, "ts": r.ts, "type": r.type, "step": r.step, "role": r.role, "data": r.data}
        for r in rows
    ]
    blobs = {b.name: b.data for b in s.scalars(select(BlobRow).where(BlobRow.task_id == task.id)).all()}
    try:
        return rebuild(TaskRecord.from_row(task), events, blobs)
    except Exception:
        log.exception("task %s: its result could not be rebuilt from the store", task.id)
        return ()
