"""The phone model's contract (`mobile_agent.sim.contract.PhoneModel`): the virtual phone has
every member the ADB side uses, and what used to be optional probes now answers."""

from __future__ import annotations

import asyncio

import adbutils

from mobile_agent.bench.adb import AdbShell
from mobile_agent.bench.drive import ShellDevice
from mobile_agent.sim.apps import ALL_APPS
from mobile_agent.sim.contract import PhoneModel
from mobile_agent.sim.phone import VirtualPhone
from mobile_agent.sim.u2rpc import U2Rpc


def test_virtual_phone_is_a_phone_model() -> None:
    assert isinstance(VirtualPhone(0), PhoneModel)


def test_u2_last_toast_is_the_toast_on_screen() -> None:
    phone = VirtualPhone(0)
    rpc = U2Rpc(phone)
    assert rpc.getLastToast() is None
    phone.toast = "Alarm saved"
    assert rpc.getLastToast() == "Alarm saved"


def test_u2_clipboard_is_the_phones() -> None:
    phone = VirtualPhone(0)
    rpc = U2Rpc(phone)
    rpc.setClipboard("label", "copied text")
    assert phone.clipboard == "copied text"
    assert rpc.getClipboard() == "copied text"


def test_the_drive_tool_opens_every_app_the_phone_declares(device: adbutils.AdbDevice) -> None:
    """The benchmark's drive tool reads app names from the apps' own declarations, so every app
    (Files included, which its hand-written table once lacked) opens by its label."""
    adb = AdbShell(device.serial)
    for app in ALL_APPS:
        if app.package == "com.android.launcher3":
            continue
        assert asyncio.run(ShellDevice(adb).open_app(app.label)) == app.package
        assert device.app_current().package == app.package
