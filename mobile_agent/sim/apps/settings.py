"""Settings: Wi-Fi, Bluetooth, airplane mode, Display (dark theme, brightness), About phone.

Switches read the phone's settings when drawn, so `settings put` from adb shows at once. Turning
airplane mode on from the UI turns Wi-Fi and Bluetooth off and turning it off restores them
(Android's airplane_mode_radios behaviour); `settings put` itself has no side effects.
"""

from __future__ import annotations

from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.ui import Divider, ImageView, LinearLayout, SeekBar, TextView, View


class SettingsApp(App):
    package = "com.android.settings"
    label = "Settings"
    activity = "com.android.settings.Settings"
    icon = "settings"
    color = (95, 99, 104)
    activities = {
        "com.android.settings.Settings$WifiSettingsActivity": "main",
        "com.android.settings.Settings$DisplaySettingsActivity": "display",
        "com.android.settings.Settings$MyDeviceInfoActivity": "about",
        "com.android.settings.SubSettings": "main",
    }

    def screen_activity(self, s: Screen) -> str:
        return {
            "display": "com.android.settings.Settings$DisplaySettingsActivity",
            "about": "com.android.settings.Settings$MyDeviceInfoActivity",
        }.get(s["name"], self.activity)

    def _toggle(self, key: str) -> None:
        self.phone.set_toggle(key, not self.phone.setting_on("global", key))

    def build(self, s: Screen) -> View:
        name = s["name"]
        if name == "display":
            return self._display(s)
        if name == "about":
            return self._about(s)
        ph = self.phone
        wifi = ph.setting_on("global", "wifi_on")
        bt = ph.setting_on("global", "bluetooth_on")
        air = ph.setting_on("global", "airplane_mode_on")
        rows = [
            self.switch_row(
                "Wi-Fi",
                wifi,
                lambda: self._toggle("wifi_on"),
                icon="wifi",
                subtitle="Connected to VirtualNet" if wifi else "Off",
            ),
            self.switch_row(
                "Bluetooth",
                bt,
                lambda: self._toggle("bluetooth_on"),
                icon="bluetooth",
                subtitle="On" if bt else "Off",
            ),
            self.switch_row(
                "Airplane mode",
                air,
                lambda: self._toggle("airplane_mode_on"),
                icon="airplane",
                subtitle="On" if air else "Off",
            ),
            Divider(margin=(48, 8, 48, 8)),
            self.row(
                "Display",
                subtitle="Dark theme, brightness",
                on_click=lambda: self.push("display"),
                leading=ImageView("brightness", color="text2", width=72, height=72),
            ),
            self.row(
                "About phone",
                subtitle=ph.props["ro.product.model"],
                on_click=lambda: self.push("about"),
                leading=ImageView("info", color="text2", width=72, height=72),
            ),
        ]
        body = self.list_view(s, *rows, key="settings_list", rid=self.rid("recycler_view"))
        return self.screen(self.app_bar("Settings"), body)

    def _set_brightness(self, v: int) -> None:
        self.phone.settings["system"]["screen_brightness"] = str(max(0, min(255, v)))

    def _display(self, s: Screen) -> View:
        ph = self.phone
        try:
            level = int(ph.settings["system"].get("screen_brightness", "128"))
        except ValueError:
            level = 128
        pct = round(level * 100 / 255)
        dark = ph.dark
        rows = [
            self.row(
                "Brightness level",
                subtitle=f"{pct}%",
                leading=ImageView("brightness", color="text2", width=72, height=72),
            ),
            LinearLayout(
                self.action(
                    "minus",
                    "Decrease brightness",
                    lambda: self._set_brightness(level - 25),
                    rid=self.rid("brightness_down"),
                ),
                SeekBar(
                    level,
                    255,
                    self._set_brightness,
                    rid=self.rid("brightness_seekbar"),
                    weight=1,
                    desc="Brightness",
                ),
                self.action(
                    "plus",
                    "Increase brightness",
                    lambda: self._set_brightness(level + 25),
                    rid=self.rid("brightness_up"),
                ),
                horizontal=True,
                height=140,
                padding=(40, 0, 40, 0),
            ),
            Divider(margin=(48, 8, 48, 8)),
            self.switch_row(
                "Dark theme", dark, self._toggle_dark, icon="moon", subtitle="On" if dark else "Off"
            ),
        ]
        return self.screen(self.app_bar("Display", up=True), self.list_view(s, *rows, key="display_list"))

    def _toggle_dark(self) -> None:
        self.phone.settings["secure"]["ui_night_mode"] = "1" if self.phone.dark else "2"

    def _about(self, s: Screen) -> View:
        p = self.phone.props
        items = [
            ("Device name", self.phone.settings["global"].get("device_name", "")),
            ("Model", p["ro.product.model"]),
            ("Manufacturer", p["ro.product.manufacturer"]),
            ("Android version", p["ro.build.version.release"]),
            ("Build number", p["ro.build.display.id"]),
            ("Serial number", p["ro.serialno"]),
            ("Battery level", f"{self.phone.battery}%"),
        ]
        rows = [self.row(k, subtitle=v) for k, v in items]
        return self.screen(
            self.app_bar("About phone", up=True),
            self.list_view(s, TextView("", height=16), *rows, key="about_list"),
        )
