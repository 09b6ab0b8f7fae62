"""Actuation: the one table from action type to device call; the only place actions meet a device.

Each action model in `mobile_agent.actions` has exactly one entry here (a test checks it): a
function that turns the action and its points (already in device pixels) into the `DeviceCall`
to await, or `None` for actions that never touch the device (`answer`, `ask`, `terminate`: the
loop handles those itself). The step loop and the benchmark's drive tool both go through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from mobile_agent.actions import (
    Action,
    ActionError,
    ActionModel,
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
    action_name,
)
from mobile_agent.coords import Frame
from mobile_agent.device.base import DeviceError
from mobile_agent.device.keys import UnknownKey

__all__ = [
    "ACTUATION",
    "Actuated",
    "DeviceCall",
    "DevicePoint",
    "actuate",
    "device_call",
    "device_points",
    "recoverable",
]

DevicePoint = tuple[int, int]


class Actuated(Protocol):
    """The part of `device.base.Device` that actions use (the drive tool's shell device has only this)."""

    async def tap(self, x: int, y: int) -> None: ...
    async def long_press(self, x: int, y: int, duration_s: float = 1.0) -> None: ...
    async def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_s: float | None = None) -> None: ...
    async def type_text(self, text: str) -> None: ...
    async def key(self, name: str) -> None: ...
    async def back(self) -> None: ...
    async def home(self) -> None: ...
    async def open_app(self, name: str) -> str: ...


@dataclass(frozen=True)
class DeviceCall:
    """One call to await: `what` names it in errors; `waits` marks a wait the model asked for
    (settle time, not device time)."""

    what: str
    call: Awaitable[Any]
    waits: bool = False


A = TypeVar("A")
AM = TypeVar("AM", bound=ActionModel)
Entry = Callable[[Actuated, A, list[DevicePoint]], DeviceCall]

ACTUATION: dict[type[ActionModel], Entry[Any] | None] = {}
"""Action model -> its device call; `None`: the action never touches the device."""


def _entry(cls: type[AM]) -> Callable[[Entry[AM]], Entry[AM]]:
    def register(fn: Entry[AM]) -> Entry[AM]:
        ACTUATION[cls] = fn
        return fn

    return register


@_entry(Click)
def _click(d: Actuated, a: Click, p: list[DevicePoint]) -> DeviceCall:
    return DeviceCall("tap", d.tap(*p[0]))


@_entry(LongPress)
def _long_press(d: Actuated, a: LongPress, p: list[DevicePoint]) -> DeviceCall:
    return DeviceCall("long press", d.long_press(*p[0], a.time))


@_entry(Swipe)
def _swipe(d: Actuated, a: Swipe, p: list[DevicePoint]) -> DeviceCall:
    return DeviceCall("swipe", d.swipe(*p[0], *p[1], a.time))


@_entry(Type)
def _type(d: Actuated, a: Type, p: list[DevicePoint]) -> DeviceCall:
    return DeviceCall("type", d.type_text(a.text))


@_entry(Key)
def _key(d: Actuated, a: Key, p: list[DevicePoint]) -> DeviceCall:
    return DeviceCall("key", d.key(a.text))


@_entry(SystemButton)
def _system_button(d: Actuated, a: SystemButton, p: list[DevicePoint]) -> DeviceCall:
    if a.button == "Back":
        return DeviceCall("back", d.back())
    if a.button == "Home":
        return DeviceCall("home", d.home())
    return DeviceCall(a.button.lower(), d.key(a.button.lower()))


@_entry(Open)
def _open(d: Actuated, a: Open, p: list[DevicePoint]) -> DeviceCall:
    return DeviceCall("open app", d.open_app(a.text))


@_entry(Wait)
def _wait(d: Actuated, a: Wait, p: list[DevicePoint]) -> DeviceCall:
    return DeviceCall("wait", asyncio.sleep(a.time), waits=True)


ACTUATION.update({Answer: None, Ask: None, Terminate: None})


def device_points(action: Action, frame: Frame) -> list[DevicePoint]:
    """The action's points mapped from the model's frame to device pixels."""
    return [frame.to_device(x, y) for x, y in action.points()]


def device_call(device: Actuated, action: Action, points: list[DevicePoint]) -> DeviceCall | None:
    """The call that performs `action` on `device` (not yet awaited), or None for non-device actions."""
    entry = ACTUATION[type(action)]
    return entry(device, action, points) if entry is not None else None


async def actuate(device: Actuated, action: Action, points: list[DevicePoint]) -> None:
    """Perform `action` on `device`; `ActionError` for an action that does not act on a device."""
    call = device_call(device, action, points)
    if call is None:
        raise ActionError(f"{action_name(type(action))} does not act on the device")
    await call.call


_RECOVERABLE_DEVICE = ("AppNotFound", "TextInputUnavailable")


def recoverable(exc: DeviceError) -> bool:
    """A device error caused by the action itself (an unknown app or key name): the step fails, not the task."""
    return type(exc).__name__ in _RECOVERABLE_DEVICE or isinstance(exc.__cause__, UnknownKey)
