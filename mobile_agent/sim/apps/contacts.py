"""Contacts (placeholder until the full app lands)."""

from __future__ import annotations

from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.ui import TextView, View


class ContactsApp(App):
    package = "com.android.contacts"
    label = "Contacts"
    activity = "com.android.contacts.activities.PeopleActivity"
    icon = "person"
    color = (66, 133, 244)

    def build(self, s: Screen) -> View:
        return self.screen(self.app_bar("Contacts"), self.list_view(s, TextView("Contacts", padding=48)))
