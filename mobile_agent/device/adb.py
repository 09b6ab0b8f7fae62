"""The ADB implementation of the `Device` protocol.

Shell round trips (every action, screenshots, UI dumps) go through `adb_host.run_service`, an
asyncio client of the adb server; adbutils, synchronous and run in worker threads, does the
rest (connecting, device states, uiautomator2). Every call has a timeout: the event loop never
blocks, and a phone that goes away gives `DeviceDisconnected` instead of a hang. Each public method is one adb
shell round trip where Android allows it (typing 40 ASCII characters is one call).
"""

from __future__ import annotations

import asyncio
import difflib
import io
import os
import re
import shlex
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import adbutils
from adbutils.errors import AdbConnectionError
from PIL import Image, UnidentifiedImageError

from mobile_agent.device.adb_host import AdbServerError, adb_server_address, run_service
from mobile_agent.device.base import (
    AppNotFound,
    DeviceDisconnected,
    DeviceError,
    DeviceInfo,
    DeviceNotFound,
    TextInputUnavailable,
)
from mobile_agent.device.keys import keycode
from mobile_agent.device.text_input import (
    ADB_KEYBOARD_IME,
    U2_KEYBOARD_IME,
    build_commands,
    needs_keyboard,
    plan_text,
)

T = TypeVar("T")
TextMethod = Literal["auto", "adb_keyboard", "u2", "input"]

DEFAULT_TIMEOUT_S = 20.0
SCREENCAP_TIMEOUT_S = 15.0
_TCP_SERIAL = re.compile(r"^(?:[\w.-]+|\[[0-9a-fA-F:]+\]):\d{1,5}$")
_DISCONNECT_HINTS = ("not found", "offline", "closed", "reset", "refused", "broken pipe", "eof", "no devices")

# Common app names -> candidate packages (first installed wins). Package names are matched too.
KNOWN_APPS: dict[str, list[str]] = {
    "settings": ["com.android.settings"],
    "设置": ["com.android.settings"],
    "messages": [
        "com.google.android.apps.messaging",
        "com.android.messaging",
        "com.samsung.android.messaging",
    ],
    "sms": ["com.google.android.apps.messaging", "com.android.messaging", "com.samsung.android.messaging"],
    "短信": ["com.google.android.apps.messaging", "com.android.messaging", "com.android.mms"],
    "phone": ["com.google.android.dialer", "com.android.dialer", "com.samsung.android.dialer"],
    "dialer": ["com.google.android.dialer", "com.android.dialer", "com.samsung.android.dialer"],
    "contacts": ["com.google.android.contacts", "com.android.contacts", "com.samsung.android.contacts"],
    "联系人": ["com.android.contacts", "com.google.android.contacts"],
    "clock": ["com.google.android.deskclock", "com.android.deskclock", "com.sec.android.app.clockpackage"],
    "alarm": ["com.google.android.deskclock", "com.android.deskclock", "com.sec.android.app.clockpackage"],
    "时钟": ["com.android.deskclock", "com.google.android.deskclock"],
    "camera": [
        "com.google.android.GoogleCamera",
        "com.android.camera2",
        "com.android.camera",
        "com.sec.android.app.camera",
    ],
    "相机": ["com.android.camera", "com.android.camera2"],
    "chrome": ["com.android.chrome"],
    "browser": ["com.android.chrome", "com.android.browser", "org.mozilla.firefox"],
    "calendar": ["com.google.android.calendar", "com.android.calendar", "com.samsung.android.calendar"],
    "日历": ["com.android.calendar", "com.google.android.calendar"],
    "gallery": [
        "com.android.gallery3d",
        "com.google.android.apps.photos",
        "com.sec.android.gallery3d",
        "com.miui.gallery",
    ],
    "photos": ["com.google.android.apps.photos", "com.android.gallery3d"],
    "相册": ["com.android.gallery3d", "com.miui.gallery", "com.google.android.apps.photos"],
    "files": [
        "com.google.android.documentsui",
        "com.android.documentsui",
        "com.google.android.apps.nbu.files",
    ],
    "文件": ["com.android.documentsui", "com.google.android.documentsui"],
    "notes": [
        "org.mobileagent.notes",
        "com.google.android.keep",
        "com.samsung.android.app.notes",
        "com.miui.notes",
    ],
    "备忘录": ["org.mobileagent.notes", "com.miui.notes"],
    "keep": ["com.google.android.keep"],
    "calculator": [
        "com.google.android.calculator",
        "com.android.calculator2",
        "com.sec.android.app.popupcalculator",
    ],
    "maps": ["com.google.android.apps.maps"],
    "youtube": ["com.google.android.youtube"],
    "gmail": ["com.google.android.gm"],
    "play store": ["com.android.vending"],
    "launcher": ["com.android.launcher3", "com.google.android.apps.nexuslauncher"],
    "wechat": ["com.tencent.mm"],
    "微信": ["com.tencent.mm"],
    "qq": ["com.tencent.mobileqq"],
    "alipay": ["com.eg.android.AlipayGphone"],
    "支付宝": ["com.eg.android.AlipayGphone"],
    "taobao": ["com.taobao.taobao"],
    "淘宝": ["com.taobao.taobao"],
    "douyin": ["com.ss.android.ugc.aweme"],
    "抖音": ["com.ss.android.ugc.aweme"],
    "tiktok": ["com.zhiliaoapp.musically", "com.ss.android.ugc.trill"],
    "xiaohongshu": ["com.xingin.xhs"],
    "小红书": ["com.xingin.xhs"],
    "meituan": ["com.sankuai.meituan"],
    "美团": ["com.sankuai.meituan"],
    "amap": ["com.autonavi.minimap"],
    "高德地图": ["com.autonavi.minimap"],
    "jd": ["com.jingdong.app.mall"],
    "京东": ["com.jingdong.app.mall"],
    "bilibili": ["tv.danmaku.bili"],
    "哔哩哔哩": ["tv.danmaku.bili"],
}

