"""A small real runner for API plumbing tests that need no phone or model.

It publishes the events the real Agent publishes, writes real PNG screenshots into the run
directory, honours cancel and asks the human channel when told to. End-to-end tests use the
real Agent with virtual phones and the stub model instead (test_e2e_*.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from mobile_agent.api.worker import TaskContext, TaskOutcome
from mobile_agent.bus import EventType
from mobile_agent.human import HumanRequest


def png(step: int, phase: str, size: tuple[int, int] = (270, 600)) -> bytes:
    img = Image.new("RGB", size, (30 + step * 20 % 200, 60, 90 if phase == "before" else 160))
    ImageDraw.Draw(img).text((10, 10), f"step {step} {phase}", fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class ScriptedRunner:
    steps: int = 3
    step_s: float = 0.05
    confirm_at: int | None = None
    log: list[tuple[str, str, float, float]] = field(default_factory=list)  # task, serial, start, end

    async def __call__(self, ctx: TaskContext) -> TaskOutcome:
        start = asyncio.get_running_loop().time()
        bus = ctx.bus
        bus.publish(EventType.TASK_STARTED, {"instruction": ctx.task.instruction, "device": ctx.serial})
        steps_dir = ctx.out_dir / "steps"
        steps_dir.mkdir(parents=True, exist_ok=True)
        try:
            for step in range(1, min(self.steps, ctx.max_steps) + 1):
                if ctx.cancel.is_set():
                    return TaskOutcome("cancelled", reason="cancelled by request", steps=step - 1)
                bus.publish(EventType.STEP_STARTED, step=step)
                for phase in ("before", "after"):
                    data = png(step, phase)
                    name = f"steps/{step:03d}-{phase}.png"
                    (ctx.out_dir / name).write_bytes(data)
                    if phase == "before":
                        bus.publish(
                            EventType.SCREEN,
                            {"phase": phase, "file": name, "width": 270, "height": 600},
                            step=step,
                            blobs={"png": data},
                        )
                        action = {"type": "click", "coordinate": [100, 200]}
                        bus.publish(
                            EventType.ACTION_PROPOSED,
                            {"thought": f"tap thing {step}", "action": action, "description": "tap"},
                            step=step,
                            role="worker",
                        )
                        if self.confirm_at == step:
                            bus.publish(
                                EventType.HUMAN_REQUESTED,
                                {"kind": "confirm", "prompt": "Send it?", "action": action},
                                step=step,
                            )
                            reply = await ctx.human.request(HumanRequest("confirm", "Send it?", action))
                            bus.publish(
                                EventType.HUMAN_REPLIED,
                                {"text": reply.text, "approved": reply.approved},
                                step=step,
                            )
                            if not reply.approved:
                                return TaskOutcome("failed", reason="the user refused", steps=step)
                        bus.publish(
                            EventType.ACTION_EXECUTED,
                            {"action": action, "device_points": [[100, 200]], "duration_s": 0.01},
                            step=step,
                        )
                    else:
                        bus.publish(
                            EventType.SCREEN,
                            {"phase": phase, "file": name, "width": 270, "height": 600},
                            step=step,
                            blobs={"png": data},
                        )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ctx.cancel.wait(), self.step_s)
            bus.publish(EventType.ANSWER, {"text": "done"})
            return TaskOutcome("succeeded", reason="finished", answer="done", steps=self.steps)
        finally:
            self.log.append((ctx.task.id, ctx.serial, start, asyncio.get_running_loop().time()))


def fake_devices(serials: Sequence[str]):  # type: ignore[no-untyped-def]
    """A device lister for plumbing tests (the e2e tests use the adb server)."""
    from mobile_agent.api.devices import AdbEntry

    async def lister() -> list[AdbEntry]:
        return [AdbEntry(s, "device", "Scripted") for s in serials]

    return lister
