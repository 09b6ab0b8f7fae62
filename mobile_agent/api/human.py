"""A HumanChannel answered over HTTP: the task waits until `POST /v1/tasks/{id}/reply`.

While a request is pending the task's status is `waiting_for_human` and the request is kept in
the store (`pending_request`), so a client or the viewer can show it; a reply resumes the run,
a cancel ends the wait with a refusal, and the configured timeout fails the task.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from mobile_agent.human import HumanReply, HumanRequest, HumanTimeout


class NoPendingRequest(Exception):
    """A reply came while the task was not waiting for one."""


StatusSetter = Callable[[str, dict[str, Any] | None], Awaitable[None]]


class ApiHumanChannel:
    """One per task; at most one request pending at a time."""

    def __init__(
        self,
        task_id: str,
        *,
        set_status: StatusSetter,
        timeout_s: float,
        cancel: asyncio.Event | None = None,
    ) -> None:
        self.task_id = task_id
        self._set_status = set_status
        self.timeout_s = timeout_s
        self._cancel = cancel or asyncio.Event()
        self._future: asyncio.Future[HumanReply] | None = None
        self.pending: dict[str, Any] | None = None

    async def request(self, request: HumanRequest) -> HumanReply:
        """Publish the request through the store, then wait for a reply, a cancel or the timeout."""
        if self._future is not None:
            raise RuntimeError("a human request is already pending for this task")
        loop = asyncio.get_running_loop()
        self._future = future = loop.create_future()
        self.pending = {
            "kind": request.kind,
            "prompt": request.prompt,
            "action": request.action,
            "since": time.time(),
            "timeout_s": self.timeout_s,
        }
        try:
            await self._set_status("waiting_for_human", self.pending)
            cancel_wait = asyncio.ensure_future(self._cancel.wait())
            try:
                done, _ = await asyncio.wait(
                    {future, cancel_wait}, timeout=self.timeout_s, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                cancel_wait.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await cancel_wait
            if future in done:
                return future.result()
            if self._cancel.is_set():
                return HumanReply(text="", approved=False, meta={"cancelled": True})
            raise HumanTimeout(f"nobody replied within {self.timeout_s:g} s")
        finally:
            self._future = None
            self.pending = None
            await self._set_status("running", None)

    def reply(self, text: str, approve: bool | None = None) -> HumanReply:
        """Answer the pending request (from the API handler, on the event loop thread)."""
        future = self._future
        if future is None or future.done():
            raise NoPendingRequest(f"task {self.task_id} is not waiting for a reply")
        approved = True if approve is None else approve
        answer = HumanReply(text=text, approved=approved, meta={"via": "api"})
        future.set_result(answer)
        return answer
