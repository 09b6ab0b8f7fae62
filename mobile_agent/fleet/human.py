"""A fleet task asks a person: the request goes out through the store, the reply comes back through it.

The task runs on a host, the person talks to any replica. So the phone's actor shows the request
as the task's `waiting_for_human` status (a fenced write, as everything the actor writes), a
replica stores the reply from `POST /v1/tasks/{id}/reply` (`FleetStore.post_reply`), and the
actor polls for it. Waiting, cancel and the timeout are the single-machine API's own
(`ApiHumanChannel`), so a fleet task behaves as a `serve` task does: a reply answered 200 is the
one the task gets, even when it came just before the timeout and no poll saw it (`end_wait`
returns it), and a second one is refused while the first is on its way. A lease revoked while
the task waits (its host was taken for lost) ends the wait at once: nobody can answer any more,
and the phone must not stay busy until the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from mobile_agent.api.human import ApiHumanChannel, NoPendingRequest
from mobile_agent.human import HumanReply, HumanRequest, HumanTimeout

from .leases import Fenced, FleetStore

__all__ = ["FleetHumanChannel"]

STORE_PATIENCE_S = 30.0  # a store outage this long fails the request (and so the task)


class FleetHumanChannel:
    """One per task on a phone's actor; at most one request pending at a time."""

    def __init__(
        self,
        store: FleetStore,
        serial: str,
        task_id: str,
        token: int,
        *,
        timeout_s: float,
        cancel: asyncio.Event,
        poll_s: float = 0.3,
    ) -> None:
        self.store, self.serial, self.task_id, self.token = store, serial, task_id, token
        self.poll_s = poll_s
        self._cancel = cancel
        self._channel = ApiHumanChannel(
            task_id, set_status=self._set_status, timeout_s=timeout_s, cancel=cancel
        )
        self._since: float | None = None  # the pending request's, until its wait ends
        self._late: tuple[str, bool | None] | None = None  # the reply `end_wait` found

    async def request(self, request: HumanRequest) -> HumanReply:
        self._late = None
        relay = asyncio.create_task(self._relay())
        try:
            reply = await self._channel.request(request)
        except HumanTimeout:
            if self._late is None:
                raise
            text, approve = self._late  # stored before the wait ended, seen by no poll yet
            reply = HumanReply(text=text, approved=True if approve is None else approve, meta={})
        finally:
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay
        return HumanReply(text=reply.text, approved=reply.approved, meta={**reply.meta, "via": "fleet"})

    async def _set_status(self, status: str, pending: dict[str, Any] | None) -> None:
        deadline = time.monotonic() + STORE_PATIENCE_S
        while True:
            try:
                if pending is not None:
                    self._since = float(pending["since"])
                    await asyncio.to_thread(
                        self.store.set_human, self.serial, self.task_id, self.token, status, pending
                    )
                else:
                    self._late = await asyncio.to_thread(
                        self.store.end_wait, self.serial, self.task_id, self.token, self._since
                    )
                    self._since = None
                return
            except (SQLAlchemyError, OSError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)

    async def _relay(self) -> None:
        """Poll the store for the reply to the pending request and hand it to the waiting channel."""
        while True:
            await asyncio.sleep(self.poll_s)
            pending = self._channel.pending
            if pending is None:
                continue
            try:
                got = await asyncio.to_thread(
                    self.store.stored_reply, self.serial, self.task_id, self.token, float(pending["since"])
                )
            except (SQLAlchemyError, OSError):
                continue  # the store is down: the reply waits there
            except Fenced:
                # the lease is gone (the task was ended for it): nobody can answer it any more
                self._cancel.set()
                return
            if got is not None:
                text, approve = got
                with contextlib.suppress(NoPendingRequest):
                    self._channel.reply(text, approve)
