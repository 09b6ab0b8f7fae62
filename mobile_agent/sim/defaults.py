"""The phone's built-in values: system properties and the settings a fresh phone has (a data table)."""

from __future__ import annotations

from typing import Any

__all__ = ["default_props", "default_settings"]


def default_props(serial: str) -> dict[str, str]:
    """`getprop` of a fresh phone (an Android 14 user build)."""
    return {
        "ro.product.model": "Virtual Phone",
        "ro.product.manufacturer": "mobile-agent",
        "ro.product.brand": "mobile-agent",
        "ro.product.name": "virtual_phone",
        "ro.product.device": "virtual",
        "ro.product.board": "virtual",
        "ro.build.version.release": "14",
        "ro.build.version.sdk": "34",
        "ro.build.version.security_patch": "2024-06-05",
        "ro.build.id": "UQ1A.240605.004",
        "ro.build.display.id": "UQ1A.240605.004",
        "ro.build.type": "user",
        "ro.build.tags": "release-keys",
        "ro.build.fingerprint": "mobile-agent/virtual_phone/virtual:14/UQ1A.240605.004/1:user/release-keys",
        "ro.serialno": serial,
        "ro.boot.serialno": serial,
        "ro.product.cpu.abi": "x86_64",
        "ro.product.cpu.abilist": "x86_64,arm64-v8a",
        "ro.sf.lcd_density": "420",
        "ro.hardware": "virtual",
        "ro.kernel.qemu": "0",
        "persist.sys.timezone": "UTC",
        "persist.sys.locale": "en-US",
        "sys.boot_completed": "1",
        "dev.bootcomplete": "1",
        "init.svc.adbd": "running",
        "ro.debuggable": "0",
        "ro.secure": "1",
        "service.adb.tcp.port": "5555",
    }


def default_settings(data: dict[str, Any], current_ime: str, imes: list[str]) -> dict[str, dict[str, str]]:
    """`settings list global|secure|system` of a freshly seeded phone."""
    return {
        "global": {
            "wifi_on": "1",
            "bluetooth_on": "0",
            "airplane_mode_on": "0",
            "mobile_data": "1",
            "adb_enabled": "1",
            "device_name": "Virtual Phone",
            "auto_time": "1",
            "auto_time_zone": "1",
            "development_settings_enabled": "1",
            "stay_on_while_plugged_in": "0",
            "window_animation_scale": "1.0",
            "transition_animation_scale": "1.0",
            "animator_duration_scale": "1.0",
            "airplane_mode_radios": "cell,bluetooth,wifi,nfc,wimax",
            "data_roaming": "0",
            "package_verifier_enable": "1",
        },
        "secure": {
            "ui_night_mode": "1",
            "android_id": data["android_id"],
            "location_mode": "3",
            "default_input_method": current_ime,
            "enabled_input_methods": ":".join(imes),
            "bluetooth_name": "Virtual Phone",
            "screensaver_enabled": "0",
        },
        "system": {
            "screen_brightness": str(data["brightness"]),
            "screen_brightness_mode": "0",
            "screen_off_timeout": "60000",
            "font_scale": "1.0",
            "time_12_24": "24",
            "accelerometer_rotation": "1",
            "volume_music": "8",
            "volume_ring": "5",
        },
    }