_GENERIC_SEGMENTS = {"com", "org", "net", "android", "google", "apps", "app", "ui", "activities", "main"}


def looks_like_tcp_serial(serial: str) -> bool:
    """Whether a serial is a network address (`host:port`) that `adb connect` can reach."""
    return bool(_TCP_SERIAL.match(serial))


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name.strip().lower())


def _package_words(package: str) -> list[str]:
    """The distinctive words of a package name: com.android.deskclock -> ["deskclock"]."""
    words = [w for w in package.lower().split(".") if w not in _GENERIC_SEGMENTS]
    return words or [package.lower().rsplit(".", 1)[-1]]


def match_app(name: str, launchable: dict[str, str]) -> tuple[str | None, list[str]]:
    """Pick the installed package an app name means, and the close matches (for the error).

    Order: an exact package name; the known-name table; the distinctive words of package
    names (exact, then substring, then difflib similarity >= 0.6).
    """
    query = name.strip()
    if query in launchable:
        return query, []
    key = query.lower()
    for candidate in KNOWN_APPS.get(key, []) + KNOWN_APPS.get(_norm(query), []):
        if candidate in launchable:
            return candidate, []
    nq = _norm(query)
    words: dict[str, str] = {}
    for pkg in launchable:
        for w in _package_words(pkg):
            words.setdefault(w, pkg)
        words.setdefault(_norm(pkg), pkg)
    if nq in words:
        return words[nq], []
    contains = sorted(
        {pkg for w, pkg in words.items() if len(nq) >= 3 and (nq in w or (w in nq and len(w) >= 4))}
    )
    if len(contains) == 1:
        return contains[0], []
    for known, pkgs in KNOWN_APPS.items():
        if difflib.SequenceMatcher(None, nq, _norm(known)).ratio() >= 0.8:
            for candidate in pkgs:
                if candidate in launchable:
                    return candidate, []
    close = difflib.get_close_matches(nq, list(words), n=5, cutoff=0.6)
    if close and not contains:
        best = close[0]
        if difflib.SequenceMatcher(None, nq, best).ratio() >= 0.75:
            return words[best], []
    suggestions = list(dict.fromkeys([*contains, *(words[c] for c in close)]))
    return None, suggestions


