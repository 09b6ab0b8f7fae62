"""Touch gestures that take as long as they last, as on a real phone.

`input swipe x1 y1 x2 y2 2000` blocks for two seconds on Android (InputShellCommand injects the
moves until the end time), and uiautomator's swipe takes 5 ms per step. The virtual phone waits
just as long, in the worker thread that runs the command, with the phone's lock released so other
connections to the same phone (and other phones) keep being served during the gesture.

A touch that stays in place for the long-press timeout (500 ms, ViewConfiguration's default)
is a long press: it fires once the timeout has passed, while the finger is still down.
"""

from __future__ import annotations

import threading
import time

from mobile_agent.sim.contract import PhoneModel

__all__ = [
    "DEFAULT_SWIPE_MS",
    "LONG_PRESS_MS",
    "MAX_GESTURE_MS",
    "drag",
    "hold",
    "key_long_press",
    "press",
    "swipe",
]

LONG_PRESS_MS = 500  # ViewConfiguration.getLongPressTimeout()
DEFAULT_SWIPE_MS = 300  # `input swipe` without a duration
MAX_GESTURE_MS = 60_000  # a bound on how long one command may hold a worker
TOUCH_SLOP = 16  # pixels a finger may drift and still be "in place" (as VirtualPhone.swipe)


def _bounded(ms: float) -> float:
    return max(0.0, min(float(ms), MAX_GESTURE_MS))


def hold(phone: PhoneModel, ms: float) -> None:
    """Wait `ms` milliseconds of gesture time without holding the phone's lock.

    A Condition on the phone's RLock releases it fully while waiting, however deeply the
    calling command holds it, and takes it back before returning.
    """
    deadline = time.monotonic() + _bounded(ms) / 1000
    cond = threading.Condition(phone.lock)
    with cond:
        while (left := deadline - time.monotonic()) > 0:
            cond.wait(left)


def press(phone: PhoneModel, x: int, y: int, duration_ms: float) -> None:
    """A finger down and up at one point: a tap, or a long press when held long enough."""
    duration_ms = _bounded(duration_ms)
    if duration_ms >= LONG_PRESS_MS:
        hold(phone, LONG_PRESS_MS)
        phone.long_press(x, y, int(duration_ms))
        hold(phone, duration_ms - LONG_PRESS_MS)
    else:
        hold(phone, duration_ms)
        phone.tap(x, y)


def swipe(
    phone: PhoneModel, x1: int, y1: int, x2: int, y2: int, duration_ms: float = DEFAULT_SWIPE_MS
) -> None:
    """A swipe that lasts `duration_ms`; one that stays in place is a press (maybe long)."""
    if abs(x2 - x1) < TOUCH_SLOP and abs(y2 - y1) < TOUCH_SLOP:
        press(phone, x1, y1, duration_ms)
        return
    hold(phone, duration_ms)
    phone.swipe(x1, y1, x2, y2, max(int(_bounded(duration_ms)), 1))


def drag(
    phone: PhoneModel, x1: int, y1: int, x2: int, y2: int, duration_ms: float = DEFAULT_SWIPE_MS
) -> None:
    """`input draganddrop`: a long press to pick up, then the move."""
    hold(phone, LONG_PRESS_MS)
    hold(phone, duration_ms)
    phone.swipe(x1, y1, x2, y2, max(int(_bounded(duration_ms)), 1))


def key_long_press(phone: PhoneModel, code: int) -> None:
    """`input keyevent --longpress`: the key is held for the long-press timeout."""
    hold(phone, LONG_PRESS_MS)
    phone.key(code)
