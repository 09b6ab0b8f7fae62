"""The run directory writer and the self-contained report, from real bus events."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from PIL import Image

from mobile_agent.bus import Bus, EventType
from mobile_agent.eventlog import read_events
from mobile_agent.report import write_report
from mobile_agent.trajectory import TrajectoryWriter, new_run_dir, slugify


def png(color: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (1080, 2400), color).save(buf, "PNG")
    return buf.getvalue()


def test_run_dir_name(tmp_path: Path) -> None:
    run = new_run_dir(tmp_path, "Turn on Wi-Fi, please!")
    assert re.fullmatch(r"\d{8}-\d{6}-turn-on-wi-fi-please-[0-9a-f]{6}", run.name)
    assert (run / "steps").is_dir()
    assert slugify("???") == "task" and len(slugify("x" * 100)) <= 32


def test_writer_records_events_screens_result_and_report(tmp_path: Path) -> None:
    bus = Bus()
    writer = TrajectoryWriter(tmp_path / "run", meta={"instruction": "Swipe", "device": "emu"})
    bus.subscribe(writer)
    bus.publish(EventType.TASK_STARTED, {"instruction": "Swipe", "mode": "multi"})
    bus.publish(EventType.STEP_STARTED, {"step": 1}, step=1)
    bus.publish(
        EventType.SCREEN,
        {"phase": "before", "file": "steps/001-before.png"},
        step=1,
        blobs={"png": png("white")},
    )
    # events are on disk as they come, before the run ends
    assert len((tmp_path / "run" / "events.jsonl").read_text().splitlines()) == 3
    bus.publish(
        EventType.ACTION_PROPOSED,
        {"thought": "scroll <down>", "action": {"action": "swipe"}, "description": "see more"},
        step=1,
        role="worker",
    )
    bus.publish(
        EventType.ACTION_EXECUTED,
        {
            "action": {"action": "swipe"},
            "device_points": [[540, 1800], [540, 600]],
            "device_size": [1080, 2400],
        },
        step=1,
    )
    bus.publish(
        EventType.SCREEN,
        {"phase": "after", "file": "steps/001-after.png"},
        step=1,
        blobs={"png": png("gray")},
    )
    bus.publish(
        EventType.REFLECTION,
        {"outcome": "C", "claimed": "A", "disagreement": True, "error": "no change"},
        step=1,
    )
    bus.publish(EventType.SCREEN, {"phase": "x", "file": "../../escape.png"}, step=1, blobs={"png": b"x"})
    bus.publish(EventType.TASK_FINISHED, {"status": "failed"})
    run = writer.finish(
        {"status": "failed", "reason": "step budget", "steps": 1, "timings": {"total_s": 1.5}}
    )
    assert not (tmp_path / "escape.png").exists()  # a file name cannot leave the run directory
    assert Image.open(run / "steps" / "001-before.png").size == (1080, 2400)
    events = read_events(run)
    assert [e["seq"] for e in events] == list(range(1, 10))
    assert all("blobs" not in e for e in events)
    result = json.loads((run / "result.json").read_text())
    assert result["status"] == "failed" and result["verified"] is None and result["device"] == "emu"
    assert result["instruction"] == "Swipe" and result["claimed_success"] is False
    html = (run / "report.html").read_text()
    assert html.count("data:image/jpeg;base64,") == 2
    assert 'class="swipe"' in html and 'x1="540" y1="1800"' in html
    assert "scroll &lt;down&gt;" in html  # escaped
    assert "the Reflector said A" in html
    assert 'src="http' not in html and "<link" not in html  # self-contained


def test_report_rebuilds_and_survives_a_torn_log(tmp_path: Path) -> None:
    run = tmp_path / "r"
    (run / "steps").mkdir(parents=True)
    (run / "events.jsonl").write_text(json.dumps({"seq": 1, "type": "task.started", "data": {}}) + "\n{torn")
    (run / "result.json").write_text(json.dumps({"status": "cancelled", "instruction": "x"}))
    assert len(read_events(run)) == 1
    html = write_report(run).read_text()
    assert "cancelled" in html
