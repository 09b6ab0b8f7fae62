"""Turn what a caller names as the device (a serial, a Device, or None for the only one) into an
open Device; both the agent and the set-up check open devices this one way."""

from __future__ import annotations

import inspect
from typing import Any

from mobile_agent.device.base import Device, DeviceError

__all__ = ["connect"]


async def connect(device: Device | str | None) -> tuple[Device, bool]:
    """A Device for a serial (or the only attached device); True when we opened it."""
    if device is not None and not isinstance(device, str):
        return device, False
    try:
        from mobile_agent.device.adb import connect_device
    except ImportError as exc:  # pragma: no cover - the ADB driver ships with the package
        raise DeviceError(f"the ADB driver is not available: {exc}") from None
    opened: Any = connect_device(device)
    if inspect.isawaitable(opened):
        opened = await opened
    return opened, True
