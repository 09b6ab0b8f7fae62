"""Notes (placeholder until the full app lands)."""

from __future__ import annotations

from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.ui import TextView, View


class NotesApp(App):
    package = "org.mobileagent.notes"
    label = "Notes"
    activity = "org.mobileagent.notes.MainActivity"
    icon = "note"
    color = (244, 180, 0)

    def build(self, s: Screen) -> View:
        return self.screen(self.app_bar("Notes"), self.list_view(s, TextView("Notes", padding=48)))
