"""Gallery (placeholder until the full app lands)."""

from __future__ import annotations

from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.ui import TextView, View


class GalleryApp(App):
    package = "com.android.gallery3d"
    label = "Gallery"
    activity = "com.android.gallery3d.app.GalleryActivity"
    icon = "gallery"
    color = (219, 68, 55)

    def build(self, s: Screen) -> View:
        return self.screen(self.app_bar("Gallery"), self.list_view(s, TextView("Gallery", padding=48)))
