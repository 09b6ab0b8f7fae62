"""The step loop: plan -> act -> execute -> settle -> measure -> reflect || note.

Multi mode (Mobile-Agent-v3): the Manager plans at the start and after every step, the Worker
proposes one action, the runner executes it on the device (mapping the model's point with the
exact frame of the image it saw), waits until the screen is stable (no fixed sleeps), measures
how much the screen changed, then runs the Reflector and the Notetaker concurrently.
Single mode: GUI-Owl's native `mobile_use` call, one model call per step.

What the reference lacked and this loop does: the screen change is measured, not claimed (a
Reflector "A" on an unchanged screen counts as "C"); the same action on an unchanged screen N
times escalates to the Manager and then fails the task; unparseable answers are events with a
bounded retry; every ending (finished, answer, terminate, budgets, cancellation, device or model
failure) has a status and a reason.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from mobile_agent.actions import (
    ActionError,
    Answer,
    Ask,
    Click,
    Key,
    LongPress,
    Open,
    Swipe,
    SystemButton,
    Terminate,
    Type,
    Wait,
    check_in_frame,
)
from mobile_agent.bus import Bus, EventType
from mobile_agent.config import AgentConfig
from mobile_agent.coords import Frame, image_tokens, prepare_image
from mobile_agent.device.base import Device, DeviceDisconnected, DeviceError, DeviceNotFound
from mobile_agent.device.keys import UnknownKey
from mobile_agent.device.settle import frame_difference, wait_until_stable
from mobile_agent.human import HumanChannel, HumanReply, HumanRequest, HumanTimeout
from mobile_agent.llm.base import (
    ChatModel,
    ChatResponse,
    ImagePart,
    Message,
    ModelError,
    ModelTimeout,
    ModelUnavailable,
    TextPart,
)
from mobile_agent.policy import Policy
from mobile_agent.roles import common, manager, notetaker, reflector, single, worker
from mobile_agent.roles.parsing import (
    ManagerResult,
    NotetakerResult,
    ParseFailure,
    ReflectorResult,
    SingleResult,
    WorkerResult,
)

# ---------------------------------------------------------------------------------------------
# Results


@dataclass
class RunResult:
    """How a run ended. `claimed_success` is the agent's own belief; verification is separate."""

    status: str  # "succeeded" | "failed" | "cancelled"
    reason: str
    answer: str | None = None
    steps: int = 0
    run_dir: Path | None = None
    timings: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] = field(default_factory=dict)
    claimed_success: bool = False
    error: str | None = None  # a short kind: model_unavailable, device_disconnected, step_budget...
    instruction: str = ""
    mode: str = "multi"

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "error": self.error,
            "answer": self.answer,
            "steps": self.steps,
            "claimed_success": self.claimed_success,
            "run_dir": str(self.run_dir) if self.run_dir else None,
            "timings": self.timings,
            "usage": self.usage,
            "instruction": self.instruction,
            "mode": self.mode,
        }


@dataclass(frozen=True)
class _End:
    status: str
    reason: str
    error: str | None = None
    claimed: bool = False


class _Stop(Exception):
    def __init__(self, end: _End) -> None:
        super().__init__(end.reason)
        self.end = end


# ---------------------------------------------------------------------------------------------
# Screens and measurement


@dataclass
class Screen:
    """One capture: the device image, the image as sent to models, its frame, the PNG bytes."""

    raw: Image.Image
    image: Image.Image
    frame: Frame
    _png: bytes | None = None
    key: bytes | None = None  # screen_key(raw), computed off the event loop
    diff: float | None = None  # measured change from the screen before the action, if known

    @property
    def png(self) -> bytes:
        if self._png is None:
            buf = io.BytesIO()
            self.raw.save(buf, "PNG", compress_level=1)
            self._png = buf.getvalue()
        return self._png


# The status bar (clock, battery, notification icons) changes on its own, so neither the loop
# fingerprint nor the "did the action change the screen" measure looks at it.
STATUS_BAR_SHARE = 0.03


def _below_status_bar(image: Image.Image) -> Image.Image:
    return image.crop((0, int(image.height * STATUS_BAR_SHARE), image.width, image.height))


