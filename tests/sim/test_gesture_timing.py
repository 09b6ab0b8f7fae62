"""Gestures take as long as they last, as on a real phone, without stalling anyone else.

`input swipe ... 2000` blocks for two seconds on Android; uiautomator swipes take 5 ms a step.
A touch held in place for the long-press timeout (500 ms) is a long press.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import adbutils
import pytest
import uiautomator2 as u2
from sim_support import adb, phone_factory

from mobile_agent.sim import SimServer, connect_adb


def timing_factory() -> Any:
    """The phone class, with a log of the gestures it receives and when (a spy, not a patch)."""
    base = phone_factory()

    class Timing(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.log: list[tuple[str, float]] = []

        def tap(self, x: int, y: int) -> None:
            self.log.append(("tap", time.monotonic()))
            super().tap(x, y)

        def long_press(self, x: int, y: int, duration_ms: int = 600) -> None:
            self.log.append(("long_press", time.monotonic()))
            super().long_press(x, y, duration_ms)

        def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> None:
            self.log.append(("swipe", time.monotonic()))
            super().swipe(x1, y1, x2, y2, duration_ms)

        def key(self, code: int) -> None:
            self.log.append(("key", time.monotonic()))
            super().key(code)

    return Timing


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    server = SimServer(count=2, port=0, seed=11, phone_factory=timing_factory()).start()
    try:
        for serial in server.serials:
            connect_adb(serial, timeout=15)
        yield server
    finally:
        for serial in server.serials:
            subprocess.run(["adb", "disconnect", serial], capture_output=True, timeout=20, check=False)
        server.stop()


@pytest.fixture(scope="module")
def devices(sim: SimServer) -> list[adbutils.AdbDevice]:
    return [adbutils.adb.device(s) for s in sim.serials]


def _timed(func: Any, *args: Any) -> float:
    start = time.monotonic()
    func(*args)
    return time.monotonic() - start


def _events(phone: Any, since: float) -> list[tuple[str, float]]:
    return [(kind, t - since) for kind, t in phone.log if t >= since]


def test_input_swipe_blocks_for_its_duration(devices: list[adbutils.AdbDevice], sim: SimServer) -> None:
    d = devices[0]
    start = time.monotonic()
    assert d.shell2("input swipe 540 1500 540 900 1500").returncode == 0
    took = time.monotonic() - start
    assert 1.5 <= took < 4, took
    assert [k for k, _ in _events(sim.phones[0], start)] == ["swipe"]
    # without a duration: Android's default of 300 ms
    assert 0.3 <= _timed(d.shell, "input swipe 540 1500 540 900") < 2


def test_adb_cli_swipe_blocks_too(sim: SimServer) -> None:
    start = time.monotonic()
    res = adb(sim.serials[0], "shell", "input", "swipe", "540", "1500", "540", "1000", "1200")
    took = time.monotonic() - start
    assert res.returncode == 0, res.stderr
    assert 1.2 <= took < 4, took


def test_swipe_in_place_is_a_long_press_after_the_timeout(
    devices: list[adbutils.AdbDevice], sim: SimServer
) -> None:
    phone = sim.phones[0]
    start = time.monotonic()
    took = _timed(devices[0].shell, "input swipe 300 1200 305 1203 1000")
    events = _events(phone, start)
    assert [k for k, _ in events] == ["long_press"]
    assert 0.5 <= events[0][1] < 0.9  # fired at the long-press timeout, the finger still down
    assert took >= 1.0
    # a short one in place is a tap, on the finger's release
    start = time.monotonic()
    devices[0].shell("input swipe 300 1200 300 1200 200")
    events = _events(phone, start)
    assert [k for k, _ in events] == ["tap"] and events[0][1] >= 0.2


def test_draganddrop_and_keyevent_longpress_take_their_time(devices: list[adbutils.AdbDevice]) -> None:
    d = devices[0]
    assert _timed(d.shell, "input draganddrop 540 1500 540 900 400") >= 0.9  # pick-up press + move
    assert _timed(d.shell, "input keyevent --longpress KEYCODE_VOLUME_UP") >= 0.5


def test_others_stay_responsive_during_a_long_swipe(
    devices: list[adbutils.AdbDevice], sim: SimServer
) -> None:
    done = threading.Event()

    def long_swipe() -> None:
        devices[0].shell("input swipe 540 1500 540 900 3000")
        done.set()

    worker = threading.Thread(target=long_swipe)
    worker.start()
    try:
        time.sleep(0.3)  # let the swipe begin
        assert not done.is_set()
        for d in devices:  # the same phone on another connection, and the other phone
            took = _timed(d.shell, "echo ok; dumpsys window | grep -c mCurrentFocus")
            assert took < 1.0, took
            assert d.shell("getprop ro.product.model")
        assert not done.is_set()
    finally:
        worker.join(timeout=10)
    assert done.is_set()


def test_u2_swipe_drag_and_long_click_last_as_long(sim: SimServer) -> None:
    d = u2.connect(sim.serials[1])
    phone = sim.phones[1]
    d.settings["operation_delay"] = (0, 0)
    took = _timed(d.swipe, 540, 1500, 540, 900, 1.5)
    assert 1.5 <= took < 4, took
    took = _timed(d.drag, 540, 1500, 540, 900, 0.5)
    assert took >= 1.0, took  # the long press that picks up, then the move
    start = time.monotonic()
    took = _timed(d.long_click, 300, 1200, 1.0)
    assert took >= 1.0, took
    events = _events(phone, start)
    assert [k for k, _ in events] == ["long_press"] and events[0][1] >= 0.5
    assert _timed(d.click, 300, 1200) < 0.5


def test_many_long_swipes_on_one_phone_do_not_stall_another() -> None:
    """40 open `input swipe ... 5000` on one phone used up the workers every phone shared."""
    server = SimServer(count=2, port=0, seed=23).start()
    streams: list[Any] = []
    try:
        for serial in server.serials:
            connect_adb(serial, timeout=15)
        busy, other = (adbutils.adb.device(s) for s in server.serials)
        # each stream is open (the phone has taken the command) once shell(stream=True) returns
        streams = [busy.shell("input swipe 100 1200 100 1210 5000", stream=True) for _ in range(40)]
        took = _timed(other.shell, "echo ok")
        assert took < 2.0, took
        took = _timed(lambda: u2.connect(server.serials[1]).info)
        assert took < 4.0, took
    finally:
        for stream in streams:
            stream.close()
        for serial in server.serials:
            subprocess.run(["adb", "disconnect", serial], capture_output=True, timeout=20, check=False)
        server.stop()


def test_duration_is_parsed_as_android_does(devices: list[adbutils.AdbDevice]) -> None:
    """Integer.parseInt: a duration past 2**31 (or 1.5, 1e3) is invalid; it held a worker for a minute."""
    d = devices[1]
    for bad in ("99999999999999999999999", "2147483648", "1.5", "1e3", "nan", "Infinity"):
        start = time.monotonic()
        r = d.shell2(f"input swipe 540 1500 540 900 {bad}", timeout=10)
        assert r.returncode == 1 and "Invalid arguments for command: swipe" in r.output, (bad, r)
        assert time.monotonic() - start < 2, bad
    assert d.shell2("input draganddrop 540 1500 540 900 1e30", timeout=10).returncode == 1
    assert 0.3 <= _timed(d.shell, "input swipe 540 1500 540 900 -5") < 2  # negative: the default
