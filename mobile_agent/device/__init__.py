"""Devices: the async protocol (`base.Device`) and its ADB implementation."""

from mobile_agent.device.base import (
    AppNotFound,
    Device,
    DeviceDisconnected,
    DeviceError,
    DeviceInfo,
    DeviceNotFound,
    TextInputUnavailable,
)

__all__ = [
    "AppNotFound",
    "Device",
    "DeviceDisconnected",
    "DeviceError",
    "DeviceInfo",
    "DeviceNotFound",
    "TextInputUnavailable",
]
