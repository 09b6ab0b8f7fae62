"""`mobile-agent doctor`: check every link from adb to the model, and say how to fix each one.

Checks run in order and stop early only where later checks cannot mean anything (no adb
server -> no device checks). Nothing here raises for a failed check; the list says it all.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from dataclasses import dataclass

import adbutils

from mobile_agent.device.adb import AdbDevice
from mobile_agent.device.adb_host import adb_server_address
from mobile_agent.device.base import DeviceError
from mobile_agent.device.text_input import ADB_KEYBOARD_IME, U2_KEYBOARD_IME
from mobile_agent.llm.probe import acheck_endpoint, alist_models
from mobile_agent.redact import redact


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _adb_binary() -> Check:
    path = shutil.which("adb")
    if path is None:
        return Check(
            "adb binary",
            False,
            "`adb` is not on PATH",
            "Install Android platform-tools (Debian/Ubuntu: `sudo apt install adb`; macOS: "
            "`brew install android-platform-tools`).",
        )
    try:
        out = subprocess.run([path, "version"], capture_output=True, text=True, timeout=5).stdout
        version = out.splitlines()[0] if out else "unknown version"
    except (OSError, subprocess.SubprocessError) as exc:
        return Check("adb binary", False, f"{path} does not run: {exc}", "Reinstall platform-tools.")
    return Check("adb binary", True, f"{path} ({version})")


def _adb_server(host: str, port: int) -> Check:
    try:
        version = adbutils.AdbClient(host=host, port=port, socket_timeout=5).server_version()
    except (adbutils.AdbError, OSError) as exc:
        return Check(
            "adb server",
            False,
            f"not reachable at {host}:{port}: {exc}",
            "Start it with `adb start-server` (or `adb devices`).",
        )
    return Check("adb server", True, f"{host}:{port}, protocol version {version}")


async def _device_checks(serial: str | None, host: str, port: int) -> list[Check]:
    checks: list[Check] = []
    device = AdbDevice(serial, adb_host=host, adb_port=port, timeout_s=10)
    try:
        await device.open()
    except DeviceError as exc:
        fix = (
            "Accept the 'Allow USB debugging?' prompt on the phone."
            if "unauthorized" in str(exc)
            else "Connect a phone with USB debugging on, `adb connect HOST:PORT`, or run `mobile-agent sim`."
        )
        return [Check("device", False, str(exc), fix)]
    try:
        info = await device.info()
        checks.append(
            Check(
                "device",
                True,
                f"{info.serial}: {info.model or 'unknown model'}, Android {info.android_version}, "
                f"{info.width}x{info.height}",
            )
        )
        checks.append(await _screen_check(device))
        checks.append(await _keyboard_check(device))
    except DeviceError as exc:
        checks.append(Check("device", False, str(exc), "Check the cable and `adb devices`."))
    finally:
        await device.close()
    return checks


async def _screen_check(device: AdbDevice) -> Check:
    try:
        shot = await device.screenshot()
    except DeviceError as exc:
        return Check("screen capture", False, str(exc), "Unlock the phone; check `adb shell screencap -p`.")
    extrema = shot.convert("L").getextrema()
    if extrema[1] < 12:  # type: ignore[operator]
        return Check(
            "screen capture",
            False,
            f"{shot.width}x{shot.height}, but all black",
            "The screen may be off (`adb shell input keyevent KEYCODE_WAKEUP`), or the app in front sets "
            "FLAG_SECURE (banking and password screens are captured black): switch to another app.",
        )
    return Check("screen capture", True, f"{shot.width}x{shot.height}")


async def _keyboard_check(device: AdbDevice) -> Check:
    imes = (await device.shell("ime list -s -a")).split()
    if ADB_KEYBOARD_IME in imes:
        return Check("keyboard (non-ASCII text)", True, f"ADB Keyboard installed ({ADB_KEYBOARD_IME})")
    if U2_KEYBOARD_IME in imes:
        return Check(
            "keyboard (non-ASCII text)", True, f"uiautomator2 keyboard installed ({U2_KEYBOARD_IME})"
        )
    try:
        import uiautomator2  # noqa: F401

        return Check(
            "keyboard (non-ASCII text)",
            True,
            "no keyboard app installed; uiautomator2 will paste non-ASCII text through the clipboard",
        )
    except ImportError:
        return Check(
            "keyboard (non-ASCII text)",
            False,
            "neither ADB Keyboard nor uiautomator2 is available: only ASCII text can be typed",
            "Install ADB Keyboard: `adb install ADBKeyboard.apk && adb shell ime enable "
            f"{ADB_KEYBOARD_IME} && adb shell ime set {ADB_KEYBOARD_IME}`, or `pip install uiautomator2`.",
        )


async def _model_check(base_url: str, model: str | None, api_key: str | None) -> Check:
    fix_unreachable = (
        f"Start the model server (e.g. `python -m serving launch`), or check --base-url ({redact(base_url)})."
    )
    if model:
        status = await acheck_endpoint(base_url, model, api_key=api_key, timeout=10)
        if status.ok:
            return Check("model endpoint", True, status.summary())
        fix = (
            fix_unreachable
            if not status.reachable
            else (
                f"Serve {model!r} or pass one of {status.models} as --model."
                if status.models and not status.model_listed
                else "Check the server's log."
            )
        )
        return Check("model endpoint", False, status.summary(), fix)
    listing = await alist_models(base_url, api_key=api_key, timeout=10)
    url = listing.shown_url
    if not listing.reachable:
        return Check("model endpoint", False, f"{url} not reachable: {listing.error}", fix_unreachable)
    if listing.http_status != 200:
        return Check(
            "model endpoint",
            False,
            f"GET {url}/models answered {listing.http_status}",
            "Check the base URL ends in /v1.",
        )
    if listing.error:
        return Check(
            "model endpoint", False, f"{url}/models is not an OpenAI model list", "Check the base URL."
        )
    served = listing.models
    return Check("model endpoint", True, f"{url} serves {', '.join(served) or '(nothing listed)'}")


async def run_doctor(
    serial: str | None = None,
    base_url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    *,
    adb_host: str | None = None,
    adb_port: int | None = None,
) -> list[Check]:
    """Every check, in order: adb binary, adb server, device, screen capture, keyboard, model."""
    default_host, default_port = adb_server_address()
    adb_host, adb_port = adb_host or default_host, adb_port or default_port
    checks = [await asyncio.to_thread(_adb_binary)]
    server = await asyncio.to_thread(_adb_server, adb_host, adb_port)
    checks.append(server)
    if server.ok:
        checks += await _device_checks(serial, adb_host, adb_port)
    if base_url:
        checks.append(await _model_check(base_url, model, api_key))
    return checks
