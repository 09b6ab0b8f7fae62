"""The contract between the ADB side of the virtual phone and the phone model, as code.

The ADB side (the server, its services, sync, uiautomator2's JSON-RPC, the shell and its commands)
talks to a phone only through `PhoneModel`; `mobile_agent.sim.phone.VirtualPhone` is the one
implementation, and mypy checks that it conforms (`server.default_phone_factory` returns it as a
`PhoneModel`). Every call is synchronous and cheap and is made while holding `phone.lock` (a
`threading.RLock`); gestures release it while they wait (see `gesture.py`).

Process table, log buffer and reverse forwards are ADB-side state kept per phone (`procs.py`,
`commands/logcat.py`, `adb_reverse.py`), not part of the model.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any, Protocol, runtime_checkable

from PIL import Image

from mobile_agent.sim.fs import VirtualFS

__all__ = ["PhoneModel"]


@runtime_checkable
class PhoneModel(Protocol):
    """What the ADB side may read and call on a phone."""

    # -- identity and state
    width: int
    height: int
    density: int
    lock: threading.RLock
    fs: VirtualFS  # the phone's files (/sdcard, /data/local/tmp ...)
    props: dict[str, str]  # getprop (ro.product.model, ro.build.version.sdk, ro.serialno ...)
    version: int  # increases on every visible change of the screen
    clipboard: str
    toast: str  # the toast on screen now ("" when none)
    current_ime: str

    def now(self) -> dt.datetime:
        """The phone's clock (virtual: it starts at a seeded instant and ticks per input event)."""
        ...

    # -- input (device pixels; points off the screen are ignored, as Android does)
    def tap(self, x: int, y: int) -> None: ...
    def long_press(self, x: int, y: int, duration_ms: int = 600) -> None: ...
    def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> None: ...
    def input_text(self, text: str) -> None:
        """Unicode text, already decoded, into the focused field."""
        ...

    def key(self, code: int) -> None:
        """An Android KEYCODE_* integer."""
        ...

    def clear_text(self) -> None:
        """Empty the focused text field (uiautomator2 `clear_text`, ADB Keyboard's clear)."""
        ...

    def hide_keyboard(self) -> None: ...

    @property
    def keyboard_visible(self) -> bool:
        """Whether the soft keyboard is on screen (`dumpsys input_method` mInputShown)."""
        ...

    # -- screen
    def screenshot(self) -> Image.Image:
        """RGB, width x height."""
        ...

    def screenshot_png(self) -> bytes: ...
    def dump_hierarchy(self) -> str:
        """uiautomator XML whose bounds match the pixels."""
        ...

    # -- activity and package manager
    def packages(self) -> dict[str, str]:
        """package -> launcher activity (fully qualified class)."""
        ...

    def labels(self) -> dict[str, str]:
        """package -> the label under its launcher icon."""
        ...

    def start_activity(self, package: str, activity: str | None = None) -> bool:
        """False when the package or the activity is unknown."""
        ...

    def go_home(self) -> None: ...
    def focus(self) -> tuple[str, str]:
        """(package, fully qualified activity) in front."""
        ...

    def recent_apps(self) -> list[str]: ...
    def force_stop(self, package: str) -> None:
        """`am force-stop`: the app's task is gone, its data stays."""
        ...

    def clear_app_data(self, package: str) -> None:
        """`pm clear`: the app's own rows are deleted and it is stopped."""
        ...

    # -- settings: namespaces "global", "secure", "system"; values are strings
    def get_setting(self, namespace: str, key: str) -> str | None: ...
    def put_setting(self, namespace: str, key: str, value: str) -> None: ...
    def list_settings(self, namespace: str) -> dict[str, str]: ...
    def delete_setting(self, namespace: str, key: str) -> None: ...

    # -- content providers (unknown URI: KeyError; a WHERE clause it cannot parse: ValueError)
    def content_query(self, uri: str, where: str | None = None) -> list[dict[str, str]]: ...
    def content_insert(self, uri: str, values: dict[str, str]) -> None: ...
    def content_update(self, uri: str, values: dict[str, str], where: str | None = None) -> int: ...
    def content_delete(self, uri: str, where: str | None) -> int: ...

    # -- input methods
    def ime_list(self) -> list[str]: ...
    def set_ime(self, ime_id: str) -> bool: ...

    # -- whole state
    def snapshot(self) -> dict[str, Any]: ...
    def restore(self, snap: dict[str, Any]) -> None: ...
