"""Key table and settle maths, no device needed."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from mobile_agent.device.keys import UnknownKey, keycode
from mobile_agent.device.settle import frame_difference, frames_equal, wait_until_stable


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("back", 4),
        ("Home", 3),
        ("ENTER", 66),
        ("Enter", 66),
        ("del", 67),
        ("backspace", 67),
        ("Volume Up", 24),
        ("volume-down", 25),
        ("KEYCODE_TAB", 61),
        ("keycode_back", 4),
        ("7", 14),
        ("0", 7),
        ("a", 29),
        ("Z", 54),
        ("66", 66),
        (82, 82),
        ("menu", 82),
        ("recents", 187),
        ("volumeup", 24),
    ],
)
def test_key_names(name: str | int, code: int) -> None:
    assert keycode(name) == code


def test_unknown_keycode_names() -> None:
    assert keycode("KEYCODE_MEDIA_RECORD") == "KEYCODE_MEDIA_RECORD"  # Android resolves it
    with pytest.raises(UnknownKey, match="unknown key 'launch rockets'"):
        keycode("launch rockets")
    with pytest.raises(UnknownKey):
        keycode("KEYCODE_$(reboot)")
    with pytest.raises(UnknownKey):
        keycode(9999)


def _screen(box: tuple[int, int, int, int] | None = None) -> Image.Image:
    im = Image.new("RGB", (1080, 2400), (250, 250, 250))
    if box:
        ImageDraw.Draw(im).rectangle(box, fill=(20, 20, 20))
    return im


def test_frame_difference_measures_the_changed_area() -> None:
    a = _screen()
    assert frame_difference(a, a.copy()) == 0.0
    b = _screen((0, 0, 539, 239))  # 540x240 of 1080x2400 = 5 %
    assert frame_difference(a, b) == pytest.approx(0.05, abs=0.002)
    assert frame_difference(a, a.resize((2400, 1080))) == 1.0
    noisy = a.point(lambda v: v - 3)  # below the tolerance: the same screen
    assert frames_equal(a, noisy)
    assert not frames_equal(a, b, threshold=0.01) and frames_equal(a, b, threshold=0.06)


class _Animated:
    """Frames change for the first `moving` captures, then stay put."""

    def __init__(self, moving: int) -> None:
        self.moving = moving
        self.n = 0

    async def screenshot(self) -> Image.Image:
        self.n += 1
        k = min(self.n, self.moving)
        return _screen((0, 0, 100 * k, 100))


async def test_wait_until_stable_returns_the_settled_frame() -> None:
    dev = _Animated(moving=4)
    frame = await wait_until_stable(dev, timeout_s=2.0, interval_s=0.0)
    assert dev.n == 5 and frame_difference(frame, _screen((0, 0, 400, 100))) == 0.0


async def test_wait_until_stable_gives_up_at_the_timeout() -> None:
    dev = _Animated(moving=10**9)
    frame = await wait_until_stable(dev, timeout_s=0.3, interval_s=0.02)
    assert 3 <= dev.n < 40 and frame.size == (1080, 2400)
