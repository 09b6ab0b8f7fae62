"""Messages (placeholder until the full app lands)."""

from __future__ import annotations

from mobile_agent.sim.apps.base import App, Screen
from mobile_agent.sim.ui import TextView, View


class MessagesApp(App):
    package = "com.android.messaging"
    label = "Messages"
    activity = "com.android.messaging.ui.conversationlist.ConversationListActivity"
    icon = "message"
    color = (26, 115, 232)

    def build(self, s: Screen) -> View:
        return self.screen(self.app_bar("Messages"), self.list_view(s, TextView("Messages", padding=48)))
