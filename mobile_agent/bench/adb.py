"""Benchmark-side ADB access: what task setup and verifiers read and write, over the wire only.

Verifiers never look inside the phone's Python objects: they ask the phone over the ADB
protocol (`settings get`, `content query`, `uiautomator dump`, `dumpsys`) exactly as they would
ask a real Android device, so the same tasks would run against an emulator.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from typing import Any

import adbutils

from mobile_agent.device.adb_host import adb_server_address, run_service

__all__ = ["ROW_RE", "AdbShell", "parse_rows"]

ROW_RE = re.compile(r"^Row: \d+ ", re.MULTILINE)


class AdbShell:
    """An async facade over one adbutils device (`serial`), for setup and verification."""

    def __init__(self, serial: str, *, host: str | None = None, port: int | None = None) -> None:
        self.serial = serial
        default_host, default_port = adb_server_address()
        self._host, self._port = host or default_host, port or default_port
        self._client = adbutils.AdbClient(host=self._host, port=self._port)
        self._dev: Any = self._client.device(serial)
        self._size: tuple[int, int] | None = None

    async def shell(self, cmd: str, limit_s: float = 30.0) -> str:
        """Run a shell command on the phone and return its output (stdout and stderr)."""
        out = await run_service(
            self.serial, f"shell:{cmd}", host=self._host, port=self._port, timeout_s=limit_s
        )
        return out.decode("utf-8", errors="replace").rstrip()

    # settings ---------------------------------------------------------------------------------
    async def setting(self, namespace: str, key: str) -> str | None:
        out = (await self.shell(f"settings get {namespace} {shlex.quote(key)}")).strip()
        return None if out in ("", "null") else out

    async def put_setting(self, namespace: str, key: str, value: str | int) -> None:
        await self.shell(f"settings put {namespace} {shlex.quote(key)} {shlex.quote(str(value))}")

    # content providers --------------------------------------------------------------------------
    async def query(self, uri: str, columns: tuple[str, ...] | list[str] = ()) -> list[dict[str, str]]:
        """Rows of `content query --uri URI`, parsed knowing the provider's column names."""
        out = await self.shell(f"content query --uri {shlex.quote(uri)}")
        return parse_rows(out, columns)

    async def insert(self, uri: str, values: dict[str, Any]) -> None:
        binds = []
        for col, val in values.items():
            kind = "i" if isinstance(val, bool | int) else "s"
            v = int(val) if isinstance(val, bool) else val
            binds.append(f"--bind {shlex.quote(f'{col}:{kind}:{v}')}")
        out = await self.shell(f"content insert --uri {shlex.quote(uri)} {' '.join(binds)}")
        if "Error" in out or "Exception" in out:
            raise RuntimeError(f"content insert into {uri} failed: {out.strip()}")

    async def delete(self, uri: str, where: str | None = None) -> None:
        cmd = f"content delete --uri {shlex.quote(uri)}"
        if where:
            cmd += f" --where {shlex.quote(where)}"
        out = await self.shell(cmd)
        if "Error" in out or "Exception" in out:
            raise RuntimeError(f"content delete from {uri} failed: {out.strip()}")

    # screen -------------------------------------------------------------------------------------
    async def ui_xml(self) -> str:
        """The current uiautomator XML (`uiautomator dump`)."""
        return await asyncio.to_thread(self._dev.dump_hierarchy)

    async def size(self) -> tuple[int, int]:
        """Physical screen size (width, height) from `wm size`."""
        if self._size is None:
            out = await self.shell("wm size")
            m = re.findall(r"(\d+)x(\d+)", out)
            if not m:
                raise RuntimeError(f"cannot read the screen size: {out!r}")
            w, h = m[-1]
            self._size = (int(w), int(h))
        return self._size

    async def focus_package(self) -> str:
        """The package of the activity on top (from `dumpsys window`)."""
        out = await self.shell("dumpsys window | grep -E 'mCurrentFocus|mFocusedApp'")
        m = re.search(r"([A-Za-z0-9_.]+)/[A-Za-z0-9_.$]+", out)
        return m.group(1) if m else ""

    async def start(self, package: str, activity: str | None = None) -> None:
        if activity:
            await self.shell(f"am start -n {shlex.quote(package + '/' + activity)}")
        else:
            await self.shell(f"monkey -p {shlex.quote(package)} -c android.intent.category.LAUNCHER 1")

    async def force_stop(self, package: str) -> None:
        await self.shell(f"am force-stop {shlex.quote(package)}")

    async def home(self) -> None:
        await self.shell("input keyevent 3")


def parse_rows(out: str, columns: tuple[str, ...] | list[str] = ()) -> list[dict[str, str]]:
    """Parse `content query` output. Values may hold ', ' and newlines: with known column names
    a field boundary is only recognised before `, <known column>=`."""
    text = out.rstrip("\n")
    if not text.strip() or text.strip() == "No result found.":
        return []
    starts = [m.start() for m in ROW_RE.finditer(text)]
    if not starts:
        return []
    rows = []
    for i, s in enumerate(starts):
        chunk = text[s : starts[i + 1] if i + 1 < len(starts) else len(text)]
        chunk = ROW_RE.sub("", chunk, count=1).rstrip("\n")
        rows.append(_split_fields(chunk, columns))
    return rows


def _split_fields(chunk: str, columns: tuple[str, ...] | list[str]) -> dict[str, str]:
    if columns:
        names = "|".join(re.escape(c) for c in sorted(columns, key=len, reverse=True))
        boundary = re.compile(rf"(?:^|, )({names})=")
    else:
        boundary = re.compile(r"(?:^|, )(\w+)=")
    marks = list(boundary.finditer(chunk))
    row: dict[str, str] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(chunk)
        if m.group(1) not in row:
            row[m.group(1)] = chunk[m.end() : end]
    return row