def screen_key(image: Image.Image) -> bytes:
    """A coarse fingerprint of a screen (16x-reduced grey, 8 levels): equal screens, equal keys."""
    small = _below_status_bar(image).reduce(16).convert("L")
    return bytes(v >> 5 for v in small.tobytes())


def screen_difference(a: Image.Image, b: Image.Image) -> float:
    """Share (0..1) of the screen below the status bar that differs noticeably between two shots.

    Measured on 8x-reduced grey cells; one typed or deleted character is ~15 cells of a phone
    screen's ~40k (0.04%), a blinking text cursor ~7 (see `AgentConfig.change_threshold`).
    """
    if a.size != b.size:
        return 1.0
    return frame_difference(_below_status_bar(a), _below_status_bar(b))


@dataclass
class _Shots:
    """The runner's screenshot call in the shape `wait_until_stable` takes."""

    capture: Callable[[], Awaitable[Image.Image]]

    async def screenshot(self) -> Image.Image:
        return await self.capture()


# ---------------------------------------------------------------------------------------------
# Timings and usage


@dataclass
class _StepClock:
    model_s: dict[str, float] = field(default_factory=dict)
    device_s: float = 0.0
    settle_s: float = 0.0
    model_wall_s: float = 0.0  # time with at least one model call in flight (concurrent calls once)
    started: float = field(default_factory=time.perf_counter)
    _inflight: int = 0
    _inflight_since: float = 0.0

    def call_started(self) -> None:
        if self._inflight == 0:
            self._inflight_since = time.perf_counter()
        self._inflight += 1

    def call_ended(self) -> None:
        self._inflight -= 1
        if self._inflight == 0:
            self.model_wall_s += time.perf_counter() - self._inflight_since

    def as_dict(self) -> dict[str, Any]:
        wall = time.perf_counter() - self.started
        model = sum(self.model_s.values())
        return {
            "wall_s": round(wall, 4),
            "model_s": {k: round(v, 4) for k, v in self.model_s.items()},
            "model_total_s": round(model, 4),
            "model_wall_s": round(self.model_wall_s, 4),
            "device_s": round(self.device_s, 4),
            "settle_s": round(self.settle_s, 4),
            "overhead_s": round(max(0.0, wall - self.model_wall_s - self.settle_s), 4),
        }


def _kind(exc: BaseException) -> str:
    if isinstance(exc, ModelUnavailable):
        return "model_unavailable"
    if isinstance(exc, ModelTimeout):
        return "model_timeout"
    if isinstance(exc, ModelError):
        return "model_error"
    if isinstance(exc, DeviceDisconnected):
        return "device_disconnected"
    if isinstance(exc, DeviceNotFound):
        return "device_not_found"
    if isinstance(exc, DeviceError):
        return "device_error"
    if isinstance(exc, HumanTimeout):
        return "human_timeout"
    return "internal"


_RECOVERABLE_DEVICE = ("AppNotFound", "TextInputUnavailable")


