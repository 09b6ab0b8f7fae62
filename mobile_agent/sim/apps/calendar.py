"""Calendar (placeholder until the full app lands)."""

from __future__ import annotations

from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.ui import TextView, View


class CalendarApp(App):
    package = "com.android.calendar"
    label = "Calendar"
    activity = "com.android.calendar.AllInOneActivity"
    icon = "calendar"
    color = (15, 157, 88)

    def build(self, s: Screen) -> View:
        return self.screen(self.app_bar("Calendar"), self.list_view(s, TextView("Calendar", padding=48)))