def parse_focus(dumpsys: str) -> str | None:
    """The focused package from `dumpsys window` (mCurrentFocus, else mFocusedApp)."""
    for pattern in (
        r"mCurrentFocus=Window\{[^}]*?\s([\w.]+)/[\w.$]+\}",
        r"mFocusedApp=.*?ActivityRecord\{[^}]*?\s([\w.]+)/[\w.$]+",
        r"mCurrentFocus=Window\{[^}]*?\s(\w+(?:\.\w+)+)\}",
    ):
        m = re.search(pattern, dumpsys)
        if m:
            return m.group(1)
    return None


def parse_wm_size(text: str) -> tuple[int, int] | None:
    """(width, height) from `wm size`; an override size wins over the physical one."""
    found = dict(re.findall(r"(Physical|Override) size:\s*(\d+x\d+)", text))
    value = found.get("Override") or found.get("Physical")
    if not value:
        return None
    w, h = value.split("x")
    return int(w), int(h)


class AdbDevice:
    """A phone, emulator or virtual phone reached through the adb server.

    `serial` None means "the one attached device". A `host:port` serial is `adb connect`-ed
    first when `connect` is true. `text_method` chooses how non-ASCII text is typed: "auto"
    (ADB Keyboard, then uiautomator2's keyboard, then uiautomator2's clipboard), one of those
    explicitly, or "input" (ASCII only). `shell_calls` counts adb shell round trips.
    """

    def __init__(
        self,
        serial: str | None = None,
        *,
        adb_host: str | None = None,
        adb_port: int | None = None,
        connect: bool = True,
        text_method: TextMethod = "auto",
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        if text_method not in ("auto", "adb_keyboard", "u2", "input"):
            raise ValueError(f"text_method must be auto, adb_keyboard, u2 or input, got {text_method!r}")
        self.serial = serial or ""
        default_host, default_port = adb_server_address()
        self.adb_host = adb_host or default_host
        self.adb_port = adb_port or default_port
        self.text_method: TextMethod = text_method
        self.timeout_s = timeout_s
        self.shell_calls = 0
        self._connect = connect
        self._client = adbutils.AdbClient(host=self.adb_host, port=self.adb_port, socket_timeout=timeout_s)
        self._dev: adbutils.AdbDevice | None = None
        self._size: tuple[int, int] | None = None
        self._launchable: dict[str, str] | None = None
        self._keyboard: str | None = None  # resolved non-ASCII method
        self._ime_restore: str | None = None
        self._u2: Any = None

    def __repr__(self) -> str:
        return f"AdbDevice({self.serial!r})"

    # ---------------------------------------------------------------- connection
    async def open(self) -> AdbDevice:
        """Resolve the serial, `adb connect` a network serial, and check the device is usable."""
        if self._dev is None:
            await self._run(self._open_sync)
        return self

    def _no_server(self, exc: BaseException) -> DeviceNotFound:
        return DeviceNotFound(
            f"cannot talk to the adb server at {self.adb_host}:{self.adb_port}: {exc}. "
            "Is adb installed? Start it with `adb start-server` (ADB_SERVER_SOCKET or "
            "ANDROID_ADB_SERVER_HOST/PORT point elsewhere)."
        )

    def _attached(self) -> list[tuple[str, str]]:
        try:
            return [(d.serial, d.state) for d in self._client.list()]
        except (adbutils.AdbError, OSError) as exc:
            raise self._no_server(exc) from exc

    def _open_sync(self) -> None:
        serial = self.serial or os.environ.get("ANDROID_SERIAL", "")
        if serial and self._connect and looks_like_tcp_serial(serial):
            try:
                out = self._client.connect(serial, timeout=min(self.timeout_s, 10.0))
            except AdbConnectionError as exc:
                raise self._no_server(exc) from exc
            except (adbutils.AdbError, OSError) as exc:
                raise DeviceNotFound(f"`adb connect {serial}` failed: {exc}") from exc
            if "connected to" not in out:
                raise DeviceNotFound(
                    f"`adb connect {serial}` failed: {out.strip()}. Is the phone (or `mobile-agent sim`) "
                    "listening there, with wireless debugging on?"
                )
        attached = self._attached()
        if not serial:
            usable = [s for s, state in attached if state == "device"]
            if len(usable) == 1:
                serial = usable[0]
            elif not attached:
                raise DeviceNotFound(
                    "no device attached. Plug in a phone with USB debugging on (and accept the prompt), "
                    "`adb connect HOST:PORT`, or start a virtual phone with `mobile-agent sim`."
                )
            elif not usable:
                listing = ", ".join(f"{s} ({st})" for s, st in attached)
                raise DeviceNotFound(f"no usable device: {listing}. {self._state_fix(attached[0][1])}")
            else:
                raise DeviceNotFound(
                    f"{len(usable)} devices attached ({', '.join(usable)}); choose one with --device SERIAL"
                )
        self.serial = serial
        deadline = time.monotonic() + min(self.timeout_s, 10.0)
        while True:
            state = dict(attached).get(serial)
            if state == "device":
                break
            if state is None and not looks_like_tcp_serial(serial):
                listing = ", ".join(f"{s} ({st})" for s, st in attached) or "none"
                raise DeviceNotFound(f"device {serial!r} is not attached (attached: {listing})")
            if state == "unauthorized":
                raise DeviceError(f"device {serial} is unauthorized. {self._state_fix(state)}")
            if time.monotonic() > deadline:
                raise DeviceDisconnected(
                    f"device {serial} is {state or 'not attached'}. {self._state_fix(state or 'offline')}"
                )
            time.sleep(0.05)  # a freshly connected device reports "offline" for a moment
            attached = self._attached()
        self._dev = self._client.device(serial)

    @staticmethod
    def _state_fix(state: str) -> str:
        if state == "unauthorized":
            return (
                "Unlock the phone and accept the 'Allow USB debugging?' prompt (tick 'Always allow'). "
                "No prompt? Revoke USB debugging authorisations in Developer options and replug."
            )
        if state == "offline":
            return "Replug the cable or run `adb reconnect`; for a network device, `adb connect` it again."
        return "Check `adb devices`."

    async def close(self) -> None:
        """Put back the keyboard we switched to for non-ASCII typing."""
        if self._ime_restore and self._dev is not None:
            ime, self._ime_restore = self._ime_restore, None
            try:
                await self.shell(f"ime set {shlex.quote(ime)}", timeout_s=5)
            except DeviceError:
                pass

    # ---------------------------------------------------------------- plumbing
    async def _run(self, fn: Callable[[], T], timeout_s: float | None = None) -> T:
        limit = (timeout_s or self.timeout_s) + 5.0
        try:
            async with asyncio.timeout(limit):
                return await asyncio.to_thread(fn)
        except TimeoutError:
            raise DeviceDisconnected(
                f"device {self.serial or '(any)'} did not answer within {limit:g} s"
            ) from None

    def _map_error(self, exc: BaseException, what: str) -> DeviceError:
        text = str(exc) or type(exc).__name__
        if isinstance(exc, adbutils.AdbTimeout | TimeoutError):
            return DeviceDisconnected(
                f"device {self.serial}: {what} timed out ({text}); is it still connected?"
            )
        low = text.lower()
        if isinstance(exc, ConnectionError | OSError) or any(h in low for h in _DISCONNECT_HINTS):
            return DeviceDisconnected(
                f"device {self.serial} is gone ({what}: {text}). Check the cable / `adb devices`, "
                "or restart the virtual phone."
            )
        if "unauthorized" in low:
            return DeviceError(f"device {self.serial} is unauthorized. {self._state_fix('unauthorized')}")
        return DeviceError(f"device {self.serial}: {what} failed: {text}")

    async def shell_bytes(self, cmd: str, *, timeout_s: float | None = None) -> bytes:
        """Run one shell command line and return its raw output bytes (one async round trip)."""
        if self._dev is None:
            await self.open()
        self.shell_calls += 1
        try:
            return await run_service(
                self.serial,
                f"shell:{cmd}",
                host=self.adb_host,
                port=self.adb_port,
                timeout_s=timeout_s or self.timeout_s,
            )
        except (AdbServerError, OSError, TimeoutError) as exc:
            raise self._map_error(exc, f"`{cmd[:60]}`") from exc

    async def shell(self, cmd: str, *, timeout_s: float | None = None) -> str:
        """Run one shell command line on the device and return its output (trailing space stripped)."""
        out = await self.shell_bytes(cmd, timeout_s=timeout_s)
        return out.decode("utf-8", errors="replace").rstrip()

    @staticmethod
    def _check_output(out: str, what: str) -> None:
        head = out.lstrip()[:400]
        if (
            "Exception" in head
            or head.startswith("Error")
            or "Error:" in head
            or "Unknown command" in head
            or "inaccessible or not found" in head
        ):
            raise DeviceError(f"{what} failed on the device: {head.strip()}")

    # ---------------------------------------------------------------- screen
    async def info(self) -> DeviceInfo:
        out = await self.shell(
            "getprop ro.product.model; getprop ro.build.version.release; wm size; wm density"
        )
        lines = out.splitlines()
        model = lines[0].strip() if lines else ""
        release = lines[1].strip() if len(lines) > 1 else ""
        size = parse_wm_size(out) or await self.size()
        self._size = size
        dens = re.findall(r"(?:Physical|Override) density:\s*(\d+)", out)
        return DeviceInfo(self.serial, model, release, size[0], size[1], int(dens[-1]) if dens else None)

    async def size(self) -> tuple[int, int]:
        """Screen (width, height) in pixels, from `wm size` (cached; screenshots tell rotation)."""
        if self._size is None:
            out = await self.shell("wm size")
            size = parse_wm_size(out)
            if size is None:
                shot = await self.screenshot()
                size = shot.size
            self._size = size
        return self._size

    async def screenshot(self) -> Image.Image:
        """The screen as an RGB image (`screencap -p`)."""
        data = await self.shell_bytes("screencap -p", timeout_s=SCREENCAP_TIMEOUT_S)

        def decode() -> Image.Image:
            try:
                image = Image.open(io.BytesIO(data))
                image.load()
            except (UnidentifiedImageError, OSError) as exc:
                preview = data[:200].decode("utf-8", "replace").strip()
                raise DeviceError(
                    f"screencap on {self.serial} returned no image ({len(data)} bytes: {preview!r})"
                ) from exc
            return image.convert("RGB") if image.mode != "RGB" else image

        return await asyncio.to_thread(decode)

    async def ui_tree(self) -> str:
        """The uiautomator XML of the current screen (one shell call: dump then cat)."""
        path = "/sdcard/window_dump.xml"
        last = ""
        for _ in range(2):  # uiautomator sometimes answers "null root node" while the UI settles
            # rm first: a failed dump must not hand back the previous screen's file
            out = await self.shell(
                f"rm -f {path}; uiautomator dump {path} >/dev/null && cat {path}", timeout_s=30
            )
            start = out.find("<?xml")
            if start < 0:
                start = out.find("<hierarchy")
            if start >= 0:
                return out[start:]
            last = out
        raise DeviceError(f"uiautomator dump failed on {self.serial}: {last.strip()[:300]}")

    # ---------------------------------------------------------------- input
    async def tap(self, x: int, y: int) -> None:
        self._check_output(await self.shell(f"input tap {int(x)} {int(y)}"), "tap")

    async def long_press(self, x: int, y: int, duration_s: float = 1.0) -> None:
        ms = max(1, round(duration_s * 1000))
        cmd = f"input swipe {int(x)} {int(y)} {int(x)} {int(y)} {ms}"
        self._check_output(await self.shell(cmd, timeout_s=self.timeout_s + duration_s), "long press")

    async def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_s: float | None = None) -> None:
        cmd = f"input swipe {int(x1)} {int(y1)} {int(x2)} {int(y2)}"
        if duration_s is not None:
            cmd += f" {max(1, round(duration_s * 1000))}"
        self._check_output(await self.shell(cmd, timeout_s=self.timeout_s + (duration_s or 0)), "swipe")

    async def key(self, name: str) -> None:
        """Press a key by name ("back", "enter", "volume_up", "KEYCODE_TAB", "7")."""
        try:
            code = keycode(name)
        except ValueError as exc:
            raise DeviceError(str(exc)) from exc
        self._check_output(await self.shell(f"input keyevent {code}"), f"key {name}")

    async def back(self) -> None:
        await self.key("back")

    async def home(self) -> None:
        await self.key("home")

    async def type_text(self, text: str) -> None:
        """Type into the focused field: ASCII via one `input text`, other text via a keyboard."""
        if not text:
            return
        method: str | None = None
        if needs_keyboard(text):
            method = await self._keyboard_method()
        if method == "u2":
            await self._type_with_u2(text)
            return
        for line in build_commands(text, method):  # type: ignore[arg-type]
            out = await self.shell(line, timeout_s=self.timeout_s + len(line) / 50)
            self._check_output(out, "typing")

    async def _keyboard_method(self) -> str:
        """How non-ASCII text is typed here; switches to that keyboard once if needed."""
        if self._keyboard is not None:
            return self._keyboard
        if self.text_method == "input":
            raise TextInputUnavailable(
                "this text has non-ASCII characters and text_method='input' types ASCII only"
            )
        out = await self.shell("ime list -s -a; echo @@; settings get secure default_input_method")
        listing, _, current = out.partition("@@")
        imes, current = listing.split(), current.strip()
        order = {
            "auto": [("adb_keyboard", ADB_KEYBOARD_IME), ("u2_keyboard", U2_KEYBOARD_IME)],
            "adb_keyboard": [("adb_keyboard", ADB_KEYBOARD_IME)],
            "u2": [("u2_keyboard", U2_KEYBOARD_IME)],
        }[self.text_method]
        for method, ime in order:
            if ime in imes:
                if current != ime:
                    out = await self.shell(f"ime enable {ime} >/dev/null; ime set {ime}")
                    if "selected" not in out and "Unknown" in out:
                        continue
                    if current and current != "null":
                        self._ime_restore = current
                self._keyboard = method
                return method
        if self.text_method in ("auto", "u2") and _u2_importable():
            self._keyboard = "u2"
            return "u2"
        raise TextInputUnavailable(
            f"cannot type non-ASCII text on {self.serial}: no ADB Keyboard and no uiautomator2. Either "
            "install ADB Keyboard (https://github.com/senzhk/ADBKeyBoard): `adb install ADBKeyboard.apk && "
            f"adb shell ime enable {ADB_KEYBOARD_IME} && adb shell ime set {ADB_KEYBOARD_IME}`, "
            "or `pip install uiautomator2`."
        )

    async def _type_with_u2(self, text: str) -> None:
        """ASCII runs through `input text`; Unicode runs through uiautomator2 (clipboard paste)."""
        pending = ""
        for op in plan_text(text):
            if op.kind != "unicode":
                pending += str(op.value) if op.kind == "ascii" else ("\n" if op.value == 66 else "\t")
                continue
            for line in build_commands(pending):
                self._check_output(await self.shell(line), "typing")
            pending = ""
            value = str(op.value)
            await self._run(lambda v=value: self._u2_device().send_keys(v), 30)  # type: ignore[misc]
        for line in build_commands(pending):
            self._check_output(await self.shell(line), "typing")

    def _u2_device(self) -> Any:
        if self._u2 is None:
            import uiautomator2 as u2

            try:
                self._u2 = u2.connect(self.serial)
            except Exception as exc:
                raise TextInputUnavailable(f"uiautomator2 could not connect to {self.serial}: {exc}") from exc
        return self._u2

    # ---------------------------------------------------------------- apps
    async def launchable_apps(self, refresh: bool = False) -> dict[str, str]:
        """package -> launcher activity for every app with a launcher icon."""
        if self._launchable is not None and not refresh:
            return self._launchable
        out = await self.shell(
            "cmd package query-activities --components -a android.intent.action.MAIN "
            "-c android.intent.category.LAUNCHER"
        )
        apps: dict[str, str] = {}
        for line in out.splitlines():
            line = line.strip()
            m = re.fullmatch(r"([\w.]+)/([\w.$]+)", line)
            if m:
                pkg, act = m.groups()
                apps.setdefault(pkg, pkg + act if act.startswith(".") else act)
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


def _u2_importable() -> bool:
    try:
        import uiautomator2  # noqa: F401
    except ImportError:
        return False
    return True


async def connect_device(
    serial: str | None = None,
    *,
    adb_host: str | None = None,
    adb_port: int | None = None,
    text_method: TextMethod = "auto",
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> AdbDevice:
    """An opened `AdbDevice`: `adb connect` for host:port serials; the one attached if None."""
    device = AdbDevice(
        serial, adb_host=adb_host, adb_port=adb_port, text_method=text_method, timeout_s=timeout_s
    )
    return await device.open()
