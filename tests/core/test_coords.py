"""smart_resize and frame mapping, property-based, at every pixel budget and in both model frames."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from mobile_agent.coords import MAX_PIXELS, MIN_PIXELS, Frame, image_tokens, prepare_image, smart_resize

sizes = st.tuples(st.integers(320, 3200), st.integers(320, 3200))


def test_known_phone_size() -> None:
    assert smart_resize(2400, 1080) == (2408, 1092)
    assert image_tokens(2408, 1092) == 86 * 39


@given(sizes, st.integers(MIN_PIXELS, 4 * MIN_PIXELS), st.integers(400_000, MAX_PIXELS))
def test_smart_resize_rules(size: tuple[int, int], lo: int, hi: int) -> None:
    w, h = size
    rh, rw = smart_resize(h, w, min_pixels=lo, max_pixels=hi)
    assert rh % 28 == 0 and rw % 28 == 0
    assert rh * rw <= hi
    assert rh * rw >= min(lo, hi) or rh * rw >= 28 * 28


# Reduced budgets (a 500k-pixel image of a 1080x2400 screen is ~2.3x coarser) are where a
# back-mapping drift shows; the default budget keeps a phone screen at ~1:1 and hides it.
budgets = st.one_of(
    st.sampled_from([250_000, 500_000, 1_000_000, MAX_PIXELS]), st.integers(50_000, MAX_PIXELS)
)
kinds = st.sampled_from(["resized", "norm1000"])


def _frame(size: tuple[int, int], budget: int, kind: str) -> tuple[Frame, float, float]:
    """The frame `prepare_image` builds, and model units per device pixel on each axis."""
    w, h = size
    rh, rw = smart_resize(h, w, max_pixels=budget)
    frame = Frame(kind, (rw, rh), (w, h))  # type: ignore[arg-type]
    mw, mh = (1000, 1000) if kind == "norm1000" else (rw, rh)
    return frame, mw / w, mh / h


@settings(max_examples=400)
@given(sizes, budgets, kinds, st.data())
def test_device_pixel_maps_back_to_itself_exactly(
    size: tuple[int, int], budget: int, kind: str, data: st.DataObject
) -> None:
    """Pixel coordinates name pixel centres; the map is the linear scale image <-> screen.

    So device pixel (x, y) is the model point (x * mw / w, y * mh / h), computed here from the
    frame's sizes (not by `from_device`), and `to_device` must round it back to exactly (x, y).
    """
    w, h = size
    frame, sx, sy = _frame(size, budget, kind)
    x, y = data.draw(st.integers(0, w - 1)), data.draw(st.integers(0, h - 1))
    mx, my = x * sx, y * sy
    assert frame.from_device(x, y) == pytest.approx((mx, my), abs=1e-9)
    assert frame.to_device(mx, my) == (x, y)


@settings(max_examples=400)
@given(sizes, budgets, kinds, st.data())
def test_integer_model_point_maps_to_the_nearest_device_pixel(
    size: tuple[int, int], budget: int, kind: str, data: st.DataObject
) -> None:
    """A model answers integers: each must land on the device pixel nearest its exact preimage.

    Exact to the pixel: a truncating map, or one off by a pixel anywhere, leaves a point more
    than half a pixel from where it belongs.
    """
    w, h = size
    frame, sx, sy = _frame(size, budget, kind)
    limit_x, limit_y = (1000, 1000) if kind == "norm1000" else frame.image_size
    mx, my = data.draw(st.integers(0, limit_x)), data.draw(st.integers(0, limit_y))
    dx, dy = frame.to_device(mx, my)
    ex, ey = mx / sx, my / sy  # the exact device point, unrounded
    assert 0 <= dx < w and abs(dx - min(ex, w - 1)) <= 0.5 + 1e-9
    assert 0 <= dy < h and abs(dy - min(ey, h - 1)) <= 0.5 + 1e-9


@settings(max_examples=400)
@given(sizes, budgets, kinds, st.data())
def test_model_answer_for_a_device_pixel_is_within_half_a_model_unit(
    size: tuple[int, int], budget: int, kind: str, data: st.DataObject
) -> None:
    """The best integer answer for device pixel x maps back within ceil(s/2) px (s device px per
    model unit): exactly x when the model frame is at least as fine as the screen."""
    w, h = size
    frame, sx, sy = _frame(size, budget, kind)
    x, y = data.draw(st.integers(0, w - 1)), data.draw(st.integers(0, h - 1))
    dx, dy = frame.to_device(round(x * sx), round(y * sy))
    assert abs(dx - x) <= math.ceil(1 / sx / 2) and abs(dy - y) <= math.ceil(1 / sy / 2)
    if sx >= 1:
        assert dx == x
    if sy >= 1:
        assert dy == y


@settings(max_examples=40, deadline=None)
@given(st.tuples(st.integers(320, 1600), st.integers(320, 1600)), budgets, kinds)
def test_prepare_image_frame_is_the_image_sent(size: tuple[int, int], budget: int, kind: str) -> None:
    """The frame's image size is the size of the image actually sent, at any budget."""
    img, frame = prepare_image(Image.new("RGB", size), kind=kind, max_pixels=budget)  # type: ignore[arg-type]
    rh, rw = smart_resize(size[1], size[0], max_pixels=budget)
    assert img.size == frame.image_size == (rw, rh)
    assert frame.device_size == size and frame.kind == kind
    assert img.size[0] * img.size[1] <= budget


def test_prepare_image_frame_is_exact_image_size() -> None:
    img, frame = prepare_image(Image.new("RGB", (1080, 2400)))
    assert img.size == (1092, 2408) == frame.image_size
    assert frame.device_size == (1080, 2400)
    assert frame.to_device(546, 1204) == (540, 1200)
    small, f2 = prepare_image(Image.new("RGB", (1080, 2400)), max_pixels=1_000_000)
    assert small.size == f2.image_size and small.size[0] * small.size[1] <= 1_000_000
    assert "1092x2408" in frame.describe()
    assert "0-1000" in Frame("norm1000", (1092, 2408), (1080, 2400)).describe()
