"""One virtual Android phone: state, apps, input dispatch, screen and uiautomator XML.

The ADB side talks to it only through `contract.PhoneModel`. The class is built in layers, one
module each: `phone_state` (identity, clock, settings, IMEs, the activity stack, snapshots),
`phone_content` (the content providers the apps declare), `phone_screen` (View tree, pixels,
XML, recents, Back) and `phone_input` (touch, keys, text). Apps see it as `apps.base.AppHost`.
"""

from __future__ import annotations

from collections.abc import Sequence

from mobile_agent.sim.apps import ALL_APPS
from mobile_agent.sim.apps.base import App
from mobile_agent.sim.phone_content import normalize_number
from mobile_agent.sim.phone_input import PhoneInput
from mobile_agent.sim.phone_state import ADB_IME, LATIN_IME, LAUNCHER, RECENTS_ACTIVITY

__all__ = ["ADB_IME", "LATIN_IME", "LAUNCHER", "RECENTS_ACTIVITY", "VirtualPhone", "normalize_number"]


class VirtualPhone(PhoneInput):
    """A deterministic Android phone in memory; every public method takes `self.lock`."""

    def __init__(
        self,
        seed: int = 0,
        *,
        serial: str = "virtual",
        adb_keyboard: bool = True,
        apps: Sequence[type[App]] = ALL_APPS,
    ) -> None:
        super().__init__(seed, serial=serial, adb_keyboard=adb_keyboard)
        with self.lock:
            self.apps = {cls.package: cls(self) for cls in apps}
            self._reset_state(self.seed)
