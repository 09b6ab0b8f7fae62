"""Clock (placeholder until the full app lands)."""

from __future__ import annotations

from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.ui import TextView, View


class ClockApp(App):
    package = "com.android.deskclock"
    label = "Clock"
    activity = "com.android.deskclock.DeskClock"
    icon = "alarm"
    color = (63, 81, 181)

    def build(self, s: Screen) -> View:
        return self.screen(self.app_bar("Clock"), self.list_view(s, TextView("Clock", padding=48)))
