"""smart_resize and frame mapping, property-based: round trips stay within 1 px / 1 unit."""

from __future__ import annotations

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


@settings(max_examples=300)
@given(sizes, st.data())
def test_device_to_resized_to_device_within_1px(size: tuple[int, int], data: st.DataObject) -> None:
    w, h = size
    rh, rw = smart_resize(h, w)
    frame = Frame("resized", (rw, rh), (w, h))
    x = data.draw(st.integers(0, w - 1))
    y = data.draw(st.integers(0, h - 1))
    mx, my = frame.from_device(x, y)
    # the model answers in integers of the resized image
    dx, dy = frame.to_device(round(mx), round(my))
    assert abs(dx - x) <= max(1, round(w / rw)) and abs(dy - y) <= max(1, round(h / rh))
    # unrounded, the round trip is exact to the pixel
    assert frame.to_device(mx, my) == (x, y)


@settings(max_examples=300)
@given(sizes, st.sampled_from(["resized", "norm1000"]), st.data())
def test_model_point_to_device_to_model_within_1_unit(
    size: tuple[int, int], kind: str, data: st.DataObject
) -> None:
    w, h = size
    rh, rw = smart_resize(h, w)
    frame = Frame(kind, (rw, rh), (w, h))  # type: ignore[arg-type]
    limit_x, limit_y = (1000, 1000) if kind == "norm1000" else (rw - 1, rh - 1)
    mx = data.draw(st.integers(0, limit_x))
    my = data.draw(st.integers(0, limit_y))
    dx, dy = frame.to_device(mx, my)
    assert 0 <= dx < w and 0 <= dy < h
    bx, by = frame.from_device(dx, dy)
    # one device pixel is at most one model unit here (the device is at least as fine)
    unit_x = max(1.0, (1000 / w if kind == "norm1000" else rw / w))
    unit_y = max(1.0, (1000 / h if kind == "norm1000" else rh / h))
    assert abs(bx - mx) <= unit_x + 1e-9 and abs(by - my) <= unit_y + 1e-9


def test_prepare_image_frame_is_exact_image_size() -> None:
    img, frame = prepare_image(Image.new("RGB", (1080, 2400)))
    assert img.size == (1092, 2408) == frame.image_size
    assert frame.device_size == (1080, 2400)
    assert frame.to_device(546, 1204) == (540, 1200)
    small, f2 = prepare_image(Image.new("RGB", (1080, 2400)), max_pixels=1_000_000)
    assert small.size == f2.image_size and small.size[0] * small.size[1] <= 1_000_000
    assert "1092x2408" in frame.describe()
    assert "0-1000" in Frame("norm1000", (1092, 2408), (1080, 2400)).describe()
