"""Settings tasks: toggles (Wi-Fi, Bluetooth, airplane mode, dark theme) and brightness."""

from __future__ import annotations

import random
from typing import Any, ClassVar

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.base import Step, Task
from mobile_agent.bench.tasks import ui

__all__ = [
    "TASKS",
    "TOGGLES",
    "AirplaneOff",
    "AirplaneOn",
    "BluetoothOff",
    "BluetoothOn",
    "BrightnessLevel",
    "DarkOff",
    "DarkOn",
    "WifiAndBluetoothOff",
    "WifiOff",
    "WifiOn",
]

# (setting namespace, key, value when on, value when off, label in the Settings UI)
TOGGLES: dict[str, tuple[str, str, str, str, str]] = {
    "wifi": ("global", "wifi_on", "1", "0", "Wi-Fi"),
    "bluetooth": ("global", "bluetooth_on", "1", "0", "Bluetooth"),
    "airplane": ("global", "airplane_mode_on", "1", "0", "Airplane mode"),
    "dark": ("secure", "ui_night_mode", "2", "1", "Dark theme"),
}


class _Toggle(Task):
    app = "Settings"
    complexity = 0.6
    which: ClassVar[str] = "wifi"
    target_on: ClassVar[bool] = True

    async def setup(self, adb: AdbShell) -> None:
        ns, key, on, off, _ = TOGGLES[self.which]
        await adb.put_setting(ns, key, off if self.target_on else on)

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        ns, key, on, off, _ = TOGGLES[self.which]
        return 1.0 if (await adb.setting(ns, key)) == (on if self.target_on else off) else 0.0

    def solution(self) -> list[Step]:
        return ui.settings_toggle(TOGGLES[self.which][4], self.target_on)


def _toggle(name: str, which: str, on: bool, goal: str) -> type[Task]:
    return type(name, (_Toggle,), {"name": name, "which": which, "target_on": on, "goal_template": goal})


WifiOn = _toggle("wifi_on", "wifi", True, "Turn on Wi-Fi.")
WifiOff = _toggle("wifi_off", "wifi", False, "Turn off Wi-Fi.")
BluetoothOn = _toggle("bluetooth_on", "bluetooth", True, "Turn on Bluetooth.")
BluetoothOff = _toggle("bluetooth_off", "bluetooth", False, "Turn off Bluetooth.")
AirplaneOn = _toggle("airplane_mode_on", "airplane", True, "Turn on airplane mode.")
AirplaneOff = _toggle("airplane_mode_off", "airplane", False, "Turn off airplane mode.")
DarkOn = _toggle("dark_theme_on", "dark", True, "Enable the dark theme.")
DarkOff = _toggle(
    "dark_theme_off", "dark", False, "Switch the phone back to the light theme (turn dark theme off)."
)


class WifiAndBluetoothOff(Task):
    name = "wifi_and_bluetooth_off"
    app = "Settings"
    complexity = 1.0
    goal_template = "Turn off both Wi-Fi and Bluetooth."

    async def setup(self, adb: AdbShell) -> None:
        await adb.put_setting("global", "wifi_on", "1")
        await adb.put_setting("global", "bluetooth_on", "1")

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        wifi = await adb.setting("global", "wifi_on") == "0"
        bt = await adb.setting("global", "bluetooth_on") == "0"
        return (wifi + bt) / 2.0

    def solution(self) -> list[Step]:
        return ui.settings_toggle("Wi-Fi", False) + ui.settings_toggle("Bluetooth", False)[1:]


class BrightnessLevel(Task):
    """Set brightness to a percentage; within 8% of full scale passes."""

    name = "brightness_set"
    app = "Settings"
    complexity = 0.8
    goal_template = "Set the screen brightness to {percent}%."

    @classmethod
    def generate_params(cls, rng: random.Random) -> dict[str, Any]:
        return {"percent": rng.choice([0, 25, 50, 75, 100])}

    async def setup(self, adb: AdbShell) -> None:
        start = 230 if self.params["percent"] <= 50 else 20
        await adb.put_setting("system", "screen_brightness", start)

    async def is_successful(self, adb: AdbShell, answer: str | None = None) -> float:
        raw = await adb.setting("system", "screen_brightness")
        try:
            value = int(float(raw or "-1000"))
        except ValueError:
            return 0.0
        return 1.0 if abs(value - self.params["percent"] * 255 / 100) <= 0.08 * 255 else 0.0

    def solution(self) -> list[Step]:
        return ui.settings_brightness(self.params["percent"])


TASKS: list[type[Task]] = [
    WifiOn,
    WifiOff,
    BluetoothOn,
    BluetoothOff,
    AirplaneOn,
    AirplaneOff,
    DarkOn,
    DarkOff,
    WifiAndBluetoothOff,
    BrightnessLevel,
]
