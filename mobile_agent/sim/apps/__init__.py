"""The virtual phone's apps: one class per app, all listed in ALL_APPS."""

from __future__ import annotations

from mobile_agent.sim.apps.base import App
from mobile_agent.sim.apps.calendar import CalendarApp
from mobile_agent.sim.apps.clock import ClockApp
from mobile_agent.sim.apps.contacts import ContactsApp
from mobile_agent.sim.apps.files import FilesApp
from mobile_agent.sim.apps.gallery import GalleryApp
from mobile_agent.sim.apps.launcher import Launcher
from mobile_agent.sim.apps.messages import MessagesApp
from mobile_agent.sim.apps.notes import NotesApp
from mobile_agent.sim.apps.settings import SettingsApp

ALL_APPS: list[type[App]] = [
    Launcher,
    SettingsApp,
    ContactsApp,
    MessagesApp,
    ClockApp,
    NotesApp,
    CalendarApp,
    GalleryApp,
    FilesApp,
]

__all__ = ["ALL_APPS", "App"]
