"""The runner's measured "did the screen change": small edits count, the status bar does not."""

from __future__ import annotations

import re

from PIL import ImageDraw

from mobile_agent.config import AgentConfig
from mobile_agent.loop.observe import screen_difference, screen_key
from mobile_agent.sim.phone import VirtualPhone


def _tap_id(phone: VirtualPhone, rid: str) -> None:
    m = re.search(
        rf'resource-id="{re.escape(rid)}"[^>]*bounds="\[(\d+),(\d+)\]\[(\d+),(\d+)\]"', phone.dump_hierarchy()
    )
    assert m, f"{rid} not on screen"
    x1, y1, x2, y2 = map(int, m.groups())
    phone.tap((x1 + x2) // 2, (y1 + y2) // 2)


def test_deleting_one_character_counts_as_a_change() -> None:
    phone = VirtualPhone(seed=4)
    phone.start_activity("com.android.contacts")
    _tap_id(phone, "com.android.contacts:id/floating_action_button")
    _tap_id(phone, "com.android.contacts:id/phone")
    phone.input_text("5551234")
    before = phone.screenshot().copy()
    phone.key(67)  # KEYCODE_DEL: "555123" now
    after = phone.screenshot().copy()
    assert screen_difference(before, after) > AgentConfig().change_threshold


def test_status_bar_changes_are_not_a_screen_change() -> None:
    phone = VirtualPhone(seed=4)
    before = phone.screenshot().copy()
    after = before.copy()
    ImageDraw.Draw(after).rectangle((0, 0, 300, 60), fill="black")  # the clock area repainted
    assert screen_difference(before, after) == 0.0
    assert screen_key(before) == screen_key(after)
    ImageDraw.Draw(after).rectangle((400, 1200, 440, 1240), fill="black")  # a small change below it
    assert screen_difference(before, after) > AgentConfig().change_threshold


def test_identical_and_resized_frames() -> None:
    phone = VirtualPhone(seed=4)
    shot = phone.screenshot()
    assert screen_difference(shot, shot.copy()) == 0.0
    assert screen_difference(shot, shot.resize((540, 1200))) == 1.0
