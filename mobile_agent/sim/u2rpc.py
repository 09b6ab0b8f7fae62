"""uiautomator2's on-device HTTP server (tcp:9008), emulated over an ADB stream.

`GET /ping` -> `pong`, `GET /info`, and `POST /jsonrpc/0` with the JSON-RPC methods the
uiautomator2 Python client calls: hierarchy dumps, clicks, swipes, key presses, screenshots,
device info, clipboard and the UiSelector queries (exist/objInfo/count/...), matched against the
phone's own uiautomator XML so they agree with what `uiautomator dump` shows.
"""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import json
import time
import xml.etree.ElementTree as ET
from concurrent.futures import Executor
from typing import Any

from mobile_agent.sim import gesture
from mobile_agent.sim.adb_keycodes import U2_KEYS, keycode_from_string
from mobile_agent.sim.adb_server import AdbStream, StreamClosed
from mobile_agent.sim.contract import PhoneModel
from mobile_agent.sim.u2_selectors import RpcError, bounds_of, find_nodes, obj_info, select, selector_text

MAX_HEADER = 64 * 1024
MAX_BODY = 16 * 1024 * 1024
MAX_WAIT_S = 60.0
NOT_FOUND = -32002
STEP_MS = 5  # "each step execution is throttled to 5ms per step" (UiDevice.swipe)
LONG_CLICK_MS = 600  # UiObject.longClick: the long-press timeout and a little more


# ---------------------------------------------------------------- JSON-RPC methods


