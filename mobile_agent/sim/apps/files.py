"""Files (placeholder until the full app lands)."""

from __future__ import annotations

from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.ui import TextView, View


class FilesApp(App):
    package = "com.android.documentsui"
    label = "Files"
    activity = "com.android.documentsui.files.FilesActivity"
    icon = "folder"
    color = (0, 137, 123)

    def build(self, s: Screen) -> View:
        return self.screen(self.app_bar("Files"), self.list_view(s, TextView("Files", padding=48)))
