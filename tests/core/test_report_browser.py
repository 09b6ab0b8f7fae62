"""The run report in a real browser: the tap marker lands on the tapped pixel of the screenshot."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ci_guard import skip_or_fail
from PIL import Image

from mobile_agent.bus import Bus, EventType
from mobile_agent.trajectory import TrajectoryWriter

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def page() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        skip_or_fail(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


def _png(color: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (1080, 2400), color).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("point", [(941, 2122), (100, 150), (540, 1200)])
def test_tap_marker_sits_on_the_tapped_point(tmp_path: Path, page: Any, point: tuple[int, int]) -> None:
    bus = Bus()
    writer = TrajectoryWriter(tmp_path, {"instruction": "tap it"})
    bus.subscribe(writer)
    bus.publish(EventType.TASK_STARTED, {"instruction": "tap it", "mode": "multi"})
    bus.publish(EventType.STEP_STARTED, {}, step=1)
    for phase, color in (("before", "white"), ("after", "gray")):
        if phase == "after":
            bus.publish(
                EventType.ACTION_EXECUTED,
                {
                    "action": {"action": "click", "coordinate": list(point)},
                    "device_points": [list(point)],
                    "device_size": [1080, 2400],
                },
                step=1,
            )
        bus.publish(
            EventType.SCREEN,
            {"phase": phase, "file": f"steps/001-{phase}.png", "width": 1080, "height": 2400},
            step=1,
            blobs={"png": _png(color)},
        )
    writer.finish({"status": "succeeded", "steps": 1})

    page.goto((tmp_path / "report.html").as_uri())
    img = page.locator("#step-1 img").first.bounding_box()
    ring = page.locator("#step-1 circle.tap").bounding_box()
    assert img is not None and ring is not None
    cx = ring["x"] + ring["width"] / 2
    cy = ring["y"] + ring["height"] / 2
    # Where the point falls on the displayed image, within 2 CSS pixels.
    assert abs(cx - (img["x"] + img["width"] * point[0] / 1080)) <= 2
    assert abs(cy - (img["y"] + img["height"] * point[1] / 2400)) <= 2
