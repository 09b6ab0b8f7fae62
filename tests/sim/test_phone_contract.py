"""The phone model's contract (`mobile_agent.sim.contract.PhoneModel`): the virtual phone has
every member the ADB side uses, and what used to be optional probes now answers."""

from __future__ import annotations

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