class U2Rpc:
    """The JSON-RPC methods, run synchronously in a worker thread."""

    def __init__(self, phone: PhoneModel) -> None:
        self.phone = phone
        self._touch: tuple[int, int, float] | None = None
        self._shot: tuple[tuple[Any, ...], str] | None = None  # last JPEG, per screen version

    # helpers
    def _root(self) -> ET.Element:
        with self.phone.lock:
            xml = self.phone.dump_hierarchy()
        return ET.fromstring(xml)

    def _node(self, sel: dict[str, Any]) -> ET.Element:
        if not isinstance(sel, dict):
            raise RpcError(-32602, "Invalid params: selector expected")
        node = select(self._root(), sel)
        if node is None:
            raise RpcError(
                NOT_FOUND,
                f"androidx.test.uiautomator.UiObjectNotFoundException: {selector_text(sel)}",
                f"androidx.test.uiautomator.UiObjectNotFoundException: {selector_text(sel)}",
            )
        return node

    def _center(self, node: ET.Element) -> tuple[int, int]:
        b = bounds_of(node)
        return (b["left"] + b["right"]) // 2, (b["top"] + b["bottom"]) // 2

    def _tap(self, x: float, y: float) -> None:
        with self.phone.lock:
            self.phone.tap(int(x), int(y))

    def _wait(self, sel: dict[str, Any], timeout_ms: Any, present: bool) -> bool:
        wait_s = float(timeout_ms or 0) / 1000.0
        if not wait_s >= 0:  # NaN (JSON allows it) would never reach the deadline
            wait_s = 0.0
        deadline = time.monotonic() + min(wait_s, MAX_WAIT_S)
        while True:
            found = select(self._root(), sel) is not None
            if found == present:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)

    def _focused_field(self) -> ET.Element | None:
        root = self._root()
        return next((n for n in root.iter("node") if n.get("focused") == "true"), None)

    def _replace_text(self, node: ET.Element | None, text: str) -> None:
        with self.phone.lock:
            if node is not None and node.get("focused") != "true":
                x, y = self._center(node)
                self.phone.tap(x, y)
                node = self._focused_field() or node
            self.phone.clear_text()
            if text:
                self.phone.input_text(text)

    # methods (names are the JSON-RPC method names)
    def ping(self) -> str:
        return "pong"

    def deviceInfo(self) -> dict[str, Any]:
        p = self.phone
        with p.lock:
            pkg, _ = p.focus()
            props = p.props
            return {
                "currentPackageName": pkg,
                "displayHeight": p.height,
                "displayRotation": 0,
                "displaySizeDpX": round(p.width * 160 / p.density),
                "displaySizeDpY": round(p.height * 160 / p.density),
                "displayWidth": p.width,
                "productName": props.get("ro.product.name", "virtual"),
                "screenOn": True,
                "sdkInt": int(props.get("ro.build.version.sdk", "34") or 34),
                "naturalOrientation": True,
            }

    def dumpWindowHierarchy(self, compressed: bool = False, max_depth: int = 50, *_: Any) -> str:
        with self.phone.lock:
            return self.phone.dump_hierarchy()

    def takeScreenshot(self, scale: float = 1.0, quality: int = 100, *_: Any) -> str:
        with self.phone.lock:
            key = (self.phone.version, scale, quality)
            if self._shot is not None and self._shot[0] == key:
                return self._shot[1]
            img = self.phone.screenshot()
        if scale and 0 < float(scale) < 1:
            img = img.resize((max(1, int(img.width * scale)), max(1, int(img.height * scale))))
        buf = io.BytesIO()
        img.convert("RGB").save(buf, format="JPEG", quality=max(1, min(int(quality or 80), 100)))
        data = base64.b64encode(buf.getvalue()).decode()
        self._shot = (key, data)
        return data

    def click(self, *args: Any) -> bool:
        if args and isinstance(args[0], dict):  # click(selector[, corner])
            x, y = self._center(self._node(args[0]))
            self._tap(x, y)
            return True
        if len(args) < 2:
            raise RpcError(-32602, "Invalid params")
        x, y = int(args[0]), int(args[1])
        ms = int(args[2]) if len(args) > 2 and args[2] is not None else 0
        gesture.press(self.phone, x, y, ms)  # click(x, y, ms): held for ms, a long press from 500 ms
        return True

    def longClick(self, *args: Any) -> bool:
        if args and isinstance(args[0], dict):
            x, y = self._center(self._node(args[0]))
        else:
            x, y = int(args[0]), int(args[1])
        gesture.press(self.phone, x, y, LONG_CLICK_MS)
        return True

    def swipe(self, *args: Any) -> bool:
        fx, fy, tx, ty = (int(v) for v in args[:4])
        steps = int(args[4]) if len(args) > 4 else 55
        gesture.swipe(self.phone, fx, fy, tx, ty, max(steps, 1) * STEP_MS)  # 5 ms a step, as uiautomator
        return True

    def drag(self, sx: int, sy: int, ex: int, ey: int, steps: int = 100) -> bool:
        gesture.drag(self.phone, int(sx), int(sy), int(ex), int(ey), max(int(steps), 1) * STEP_MS)
        return True

    def swipePoints(self, points: list[int], steps: int = 100) -> bool:
        pts = list(zip(points[0::2], points[1::2], strict=False))
        per = max(int(steps) * STEP_MS // max(len(pts) - 1, 1), 10)
        for (x1, y1), (x2, y2) in itertools.pairwise(pts):
            gesture.swipe(self.phone, int(x1), int(y1), int(x2), int(y2), per)
        return True

    def injectInputEvent(self, action: int, x: float, y: float, meta: int = 0) -> bool:
        if action == 0:
            self._touch = (int(x), int(y), time.monotonic())
        elif action == 1 and self._touch is not None:
            x0, y0, t0 = self._touch
            self._touch = None
            held = int((time.monotonic() - t0) * 1000)
            with self.phone.lock:
                if abs(int(x) - x0) < 10 and abs(int(y) - y0) < 10:
                    if held >= 500:
                        self.phone.long_press(x0, y0, held)
                    else:
                        self.phone.tap(x0, y0)
                else:
                    self.phone.swipe(x0, y0, int(x), int(y), max(held, 50))
        return True

    def pressKey(self, key: str) -> bool:
        code = U2_KEYS.get(str(key).lower())
        if code is None:
            code = keycode_from_string(str(key))
        if code is None:
            return False
        with self.phone.lock:
            self.phone.key(code)
        return True

    def pressKeyCode(self, code: int, meta: int = 0) -> bool:
        with self.phone.lock:
            self.phone.key(int(code))
        return True

    def wakeUp(self) -> None:
        return None

    def sleep(self) -> None:
        return None

    def isScreenOn(self) -> bool:
        return True

    def setOrientation(self, value: str) -> None:
        return None

    def freezeRotation(self, freeze: bool = True) -> None:
        return None

    def openNotification(self) -> bool:
        with self.phone.lock:
            self.phone.swipe(self.phone.width // 2, 5, self.phone.width // 2, self.phone.height // 2, 300)
        return True

    def openQuickSettings(self) -> bool:
        return self.openNotification()

    def getClipboard(self) -> str | None:
        with self.phone.lock:
            return self.phone.clipboard

    def setClipboard(self, label: Any, text: str) -> None:
        with self.phone.lock:
            self.phone.clipboard = text

    def pasteClipboard(self) -> None:
        text = self.getClipboard()
        if text:
            with self.phone.lock:
                self.phone.input_text(text)

    def clearInputText(self) -> None:
        self._replace_text(None, "")

    def getLastToast(self) -> str | None:
        with self.phone.lock:
            return self.phone.toast or None

    def clearLastToast(self) -> None:
        return None

    def makeToast(self, text: str, duration: int = 1000) -> bool:
        return True

    def getLastTraversedText(self) -> str | None:
        return None

    def clearLastTraversedText(self) -> None:
        return None

    # selector methods
    def exist(self, sel: dict[str, Any]) -> bool:
        return select(self._root(), sel) is not None

    def objInfo(self, sel: dict[str, Any]) -> dict[str, Any]:
        return obj_info(self._node(sel))

    def getVisibleBounds(self, sel: dict[str, Any]) -> dict[str, int]:
        return bounds_of(self._node(sel))

    def count(self, sel: dict[str, Any]) -> int:
        return len(find_nodes(self._root(), sel))

    def objInfoOfAllInstances(self, sel: dict[str, Any]) -> list[dict[str, Any]]:
        return [obj_info(n) for n in find_nodes(self._root(), sel)]

    def getText(self, sel: dict[str, Any]) -> str:
        return self._node(sel).get("text", "")

    def setText(self, sel: dict[str, Any], text: str) -> bool:
        self._replace_text(self._node(sel), text or "")
        return True

    def clearTextField(self, sel: dict[str, Any]) -> None:
        self._replace_text(self._node(sel), "")

    def waitForExists(self, sel: dict[str, Any], timeout: int = 0) -> bool:
        return self._wait(sel, timeout, True)

    def waitUntilGone(self, sel: dict[str, Any], timeout: int = 0) -> bool:
        return self._wait(sel, timeout, False)

    def clickAndWaitForNewWindow(self, sel: dict[str, Any], timeout: int = 0) -> bool:
        return self.click(sel)

    def scrollForward(self, sel: dict[str, Any], vertical: bool = True, steps: int = 55) -> bool:
        return self._scroll(sel, vertical, forward=True, steps=steps)

    def scrollBackward(self, sel: dict[str, Any], vertical: bool = True, steps: int = 55) -> bool:
        return self._scroll(sel, vertical, forward=False, steps=steps)

    def flingForward(self, sel: dict[str, Any], vertical: bool = True) -> bool:
        return self._scroll(sel, vertical, forward=True, steps=10)

    def flingBackward(self, sel: dict[str, Any], vertical: bool = True) -> bool:
        return self._scroll(sel, vertical, forward=False, steps=10)

    def _scroll(self, sel: dict[str, Any], vertical: bool, forward: bool, steps: int) -> bool:
        node = self._node(sel)
        b = bounds_of(node)
        cx, cy = (b["left"] + b["right"]) // 2, (b["top"] + b["bottom"]) // 2
        before = ET.tostring(self._root())
        with self.phone.lock:
            if vertical:
                dy = (b["bottom"] - b["top"]) // 3
                self.phone.swipe(
                    cx,
                    cy + dy if forward else cy - dy,
                    cx,
                    cy - dy if forward else cy + dy,
                    max(steps * 5, 100),
                )
            else:
                dx = (b["right"] - b["left"]) // 3
                self.phone.swipe(
                    cx + dx if forward else cx - dx,
                    cy,
                    cx - dx if forward else cx + dx,
                    cy,
                    max(steps * 5, 100),
                )
        return ET.tostring(self._root()) != before

    def call(self, method: str, params: Any) -> Any:
        if method.startswith("_") or method in ("call",) or not callable(getattr(self, method, None)):
            raise RpcError(-32601, f"Method not found: {method}")
        func = getattr(self, method)
        try:
            if isinstance(params, dict):
                return func(**params)
            if params is None:
                return func()
            return func(*params)
        except RpcError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, OverflowError) as exc:
            raise RpcError(-32602, f"Invalid params: {exc}") from exc
        except ET.ParseError as exc:
            raise RpcError(-32001, f"java.lang.IllegalStateException: bad hierarchy: {exc}") from exc


# ---------------------------------------------------------------- HTTP over the stream


def _response(status: int, reason: str, body: bytes, ctype: str = "application/json") -> bytes:
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


async def _read_request(stream: AdbStream, buf: bytearray) -> tuple[str, str, bytes] | None:
    """(method, path, body) of the next request, or None at EOF / bad request."""
    while b"\r\n\r\n" not in buf:
        if len(buf) > MAX_HEADER:
            return None
        chunk = await stream.read()
        if not chunk:
            return None
        buf += chunk
    end = buf.index(b"\r\n\r\n")
    head = bytes(buf[:end]).decode("latin-1")
    del buf[: end + 4]
    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2:
        return None
    length = 0
    for line in lines[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == "content-length":
            try:
                length = int(value.strip())
            except ValueError:
                return None
    if length < 0 or length > MAX_BODY:
        return None
    while len(buf) < length:
        chunk = await stream.read()
        if not chunk:
            return None
        buf += chunk
    body = bytes(buf[:length])
    del buf[:length]
    return parts[0].upper(), parts[1], body


async def u2_service(stream: AdbStream, rpc: U2Rpc, executor: Executor | None) -> None:
    """Serve HTTP requests on one tcp:9008 stream until the client closes it."""
    loop = asyncio.get_running_loop()
    buf = bytearray()
    while True:
        try:
            req = await _read_request(stream, buf)
        except StreamClosed:
            return
        if req is None:
            if buf or not stream.closed:
                await stream.write(_response(400, "Bad Request", b"bad request", "text/plain"))
            return
        method, path, body = req
        path = path.split("?", 1)[0]
        if path == "/ping":
            await stream.write(_response(200, "OK", b"pong", "text/plain"))
        elif path == "/info" and method == "GET":
            info = await loop.run_in_executor(executor, rpc.deviceInfo)
            await stream.write(_response(200, "OK", json.dumps(info).encode()))
        elif path.startswith("/jsonrpc/") and method == "POST":
            reply = await loop.run_in_executor(executor, _handle_jsonrpc, rpc, body)
            await stream.write(_response(200, "OK", reply))
        else:
            await stream.write(_response(404, "Not Found", b"not found", "text/plain"))


def _handle_jsonrpc(rpc: U2Rpc, body: bytes) -> bytes:
    req_id: Any = None
    try:
        payload = json.loads(body.decode("utf-8"))
        if not isinstance(payload, dict) or not isinstance(payload.get("method"), str):
            raise RpcError(-32600, "Invalid Request")
        req_id = payload.get("id")
        result = rpc.call(payload["method"], payload.get("params"))
        return json.dumps({"jsonrpc": "2.0", "id": req_id, "result": result}).encode()
    except (UnicodeDecodeError, json.JSONDecodeError):
        err = {"code": -32700, "message": "Parse error"}
    except RpcError as exc:
        err = {"code": exc.code, "message": exc.message}
        if exc.data is not None:
            err["data"] = exc.data
    except Exception as exc:  # the phone raised: report it, keep serving
        err = {"code": -32001, "message": f"java.lang.RuntimeException: {type(exc).__name__}: {exc}"}
    return json.dumps({"jsonrpc": "2.0", "id": req_id, "error": err}).encode()