def _recoverable(exc: DeviceError) -> bool:
    """A device error caused by the action itself (an unknown app or key name): the step fails, not the task."""
    return type(exc).__name__ in _RECOVERABLE_DEVICE or isinstance(exc.__cause__, UnknownKey)


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
    ) -> None:
        self.device = device
        self.models = models
        self.config = config
        self.bus = bus
        self.human = human
        self.cancel = cancel
        mode = config.policy or ("confirm" if human is not None else "allow")
        self.policy = Policy(mode=mode, keywords=tuple(config.sensitive_keywords))
        self.steps = 0
        self._clock = _StepClock()
        self._totals: dict[str, Any] = {"model_s": {}, "device_s": 0.0, "settle_s": 0.0}
        self._step_timings: list[dict[str, Any]] = []
        self._usage: dict[str, dict[str, int]] = {}
        self._image_tokens = 0
        self._repeat = 0
        self._last_sig = ""
        self._loop_escalated = False
        self._seen: dict[tuple[bytes, str], int] = {}
        self._cycle_escalated: set[tuple[bytes, str]] = set()
        self._started = 0.0
        self._factor = 28
        self.result: RunResult | None = None
        if config.profile:
            try:
                from serving.profiles import get_profile

                self._factor = get_profile(config.profile).image_factor
            except (ImportError, KeyError):
                pass

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
            self._finish(_End("cancelled", "the run was cancelled", "cancelled"))
            raise
        finally:
            if cancel_task is not None:
                cancel_task.cancel()
        if loop_task in done:
            end = loop_task.result()
        else:
            await self._stop_task(loop_task)
            if self.cancel is not None and self.cancel.is_set():
                end = _End("cancelled", "the run was cancelled", "cancelled")
            else:
                end = _End("failed", f"time budget of {budget_s:g} s used up", "time_budget")
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

    def _finish(self, end: _End) -> RunResult:
        state = self.bus.state
        answer = state.answer
        total = time.perf_counter() - self._started
        model_total = sum(self._totals["model_s"].values())
        overheads = sorted(t["overhead_s"] for t in self._step_timings)
        timings = {
            "total_s": round(total, 4),
            "model_s": {k: round(v, 4) for k, v in self._totals["model_s"].items()},
            "model_total_s": round(model_total, 4),
            "device_s": round(self._totals["device_s"], 4),
            "settle_s": round(self._totals["settle_s"], 4),
            "overhead_median_s": overheads[len(overheads) // 2] if overheads else None,
            "steps": self._step_timings,
        }
        calls = sum(u["calls"] for u in self._usage.values())
        usage = {
            "per_role": self._usage,
            "prompt_tokens": sum(u["prompt_tokens"] for u in self._usage.values()),
            "completion_tokens": sum(u["completion_tokens"] for u in self._usage.values()),
            "calls": calls,
            "image_tokens": self._image_tokens,
        }
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
                    "steps": self.steps,
                    "claimed_success": end.claimed,
                    "timings": {k: v for k, v in timings.items() if k != "steps"},
                    "usage": usage,
                },
            )
        return result

    async def _loop(self) -> _End:
        try:
            return await self._steps()
        except _Stop as stop:
            return stop.end
        except (ModelError, DeviceError, HumanTimeout) as exc:
            where = (
                "model"
                if isinstance(exc, ModelError)
                else "device"
                if isinstance(exc, DeviceError)
                else "human"
            )
            message = str(exc) or type(exc).__name__
            self.bus.publish(
                EventType.ERROR, {"where": where, "message": message, "kind": _kind(exc)}, step=self.steps
            )
            label = {"model": "model error", "device": "device error", "human": "no reply from the human"}[
                where
            ]
            return _End("failed", f"{label}: {message}", _kind(exc))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.bus.publish(
                EventType.ERROR,
                {
                    "where": "runner",
                    "message": repr(exc),
                    "traceback": traceback.format_exc(),
                    "kind": "internal",
                },
                step=self.steps,
            )
            return _End("failed", f"internal error: {exc!r}", "internal")

    # ------------------------------------------------------------------ device helpers

    async def _device(self, what: str, coro: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await coro
        except DeviceError:
            raise
        except (asyncio.CancelledError, ModelError):
            raise
        except Exception as exc:  # adbutils / socket errors become typed device errors
            raise DeviceError(f"{what} failed: {exc}") from exc
        finally:
            self._clock.device_s += time.perf_counter() - t0

    async def _screenshot(self) -> Image.Image:
        return await self._device("screenshot", self.device.screenshot())

    def _prepare(self, raw: Image.Image) -> Screen:
        image, frame = prepare_image(
            raw, self.config.frame, min_pixels=self.config.min_pixels, max_pixels=self.config.max_pixels
        )
        return Screen(raw=raw, image=image, frame=frame)

    async def _capture(self) -> Screen:
        raw = await self._screenshot()
        return await asyncio.to_thread(self._prepare_full, raw)

    def _prepare_full(self, raw: Image.Image, before: Image.Image | None = None) -> Screen:
        """Resize for the model, encode the PNG, fingerprint, measure the change (worker thread)."""
        screen = self._prepare(raw)
        _ = screen.png
        screen.key = screen_key(raw)
        if before is not None:
            screen.diff = screen_difference(before, raw)
        return screen

    async def _settle(self, before: Image.Image) -> Screen:
        """Screenshots until two consecutive ones match (or the timeout passes), no fixed sleep.

        Each candidate frame is resized and PNG-encoded in a worker thread while the next one is
        taken, so when the screen is found stable its model image is (nearly) ready: that work
        hides inside the wait instead of adding to the step. Only the wait until stability is
        counted as settle time; anything still pending after it counts as framework overhead.
        """
        t0 = time.perf_counter()
        device_before = self._clock.device_s
        jobs: list[asyncio.Future[Screen]] = []

        def prepare(frame: Image.Image) -> None:
            jobs.append(asyncio.ensure_future(asyncio.to_thread(self._prepare_full, frame, before)))

        try:
            await wait_until_stable(
                _Shots(self._screenshot),  # device errors typed, device time counted
                timeout_s=self.config.settle_timeout_s,
                interval_s=self.config.settle_interval_s,
                on_candidate=prepare,
            )
        except BaseException:
            for job in jobs:
                job.cancel()
            raise
        finally:
            # screenshots taken while waiting are settle time, not device-action time
            self._clock.device_s = device_before
            self._clock.settle_s += time.perf_counter() - t0
        return await jobs[-1]

    def _publish_screen(self, step: int, phase: str, screen: Screen) -> None:
        name = f"steps/{step:03d}-{phase}.png"
        self.bus.publish(
            EventType.SCREEN,
            {"phase": phase, "file": name, "width": screen.raw.width, "height": screen.raw.height},
            step=step,
            blobs={"png": screen.png},
        )

    # ------------------------------------------------------------------ model calls

    def _model(self, role: str) -> ChatModel:
        model = self.models.get(role) or self.models.get("worker") or self.models.get("default")
        if model is None:
            raise ModelError(f"no model configured for the {role} role")
        return model

    async def _call(self, role: str, messages: list[Message], step: int) -> ChatResponse:
        model = self._model(role)
        clock = self._clock
        t0 = time.perf_counter()
        clock.call_started()
        try:
            response = await model.chat(messages)
        finally:
            clock.call_ended()
        latency = time.perf_counter() - t0
        self._clock.model_s[role] = self._clock.model_s.get(role, 0.0) + latency
        self._totals["model_s"][role] = self._totals["model_s"].get(role, 0.0) + latency
        images = [im for m in messages for im in m.images()]
        img_tokens = sum(image_tokens(im.height, im.width, self._factor) for im in images)
        self._image_tokens += img_tokens
        u = self._usage.setdefault(
            role, {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "image_tokens": 0}
        )
        u["calls"] += 1
        u["prompt_tokens"] += response.usage.prompt_tokens
        u["completion_tokens"] += response.usage.completion_tokens
        u["image_tokens"] += img_tokens
        self.bus.publish(
            EventType.MODEL_CALL,
            {
                "role": role,
                "model": response.model or getattr(model, "name", ""),
                "latency_s": round(latency, 4),
                "prompt_tokens": response.usage.prompt_tokens,
                "completion_tokens": response.usage.completion_tokens,
                "image_tokens": img_tokens,
                "images": len(images),
                "raw": response.text,
            },
            step=step,
            role=role,
        )
        return response

    def _parse_error(self, step: int, failure: ParseFailure, attempt: int) -> None:
        self.bus.publish(
            EventType.PARSE_ERROR,
            {"role": failure.role, "raw": failure.raw, "reason": failure.reason, "attempt": attempt},
            step=step,
            role=failure.role,
        )

    # ------------------------------------------------------------------ roles

    async def _manager(self, step: int, screen: Screen) -> None:
        note = ""
        last = ""
        for attempt in range(1, self.config.manager_retries + 2):
            msgs = manager.build_messages(self.bus.state, screen.image, screen.frame, retry_note=note)
            response = await self._call("manager", msgs, step)
            result = manager.parse(response.text)
            if isinstance(result, ParseFailure):
                self._parse_error(step, result, attempt)
                note = last = result.reason
                continue
            assert isinstance(result, ManagerResult)
            self.bus.publish(
                EventType.PLAN,
                {
                    "thought": result.thought,
                    "completed": result.completed,
                    "plan": list(result.plan),
                    "subgoal": result.subgoal,
                    "finished": result.finished,
                },
                step=step,
                role="manager",
            )
            return
        if not self.bus.state.plan:
            raise _Stop(_End("failed", f"the Manager's answers could not be parsed: {last}", "parse"))
        # keep the previous plan and let the Worker go on

    async def _propose(self, step: int, screen: Screen) -> WorkerResult | SingleResult | None:
        """Worker (or single-mode) answer, with bounded retries on parse errors and refusals."""
        role = "single" if self.config.mode == "single" else "worker"
        note = ""
        last = "no answer"
        for attempt in range(1, self.config.worker_retries + 2):
            state = self.bus.state
            if role == "single":
                msgs = single.build_messages(state, screen.image, screen.frame, retry_note=note)
            else:
                msgs = worker.build_messages(
                    state, screen.image, screen.frame, retry_note=note, history_len=self.config.history_len
                )
            response = await self._call(role, msgs, step)
            result = single.parse(response.text) if role == "single" else worker.parse(response.text)
            if isinstance(result, ParseFailure):
                self._parse_error(step, result, attempt)
                note = last = result.reason
                continue
            description = result.conclusion if isinstance(result, SingleResult) else result.description
            self.bus.publish(
                EventType.ACTION_PROPOSED,
                {"thought": result.thought, "action": result.action.to_json(), "description": description},
                step=step,
                role=role,
            )
            refusal = await self._check_policy(step, result.action, description, screen)
            if refusal:
                note = last = refusal
                continue
            return result
        self.bus.publish(
            EventType.ACTION_FAILED,
            {
                "action": {},
                "error": f"no usable action after {self.config.worker_retries + 1} attempts: {last}",
            },
            step=step,
            role=role,
        )
        return None

    async def _check_policy(self, step: int, action: Any, description: str, screen: Screen) -> str:
        """'' when the action may run; else why not (told to the Worker on its retry)."""
        if not self.policy.needs_ui or not isinstance(action, Click | LongPress | Type):
            return ""
        point = screen.frame.to_device(*action.points()[0]) if action.points() else None
        try:
            xml = await self._device("ui dump", self.device.ui_tree())
        except DeviceError as exc:
            self.bus.publish(
                EventType.ERROR, {"where": "policy", "message": f"UI tree unavailable: {exc}"}, step=step
            )
            xml = ""
        reason = self.policy.check(action, description, device_point=point, ui_xml=xml)
        if not reason:
            return ""
        if self.policy.mode == "deny" or self.human is None:
            why = (
                "the sensitive-action policy forbids it"
                if self.policy.mode == "deny"
                else "nobody can approve it"
            )
            self.bus.publish(
                EventType.HUMAN_REPLIED,
                {"kind": "confirm", "text": "", "approved": False, "auto": True, "reason": reason},
                step=step,
            )
            return f"The action {action.describe()} was refused ({reason}; {why}). Choose another action."
        reply = await self._ask_human(
            step, HumanRequest("confirm", f"Allow this step? {reason}.", action.to_json())
        )
        if reply.approved:
            return ""
        said = f" The user said: {reply.text}" if reply.text else ""
        return f"The user declined the action {action.describe()} ({reason}).{said} Choose another action."

    async def _ask_human(self, step: int, request: HumanRequest) -> HumanReply:
        self.bus.publish(
            EventType.HUMAN_REQUESTED,
            {"kind": request.kind, "prompt": request.prompt, "action": request.action},
            step=step,
        )
        if self.human is None:
            reply = HumanReply(text="(nobody is available to answer; carry on without it)", approved=False)
        else:
            try:
                reply = await asyncio.wait_for(self.human.request(request), self.config.human_timeout_s)
            except TimeoutError:
                raise HumanTimeout(f"nobody answered within {self.config.human_timeout_s:g} s") from None
        self.bus.publish(
            EventType.HUMAN_REPLIED,
            {"kind": request.kind, "text": reply.text, "approved": reply.approved},
            step=step,
        )
        return reply

    async def _reflect(self, step: int, before: Screen, after: Screen, diff: float) -> ReflectorResult | None:
        state = self.bus.state
        note = ""
        for attempt in range(1, 3):
            msgs = reflector.build_messages(state, before.image, after.image, after.frame, change=diff)
            if note:
                user = msgs[-1]
                text = user.text() + "\n" + common.retry_section(note)
                msgs[-1] = Message("user", [TextPart(text), *(ImagePart(im) for im in user.images())])
            response = await self._call("reflector", msgs, step)
            result = reflector.parse(response.text)
            if isinstance(result, ParseFailure):
                self._parse_error(step, result, attempt)
                note = result.reason
                continue
            assert isinstance(result, ReflectorResult)
            return result
        return None

    async def _note(self, step: int, after: Screen) -> NotetakerResult | None:
        msgs = notetaker.build_messages(self.bus.state, after.image, after.frame)
        response = await self._call("notetaker", msgs, step)
        result = notetaker.parse(response.text)
        if isinstance(result, ParseFailure):
            self._parse_error(step, result, 1)
            return None
        assert isinstance(result, NotetakerResult)
        return result

    # ------------------------------------------------------------------ execution

    async def _execute(self, action: Any, frame: Frame) -> list[tuple[int, int]]:
        points = [frame.to_device(x, y) for x, y in action.points()]
        d = self.device
        if isinstance(action, Click):
            await self._device("tap", d.tap(*points[0]))
        elif isinstance(action, LongPress):
            await self._device("long press", d.long_press(*points[0], action.time))
        elif isinstance(action, Swipe):
            await self._device("swipe", d.swipe(*points[0], *points[1], action.time))
        elif isinstance(action, Type):
            await self._device("type", d.type_text(action.text))
        elif isinstance(action, Key):
            await self._device("key", d.key(action.text))
        elif isinstance(action, SystemButton):
            if action.button == "Back":
                await self._device("back", d.back())
            elif action.button == "Home":
                await self._device("home", d.home())
            else:
                await self._device(action.button.lower(), d.key(action.button.lower()))
        elif isinstance(action, Open):
            await self._device("open app", d.open_app(action.text))
        elif isinstance(action, Wait):
            t0 = time.perf_counter()
            await asyncio.sleep(action.time)  # the model asked to wait: that is settle time
            self._clock.settle_s += time.perf_counter() - t0
        return points

    # ------------------------------------------------------------------ the loop

    def _end_step(self, step: int, outcome: str, changed: bool | None, diff: float | None) -> None:
        timing = self._clock.as_dict()
        self._step_timings.append({"step": step, **timing})
        self._totals["device_s"] += self._clock.device_s
        self._totals["settle_s"] += self._clock.settle_s
        self.bus.publish(
            EventType.STEP_FINISHED,
            {"outcome": outcome, "changed": changed, "diff": diff, "timings": timing},
            step=step,
        )

    def _check_failures(self, step: int) -> None:
        cfg = self.config
        failures = self.bus.state.consecutive_failures
        if failures >= cfg.fail_after_failures:
            raise _Stop(_End("failed", f"{failures} steps in a row failed", "too_many_failures"))
        if (
            cfg.mode == "multi"
            and failures >= cfg.escalate_after_failures
            and failures % cfg.escalate_after_failures == 0
        ):
            if not self.bus.state.escalate:
                self.bus.publish(
                    EventType.ESCALATION,
                    {
                        "reason": f"The last {failures} actions failed (wrong page or no change).",
                        "kind": "failures",
                    },
                    step=step,
                )

    def _check_loop(self, step: int, action: Any, changed: bool, before: Screen) -> None:
        """Two measured loop rules; each escalates to the Manager first, then fails the task.

        1. The same action N times in a row with no measured screen change.
        2. The same action on the same screen N times in the run (a cycle such as
           open X -> wrong page -> Back -> open X ...), whatever happened in between.
        """
        n = self.config.loop_threshold
        sig = json.dumps(action.to_json(), sort_keys=True)
        key = (before.key if before.key is not None else screen_key(before.raw), sig)
        seen = self._seen[key] = self._seen.get(key, 0) + 1
        if changed:
            self._repeat = 0
            self._loop_escalated = False
        elif sig == self._last_sig:
            self._repeat += 1
        else:
            self._repeat = 1
        self._last_sig = sig
        if self._repeat >= n:
            what = f"{action.describe()} was repeated {self._repeat} times and the screen did not change"
            if self._loop_escalated or self.config.mode == "single":
                raise _Stop(_End("failed", f"stuck in a loop: {what}", "stuck"))
            self._loop_escalated = True
            self._cycle_escalated.add(key)
            self._repeat = 0
            self.bus.publish(
                EventType.ESCALATION,
                {"reason": f"The agent may be stuck: {what}.", "kind": "loop"},
                step=step,
            )
            return
        if seen >= n:
            what = f"{action.describe()} was done {seen} times on the same screen"
            if seen >= 2 * n:
                raise _Stop(_End("failed", f"stuck in a cycle: {what}", "stuck"))
            if key not in self._cycle_escalated and self.config.mode == "multi":
                self._cycle_escalated.add(key)
                self.bus.publish(
                    EventType.ESCALATION,
                    {"reason": f"The agent may be going in circles: {what}.", "kind": "cycle"},
                    step=step,
                )

    async def _steps(self) -> _End:
        cfg = self.config
        screen = await self._capture()
        for step in range(1, self.max_steps + 1):
            self.steps = step
            self._clock = _StepClock()
            self.bus.publish(EventType.STEP_STARTED, {"step": step}, step=step)
            self._publish_screen(step, "before", screen)
            if cfg.mode == "multi":
                await self._manager(step, screen)
                if self.bus.state.finished:
                    self._end_step(step, "finished", None, None)
                    return _End("succeeded", "the Manager marked the task finished", claimed=True)
            proposal = await self._propose(step, screen)
            if proposal is None:
                self._end_step(step, "C", None, None)
                self._check_failures(step)
                continue
            action = proposal.action
            role = "single" if cfg.mode == "single" else "worker"

            if isinstance(action, Answer):
                self.bus.publish(
                    EventType.ACTION_EXECUTED, {"action": action.to_json(), "device_points": []}, step=step
                )
                self.bus.publish(EventType.ANSWER, {"text": action.text}, step=step, role=role)
                self._end_step(step, "A", None, None)
                return _End("succeeded", "the agent answered", claimed=True)
            if isinstance(action, Terminate):
                self.bus.publish(
                    EventType.ACTION_EXECUTED, {"action": action.to_json(), "device_points": []}, step=step
                )
                self._end_step(step, "A" if action.status == "success" else "C", None, None)
                if action.status == "success":
                    return _End("succeeded", "the agent reported the task done", claimed=True)
                return _End("failed", "the agent gave up (terminate: failure)", "agent_gave_up")
            if isinstance(action, Ask):
                reply = await self._ask_human(step, HumanRequest("question", action.text, action.to_json()))
                self.bus.publish(
                    EventType.ACTION_EXECUTED, {"action": action.to_json(), "device_points": []}, step=step
                )
                outcome = "A" if reply.approved and reply.text else "C"
                self.bus.publish(
                    EventType.REFLECTION,
                    {"outcome": outcome, "error": "" if outcome == "A" else "no answer", "source": "human"},
                    step=step,
                )
                self._end_step(step, outcome, False, 0.0)
                self._check_failures(step)
                continue

            try:
                check_in_frame(action, screen.frame)
                t0 = time.perf_counter()
                points = await self._execute(action, screen.frame)
            except (ActionError, DeviceError) as exc:
                if isinstance(exc, DeviceError) and not _recoverable(exc):
                    raise
                self.bus.publish(
                    EventType.ACTION_FAILED, {"action": action.to_json(), "error": str(exc)}, step=step
                )
                self._end_step(step, "C", None, None)
                self._check_failures(step)
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
            after = await self._settle(screen.raw)
            diff = after.diff if after.diff is not None else screen_difference(screen.raw, after.raw)
            changed = diff > cfg.change_threshold
            self._publish_screen(step, "after", after)
            self.bus.publish(EventType.SCREEN_DIFF, {"changed": changed, "diff": round(diff, 6)}, step=step)

            if cfg.mode == "multi":
                jobs: list[Any] = [self._reflect(step, screen, after, diff)]
                if cfg.notetaker and changed:
                    jobs.append(self._note(step, after))
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
                outcome = data["outcome"]
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
            self._check_loop(step, action, changed, screen)
            self._check_failures(step)
            screen = after
        return _End("failed", f"step budget of {self.max_steps} steps used up", "step_budget")
