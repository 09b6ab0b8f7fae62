"""Observation: timed device calls, screen capture, settling, and the measured screen change.

Every device call the loop makes goes through `Observer.device_call`, which counts device time
and turns adbutils/socket errors into typed `DeviceError`s. A capture resizes the screenshot the
way the model's processor would, PNG-encodes it and fingerprints it off the event loop.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from PIL import Image

from mobile_agent.bus import Bus, EventType
from mobile_agent.config import AgentConfig
from mobile_agent.coords import Frame, prepare_image
from mobile_agent.device.base import Device, DeviceError
from mobile_agent.device.settle import frame_difference, wait_until_stable
from mobile_agent.llm.base import ModelError
from mobile_agent.loop.result import Meter

__all__ = ["STATUS_BAR_SHARE", "Observer", "Screen", "screen_difference", "screen_key"]

T = TypeVar("T")


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
    """The observer's screenshot call in the shape `wait_until_stable` takes."""

    capture: Callable[[], Awaitable[Image.Image]]

    async def screenshot(self) -> Image.Image:
        return await self.capture()


class Observer:
    """Looks at the device for the loop: timed calls, captures, settle waits, screen events."""

    def __init__(self, device: Device, config: AgentConfig, bus: Bus, meter: Meter) -> None:
        self.device = device
        self.config = config
        self.bus = bus
        self.meter = meter
        self._tree: asyncio.Task[None] | None = None

    async def device_call(self, what: str, call: Awaitable[T]) -> T:
        """Await one device call, counting its time; foreign errors become `DeviceError`."""
        t0 = time.perf_counter()
        try:
            return await call
        except DeviceError:
            raise
        except (asyncio.CancelledError, ModelError):
            raise
        except Exception as exc:  # adbutils / socket errors become typed device errors
            raise DeviceError(f"{what} failed: {exc}") from exc
        finally:
            self.meter.clock.device_s += time.perf_counter() - t0

    async def screenshot(self) -> Image.Image:
        return await self.device_call("screenshot", self.device.screenshot())

    async def ui_tree(self) -> str:
        return await self.device_call("ui dump", self.device.ui_tree())

    def _prepare(self, raw: Image.Image, before: Image.Image | None = None) -> Screen:
        """Resize for the model, encode the PNG, fingerprint, measure the change (worker thread)."""
        cfg = self.config
        image, frame = prepare_image(
            raw, cfg.frame, min_pixels=cfg.min_pixels, max_pixels=cfg.max_pixels, factor=cfg.image_factor
        )
        screen = Screen(raw=raw, image=image, frame=frame)
        _ = screen.png
        screen.key = screen_key(raw)
        if before is not None:
            screen.diff = screen_difference(before, raw)
        return screen

    async def capture(self) -> Screen:
        raw = await self.screenshot()
        return await asyncio.to_thread(self._prepare, raw)

    async def settle(self, before: Image.Image) -> Screen:
        """Screenshots until two consecutive ones match (or the timeout passes), no fixed sleep.

        Each candidate frame is resized and PNG-encoded in a worker thread while the next one is
        taken, so when the screen is found stable its model image is (nearly) ready: that work
        hides inside the wait instead of adding to the step. Only the wait until stability is
        counted as settle time; anything still pending after it counts as framework overhead.
        """
        clock = self.meter.clock
        t0 = time.perf_counter()
        device_before = clock.device_s
        jobs: list[asyncio.Future[Screen]] = []

        def prepare(frame: Image.Image) -> None:
            jobs.append(asyncio.ensure_future(asyncio.to_thread(self._prepare, frame, before)))

        try:
            await wait_until_stable(
                _Shots(self.screenshot),  # device errors typed, device time counted
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
            clock.device_s = device_before
            clock.settle_s += time.perf_counter() - t0
        return await jobs[-1]

    def record_tree(self, step: int) -> None:
        """Dump the UI tree beside the step's screenshot, in the background (hidden behind the
        model calls); await it before the step's action changes the screen. The tree is what a
        replay checks the screen against; a device without a UI dump simply records none."""
        if not self.config.record_ui_tree:
            return

        async def dump() -> None:
            try:
                xml = await asyncio.wait_for(
                    self.device.ui_tree(), timeout=max(5.0, self.config.settle_timeout_s)
                )
            except Exception:  # no tree recorded: the step is still fine, only not replayable
                return
            if not self.bus.closed:
                self.bus.publish(
                    EventType.UI_TREE,
                    {"phase": "before", "file": f"steps/{step:03d}-before.xml"},
                    step=step,
                    blobs={"xml": xml.encode("utf-8")},
                )

        if self._tree is not None:  # the last step's dump, if still running, is of no use now
            self._tree.cancel()
        self._tree = asyncio.create_task(dump(), name=f"ui-tree-{step}")

    def cancel_tree(self) -> None:
        """The run has ended: a dump still running is dropped."""
        if self._tree is not None:
            self._tree.cancel()

    async def tree_recorded(self) -> None:
        """Wait for the step's UI tree dump (it never raises) before the screen changes."""
        if self._tree is not None:
            await self._tree
            self._tree = None

    def publish(self, step: int, phase: str, screen: Screen) -> None:
        """A `screen` event with the PNG as a blob (the run directory writes it to steps/)."""
        name = f"steps/{step:03d}-{phase}.png"
        self.bus.publish(
            EventType.SCREEN,
            {"phase": phase, "file": name, "width": screen.raw.width, "height": screen.raw.height},
            step=step,
            blobs={"png": screen.png},
        )
