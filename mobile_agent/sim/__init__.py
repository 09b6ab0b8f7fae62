"""The virtual phone: an Android device that speaks the real ADB protocol.

`SimServer` starts phones behind ADB TCP ports; `run_sim` is the `mobile-agent sim` command;
`connect_adb` runs `adb connect` and waits until the phone is online.
See docs/virtual-phone-internals.md for how the ADB layer and the phone model meet.
"""

from mobile_agent.sim.server import PhoneFactory, SimServer, connect_adb, default_phone_factory, run_sim

__all__ = ["PhoneFactory", "SimServer", "connect_adb", "default_phone_factory", "run_sim"]
