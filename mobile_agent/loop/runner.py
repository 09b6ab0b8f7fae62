"""The step loop: plan -> act -> execute -> settle -> measure -> reflect || note.

Multi mode (Mobile-Agent-v3): the Manager plans at the start and after every step, the Worker
proposes one action, the loop executes it on the device (mapping the model's point with the
exact frame of the image it saw), waits until the screen is stable (no fixed sleeps), measures
how much the screen changed, then runs the Reflector and the Notetaker concurrently.
Single mode: GUI-Owl's native `mobile_use` call, one model call per step.

What the reference lacked and this loop does: the screen change is measured, not claimed (a
Reflector "A" on an unchanged screen counts as "C"); the same action on an unchanged screen N
times escalates to the Manager and then fails the task; unparseable answers are events with a
bounded retry; every ending (finished, answer, terminate, budgets, cancellation, device or model
failure) has a status and a reason. The parts live beside this module: observation
(`observe`), the action -> device table (`actuation`), model calls (`models`), the roles' turns
(`roles`), guards (`guards`) and the result (`result`).
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from mobile_agent.actions import Action, ActionError, Answer, Ask, Terminate, Wait, check_in_frame
from mobile_agent.bus import Bus, EventType
from mobile_agent.config import AgentConfig
from mobile_agent.device.base import Device, DeviceError
from mobile_agent.human import HumanChannel, HumanRequest, HumanTimeout
from mobile_agent.llm.base import ChatModel, ModelError
from mobile_agent.loop import actuation
from mobile_agent.loop.guards import Approval, LoopGuard, check_failures
from mobile_agent.loop.models import ModelCalls
from mobile_agent.loop.observe import Observer, Screen, screen_difference
from mobile_agent.loop.result import End, Meter, RunResult, Stop, error_kind
from mobile_agent.loop.roles import Roles
from mobile_agent.output import OutputSpec
from mobile_agent.redact import redact
from mobile_agent.roles.parsing import NotetakerResult, ReflectorResult

__all__ = ["Runner"]


class Runner:
    """Runs one task on one device with one set of models, publishing everything on `bus`."""

    def __init__(
        self,
        device: Device,
        models: dict[str, ChatModel],
        config: AgentConfig,
        bus: Bus,
        *,
        human: HumanChannel | None = None,
        cancel: asyncio.Event | None = None,
        output: OutputSpec | None = None,
        prelude: Callable[[Runner], Awaitable[End | None]] | None = None,
    ) -> None:
        self.device = device
        self.models = models
        self.config = config
        self.bus = bus
        self.human = human
        self.cancel = cancel
        self.steps = 0
        self.max_steps = config.max_steps
        self.meter = Meter()
        self.observe = Observer(device, config, bus, self.meter)
        self.calls = ModelCalls(models, bus, self.meter, image_factor=config.image_factor)
        self.approval = Approval(config, bus, self.observe, human)
        self.policy = self.approval.policy
        self.output = output
        self.roles = Roles(config, bus, self.calls, self.approval, output)
        self.loop_guard = LoopGuard(config, bus)
        self._started = 0.0
        self.result: RunResult | None = None
        # runs before the first model step (a replay): an End ends the run, None hands over to
        # the model from step `self.steps + 1`
        self.prelude = prelude

    # ------------------------------------------------------------------ public

    async def run(
        self,
        instruction: str,
        *,
        knowledge: str = "",
        max_steps: int | None = None,
        max_seconds: float | None = None,
    ) -> RunResult:
        """Run to an end; never raises except when the calling task itself is cancelled."""
        cfg = self.config
        self.max_steps = max_steps or cfg.max_steps
        budget_s = max_seconds if max_seconds is not None else cfg.max_seconds
        self._started = time.perf_counter()
        self.bus.publish(
            EventType.TASK_STARTED,
            {
                "instruction": instruction,
                "knowledge": knowledge,
                "mode": cfg.mode,
                "device": getattr(self.device, "serial", "?"),
                "model": {r: getattr(m, "name", "?") for r, m in self.models.items()},
                "max_steps": self.max_steps,
                "max_seconds": budget_s,
                "frame": cfg.frame,
                "policy": self.policy.mode,
            },
        )
        loop_task = asyncio.create_task(self._loop(), name="mobile-agent-loop")
        waiters: set[asyncio.Future[Any]] = {loop_task}
        cancel_task: asyncio.Task[Any] | None = None
        if self.cancel is not None:
            cancel_task = asyncio.create_task(self.cancel.wait())
            waiters.add(cancel_task)
        try:
            done, _ = await asyncio.wait(waiters, timeout=budget_s, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            await self._stop_task(loop_task)
            self._finish(End("cancelled", "the run was cancelled", "cancelled"))
            raise
        finally:
            if cancel_task is not None:
                cancel_task.cancel()
        if loop_task in done:
            end = loop_task.result()
        else:
            await self._stop_task(loop_task)
            if self.cancel is not None and self.cancel.is_set():
                end = End("cancelled", "the run was cancelled", "cancelled")
            else:
                end = End("failed", f"time budget of {budget_s:g} s used up", "time_budget")
        return self._finish(end)

    # ------------------------------------------------------------------ ending

    @staticmethod
    async def _stop_task(task: asyncio.Task[Any]) -> None:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:  # the loop converts its own errors; nothing else to report
            pass

    def _finish(self, end: End) -> RunResult:
        self.observe.cancel_tree()
        state = self.bus.state
        answer = state.answer
        output = self.roles.output_value
        if self.output is not None and end.status == "succeeded" and output is None:
            end = End(
                "failed",
                f"{end.reason}, but without the structured answer the output schema asks for",
                "no_output",
                claimed=end.claimed,
            )
        timings = self.meter.totals.as_dict(time.perf_counter() - self._started)
        usage = self.calls.summary()
        result = RunResult(
            status=end.status,
            reason=end.reason,
            answer=answer,
            steps=self.steps,
            timings=timings,
            usage=usage,
            claimed_success=end.claimed,
            error=end.error,
            instruction=state.instruction,
            mode=self.config.mode,
            output=output,
        )
        self.result = result
        if not self.bus.closed:
            self.bus.publish(
                EventType.TASK_FINISHED,
                {
                    "status": end.status,
                    "reason": end.reason,
                    "error": end.error,
                    "answer": answer,
                    "output": result.to_json()["output"],
                    "steps": self.steps,
                    "claimed_success": end.claimed,
                    "timings": {k: v for k, v in timings.items() if k != "steps"},
                    "usage": usage,
                },
            )
        return result

    async def _loop(self) -> End:
        try:
            if self.prelude is not None:
                end = await self.prelude(self)
                if end is not None:
                    return end
            return await self._steps()
        except Stop as stop:
            return stop.end
        except (ModelError, DeviceError, HumanTimeout) as exc:
            where = (
                "model"
                if isinstance(exc, ModelError)
                else "device"
                if isinstance(exc, DeviceError)
                else "human"
            )
            message = redact(str(exc)) or type(exc).__name__  # a server may echo a key
            self.bus.publish(
                EventType.ERROR,
                {"where": where, "message": message, "kind": error_kind(exc)},
                step=self.steps,
            )
            label = {"model": "model error", "device": "device error", "human": "no reply from the human"}[
                where
            ]
            return End("failed", f"{label}: {message}", error_kind(exc))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.bus.publish(
                EventType.ERROR,
                {
                    "where": "runner",
                    "message": redact(repr(exc)),
                    "traceback": redact(traceback.format_exc()),
                    "kind": "internal",
                },
                step=self.steps,
            )
            return End("failed", redact(f"internal error: {exc!r}"), "internal")

    # ------------------------------------------------------------------ one step

    async def _execute(self, action: Action, screen: Screen) -> list[actuation.DevicePoint]:
        """Perform the action through the actuation table; device time and waits counted apart."""
        points = actuation.device_points(action, screen.frame)
        await self.observe.tree_recorded()
        call = actuation.device_call(self.device, action, points)
        if call is None:
            return points
        if call.waits:
            t0 = time.perf_counter()
            await call.call  # the model asked to wait: that is settle time
            self.meter.clock.settle_s += time.perf_counter() - t0
        else:
            await self.observe.device_call(call.what, call.call)
        return points

    def _end_step(self, step: int, outcome: str, changed: bool | None, diff: float | None) -> None:
        timing = self.meter.end_step(step)
        self.bus.publish(
            EventType.STEP_FINISHED,
            {"outcome": outcome, "changed": changed, "diff": diff, "timings": timing},
            step=step,
        )

    def _no_device_step(self, step: int, action: Action) -> None:
        self.bus.publish(
            EventType.ACTION_EXECUTED, {"action": action.to_json(), "device_points": []}, step=step
        )

    async def _steps(self) -> End:
        cfg = self.config
        screen = await self.observe.capture()
        for step in range(self.steps + 1, self.max_steps + 1):
            self.steps = step
            self.meter.new_step()
            self.bus.publish(EventType.STEP_STARTED, {"step": step}, step=step)
            self.observe.publish(step, "before", screen)
            self.observe.record_tree(step)
            if cfg.mode == "multi":
                await self.roles.plan(step, screen)
                # with an output schema the Worker still owes the structured answer
                if self.bus.state.finished and (self.output is None or self.roles.output_value is not None):
                    await self.observe.tree_recorded()
                    self._end_step(step, "finished", None, None)
                    return End("succeeded", "the Manager marked the task finished", claimed=True)
            proposal = await self.roles.propose(step, screen)
            if proposal is None:
                self._end_step(step, "C", None, None)
                check_failures(cfg, self.bus, step)
                continue
            action: Action = proposal.action
            role = "single" if cfg.mode == "single" else "worker"

            if isinstance(action, Answer):
                await self.observe.tree_recorded()
                self._no_device_step(step, action)
                self.bus.publish(EventType.ANSWER, {"text": action.text}, step=step, role=role)
                self._end_step(step, "A", None, None)
                return End("succeeded", "the agent answered", claimed=True)
            if isinstance(action, Terminate):
                await self.observe.tree_recorded()
                self._no_device_step(step, action)
                self._end_step(step, "A" if action.status == "success" else "C", None, None)
                if action.status == "success":
                    return End("succeeded", "the agent reported the task done", claimed=True)
                return End("failed", "the agent gave up (terminate: failure)", "agent_gave_up")
            if isinstance(action, Ask):
                reply = await self.approval.ask_human(
                    step, HumanRequest("question", action.text, action.to_json())
                )
                self._no_device_step(step, action)
                outcome = "A" if reply.approved and reply.text else "C"
                self.bus.publish(
                    EventType.REFLECTION,
                    {"outcome": outcome, "error": "" if outcome == "A" else "no answer", "source": "human"},
                    step=step,
                )
                self._end_step(step, outcome, False, 0.0)
                check_failures(cfg, self.bus, step)
                continue

            try:
                check_in_frame(action, screen.frame)
                t0 = time.perf_counter()
                points = await self._execute(action, screen)
            except (ActionError, DeviceError) as exc:
                if isinstance(exc, DeviceError) and not actuation.recoverable(exc):
                    raise
                self.bus.publish(
                    EventType.ACTION_FAILED, {"action": action.to_json(), "error": str(exc)}, step=step
                )
                self._end_step(step, "C", None, None)
                check_failures(cfg, self.bus, step)
                continue
            self.bus.publish(
                EventType.ACTION_EXECUTED,
                {
                    "action": action.to_json(),
                    "device_points": [list(p) for p in points],
                    "device_size": list(screen.frame.device_size),
                    "duration_s": round(time.perf_counter() - t0, 4),
                },
                step=step,
            )
            after = await self.observe.settle(screen.raw)
            diff = after.diff if after.diff is not None else screen_difference(screen.raw, after.raw)
            changed = diff > cfg.change_threshold
            self.observe.publish(step, "after", after)
            self.bus.publish(EventType.SCREEN_DIFF, {"changed": changed, "diff": round(diff, 6)}, step=step)

            if cfg.mode == "multi":
                outcome = await self._judge(step, action, screen, after, diff, changed)
            else:
                outcome = "A" if changed or isinstance(action, Wait) else "C"
                self.bus.publish(
                    EventType.REFLECTION,
                    {
                        "outcome": outcome,
                        "error": "" if outcome == "A" else "the screen did not change",
                        "source": "measured",
                    },
                    step=step,
                )
            self._end_step(step, outcome, changed, round(diff, 6))
            self.loop_guard.check(step, action, changed, screen)
            check_failures(cfg, self.bus, step)
            screen = after
        return End("failed", f"step budget of {self.max_steps} steps used up", "step_budget")

    async def _judge(
        self, step: int, action: Action, before: Screen, after: Screen, diff: float, changed: bool
    ) -> str:
        """Multi mode: Reflector and Notetaker concurrently; a claimed success on an unchanged
        screen counts as no change."""
        jobs: list[Any] = [self.roles.reflect(step, before, after, diff)]
        if self.config.notetaker and changed:
            jobs.append(self.roles.note(step, after))
        results = await asyncio.gather(*jobs)
        refl: ReflectorResult | None = results[0]
        notes: NotetakerResult | None = results[1] if len(results) > 1 else None
        data: dict[str, Any]
        if refl is None:
            outcome = "A" if changed else "C"
            data = {"outcome": outcome, "error": "", "thought": "", "source": "measured"}
        else:
            data = {
                "outcome": refl.outcome,
                "error": refl.error,
                "thought": refl.thought,
                "source": "reflector",
            }
            if refl.outcome == "A" and not changed and not isinstance(action, Wait):
                data.update(
                    outcome="C",
                    claimed="A",
                    disagreement=True,
                    error=refl.error
                    or "the Reflector reported success but the screen did not change measurably",
                )
        self.bus.publish(EventType.REFLECTION, data, step=step, role="reflector")
        if notes is not None:
            self.bus.publish(EventType.NOTES, {"notes": notes.notes}, step=step, role="notetaker")
        return str(data["outcome"])
