"""The apps side of `AdbDevice`: the launchable apps, launching the one a name means, and the app
in front. The name matching itself is `app_names` (pure text, testable alone)."""

from __future__ import annotations

import shlex

from mobile_agent.device.adb_conn import AdbConnection
from mobile_agent.device.app_names import match_app, parse_focus, parse_launchable
from mobile_agent.device.base import AppNotFound

__all__ = ["AdbApps"]


class AdbApps(AdbConnection):
    """App launching over adb shell; the launchable list is cached until a name does not match."""

    _launchable: dict[str, str] | None = None

    async def launchable_apps(self, refresh: bool = False) -> dict[str, str]:
        """package -> launcher activity for every app with a launcher icon."""
        if self._launchable is not None and not refresh:
            return self._launchable
        out = await self.shell(
            "cmd package query-activities --components -a android.intent.action.MAIN "
            "-c android.intent.category.LAUNCHER"
        )
        apps = parse_launchable(out)
        if not apps:  # older Android: no --components; fall back to the package list
            listing = await self.shell("pm list packages")
            apps = {
                ln.split(":", 1)[1].strip(): "" for ln in listing.splitlines() if ln.startswith("package:")
            }
        self._launchable = apps
        return apps

    async def open_app(self, name: str) -> str:
        """Launch the app a name means ("Settings", "clock", "微信", a package); returns the package."""
        apps = await self.launchable_apps()
        pkg, close = match_app(name, apps)
        if pkg is None:
            apps = await self.launchable_apps(refresh=True)
            pkg, close = match_app(name, apps)
        if pkg is None:
            hint = f" Close matches: {', '.join(close)}." if close else ""
            raise AppNotFound(f"no installed app matches {name!r}.{hint}")
        activity = apps.get(pkg, "")
        if activity:
            cmd = f"am start -n {shlex.quote(pkg + '/' + activity)}"
        else:
            cmd = f"monkey -p {shlex.quote(pkg)} -c android.intent.category.LAUNCHER 1"
        out = await self.shell(cmd)
        if "Error" in out or "No activities found" in out or "does not exist" in out:
            raise AppNotFound(f"could not start {pkg} for {name!r}: {out.strip()[:300]}")
        return pkg

    async def current_app(self) -> str:
        """The package in front (from `dumpsys window`)."""
        out = await self.shell("dumpsys window | grep -E 'mCurrentFocus|mFocusedApp'")
        pkg = parse_focus(out)
        if pkg is None:
            out = await self.shell("dumpsys window windows")
            pkg = parse_focus(out)
        return pkg or ""
