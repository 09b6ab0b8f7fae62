"""Helpers shared by the core tests (a module of its own: every folder's conftest is named `conftest`)."""

from __future__ import annotations

import re
from typing import Any


def adb_shell(serial: str, cmd: str) -> str:
    import adbutils

    return str(adbutils.adb.device(serial).shell(cmd, timeout=10)).strip()


_NODE = re.compile(r"<node [^>]*>")
_BOUNDS = re.compile(r'bounds="\[(\d+),(\d+)\]\[(\d+),(\d+)\]"')


def nodes(xml: str) -> list[dict[str, Any]]:
    out = []
    for m in _NODE.finditer(xml):
        n = m.group(0)
        b = _BOUNDS.search(n)
        if not b:
            continue
        x1, y1, x2, y2 = map(int, b.groups())
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', n))
        attrs["center"] = ((x1 + x2) // 2, (y1 + y2) // 2)
        out.append(attrs)
    return out


class WifiOracle:
    """Answers every role for "turn on Wi-Fi" by reading the phone (like the benchmark oracle)."""

    def __init__(
        self, serial: str, device_size: tuple[int, int] = (1080, 2400), frame: str = "resized"
    ) -> None:
        self.serial = serial
        self.device_size = device_size
        self.frame = frame  # "resized": pixels of the image sent; "norm1000": a 0-1000 grid

    def wifi_on(self) -> bool:
        return adb_shell(self.serial, "settings get global wifi_on") == "1"

    def ui(self) -> list[dict[str, Any]]:
        xml = adb_shell(
            self.serial, "uiautomator dump /sdcard/window_dump.xml >/dev/null && cat /sdcard/window_dump.xml"
        )
        return nodes(xml)

    def next_point(self, image_size: tuple[int, int]) -> list[int]:
        """The model-frame point of the next tap: the Settings icon, then the Wi-Fi switch."""
        ui = self.ui()
        switches = [n for n in ui if n.get("class") == "android.widget.Switch"]
        if switches:
            x, y = switches[0]["center"]
        else:
            x, y = next(n for n in ui if n.get("text") == "Settings" and n.get("content-desc") == "Settings")[
                "center"
            ]
        iw, ih = (1000, 1000) if self.frame == "norm1000" else image_size
        dw, dh = self.device_size
        return [round(x * iw / dw), round(y * ih / dh)]

    def __call__(self, request: Any) -> str:
        role = request.role
        if role == "manager":
            status = "finished" if self.wifi_on() else "in_progress"
            return (
                "### Thought\nWi-Fi lives in Settings.\n### Completed\n-\n### Plan\n1. Open Settings\n"
                f"2. Switch Wi-Fi on\n### Current Subgoal\nSwitch Wi-Fi on\n### Status\n{status}"
            )
        if role == "reflector":
            return "### Thought\nThe screen moved on.\n### Outcome\nA\n### Error\nNone"
        if role == "notetaker":
            return "### Notes\n- nothing to keep"
        if role == "worker":
            point = self.next_point(request.images[0].size)
            return (
                f'### Thought\nTap it.\n### Action\n{{"action": "click", "coordinate": {point}}}\n'
                "### Description\nthe next screen opens"
            )
        if role == "single":
            if self.wifi_on():
                call = '{"name": "mobile_use", "arguments": {"action": "terminate", "status": "success"}}'
                return f"<thinking>done</thinking>\n<tool_call>\n{call}\n</tool_call>\n<conclusion>Done.</conclusion>"
            point = self.next_point(request.images[0].size)
            call = f'{{"name": "mobile_use", "arguments": {{"action": "click", "coordinate": {point}}}}}'
            return f"<thinking>tap</thinking>\n<tool_call>\n{call}\n</tool_call>\n<conclusion>Tapped.</conclusion>"
        raise AssertionError(f"unexpected role {role!r}")
