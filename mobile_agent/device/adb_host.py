"""The adb server's host protocol, spoken directly with asyncio for the driver's hot path.

Every device action is one `shell:` round trip through the adb server. adbutils does that
synchronously, opens a second connection per call to ask the server's version, and sleeps 10 ms
when it closes each connection: ~20 ms per call on a phone that answers in under 1 ms. This
client opens one connection, selects the device's transport, runs the service and reads until
the device closes the stream, with no thread and no fixed sleep. adbutils still does everything
else (connect, device states, sync, uiautomator2).
"""

from __future__ import annotations

import asyncio
import os

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5037


class AdbServerError(Exception):
    """The adb server said FAIL (its message is the text), or answered outside the protocol."""


def adb_server_address() -> tuple[str, int]:
    """Where the adb server listens, found the way adb's own tools find it.

    `ADB_SERVER_SOCKET=tcp:HOST:PORT` (read by the adb CLI; docker-compose uses it to reach the
    host's server), else `ANDROID_ADB_SERVER_HOST` / `ANDROID_ADB_SERVER_PORT` (read by adbutils),
    else 127.0.0.1:5037.
    """
    socket_spec = os.environ.get("ADB_SERVER_SOCKET", "").strip()
    if socket_spec.startswith("tcp:"):
        spec_host, _, spec_port = socket_spec[4:].rpartition(":")
        try:
            return spec_host.strip("[]") or DEFAULT_HOST, int(spec_port)
        except ValueError:
            raise ValueError(f"ADB_SERVER_SOCKET={socket_spec!r} is not tcp:HOST:PORT") from None
    env_host = os.environ.get("ANDROID_ADB_SERVER_HOST", "") or DEFAULT_HOST
    try:
        env_port = int(os.environ.get("ANDROID_ADB_SERVER_PORT", "") or DEFAULT_PORT)
    except ValueError:
        raise ValueError("ANDROID_ADB_SERVER_PORT must be a port number") from None
    return env_host, env_port


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: str) -> None:
    data = payload.encode("utf-8")
    writer.write(b"%04x" % len(data) + data)
    await writer.drain()
    status = await reader.readexactly(4)
    if status == b"OKAY":
        return
    if status == b"FAIL":
        size = int(await reader.readexactly(4), 16)
        raise AdbServerError((await reader.readexactly(size)).decode("utf-8", "replace"))
    raise AdbServerError(f"unexpected answer {status!r} from the adb server")


async def run_service(
    serial: str,
    service: str,
    *,
    host: str | None = None,
    port: int | None = None,
    timeout_s: float = 20.0,
) -> bytes:
    """Open `service` (e.g. `shell:input tap 1 2`) on the device and return all it writes.

    Raises `AdbServerError` (FAIL: device not found, offline, unauthorized...), `OSError` (no adb
    server), or `TimeoutError` (nothing finished within `timeout_s`).
    """
    if host is None or port is None:
        default_host, default_port = adb_server_address()
        host, port = host or default_host, port or default_port
    async with asyncio.timeout(timeout_s):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            await _request(reader, writer, f"host:transport:{serial}")
            await _request(reader, writer, service)
            return await reader.read()
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass
