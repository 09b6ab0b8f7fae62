"""SimServer: N virtual phones, each behind its own ADB TCP port, in one process.

Use it from a test (`with SimServer(port=0) as sim: ...`), from async code
(`async with SimServer(port=0) as sim`), or from the command line (`run_sim`, behind
`mobile-agent sim` and `python -m mobile_agent.sim`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mobile_agent.sim.adb_server import AdbDeviceServer, make_banner
from mobile_agent.sim.adb_services import PhoneServices
from mobile_agent.sim.contract import PhoneModel

PhoneFactory = Callable[..., PhoneModel]
PHONE_WORKERS = 32  # worker threads per phone: shell commands, screencaps, u2 calls


def default_phone_factory(seed: int, *, serial: str, adb_keyboard: bool) -> PhoneModel:
    """The phone SimServer makes when given no `phone_factory`: a VirtualPhone with this seed."""
    from mobile_agent.sim.phone import VirtualPhone

    return VirtualPhone(seed, serial=serial, adb_keyboard=adb_keyboard)


class SimServer:
    """Virtual phones on consecutive ports (or ephemeral ones with port=0); phone i gets seed+i."""

    def __init__(
        self,
        count: int = 1,
        port: int = 6555,
        seed: int = 0,
        host: str = "127.0.0.1",
        adb_keyboard: bool = True,
        phone_factory: PhoneFactory | None = None,
    ) -> None:
        if count < 1:
            raise ValueError("count must be >= 1")
        self.count = count
        self.base_port = port
        self.seed = seed
        self.host = host
        self.adb_keyboard = adb_keyboard
        self.phone_factory = phone_factory or default_phone_factory
        self.phones: list[PhoneModel] = []
        self.ports: list[int] = []
        self.services: list[PhoneServices] = []
        self._servers: list[AdbDeviceServer] = []
        self._executors: list[ThreadPoolExecutor] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._owns_loop = False

    @property
    def serials(self) -> list[str]:
        """ADB serials (`127.0.0.1:PORT`), one per phone."""
        return [f"{self.host}:{p}" for p in self.ports]

    # ---------------------------------------------------------------- async API
    async def start_async(self) -> SimServer:
        """Create the phones and start listening (inside the running loop)."""
        self._loop = asyncio.get_running_loop()
        try:
            for i in range(self.count):
                phone = self.phone_factory(
                    self.seed + i, serial=f"virtual{self.seed + i:04d}", adb_keyboard=self.adb_keyboard
                )
                # Gestures hold a worker for as long as they last (gesture.py), up to a minute:
                # each phone has its own workers, so long swipes on one never stall another.
                executor = ThreadPoolExecutor(max_workers=PHONE_WORKERS, thread_name_prefix=f"sim{i}")
                self._executors.append(executor)
                services = PhoneServices(phone, executor)
                server = AdbDeviceServer(
                    make_banner(dict(phone.props)),
                    services.open,
                    host=self.host,
                    port=0 if self.base_port == 0 else self.base_port + i,
                )
                port = await server.start()
                self.phones.append(phone)
                self.services.append(services)
                self._servers.append(server)
                self.ports.append(port)
        except BaseException:
            await self.stop_async()
            raise
        return self

    async def stop_async(self) -> None:
        """Close every listener and connection."""
        servers, self._servers = self._servers, []
        await asyncio.gather(*(s.stop() for s in servers), return_exceptions=True)
        executors, self._executors = self._executors, []
        for executor in executors:
            executor.shutdown(wait=False, cancel_futures=True)

    async def __aenter__(self) -> SimServer:
        return await self.start_async()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop_async()

    # ---------------------------------------------------------------- sync API
    def start(self) -> SimServer:
        """Run the sim's event loop in a daemon thread; returns once every port listens."""
        ready = threading.Event()
        error: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def main() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start_async())
            except BaseException as exc:
                error.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop_async())
            loop.close()

        self._owns_loop = True
        self._thread = threading.Thread(target=main, name="sim-loop", daemon=True)
        self._thread.start()
        ready.wait()
        if error:
            self._thread.join()
            raise error[0]
        return self

    def stop(self) -> None:
        """Stop the phones started by `start()`."""
        if not self._owns_loop or self._loop is None or self._thread is None:
            return
        loop = self._loop
        if loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=10)
        self._thread = None
        self._owns_loop = False

    def call(self, func: Callable[[], Any]) -> Any:
        """Run `func` under the sim's loop thread (for tests that poke phone state)."""
        if self._loop is None or not self._owns_loop:
            return func()

        async def wrapper() -> Any:
            return func()

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result()

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def connect_adb(serial: str, timeout: float = 10) -> None:
    """`adb connect SERIAL` through adbutils, then wait until the device state is "device"."""
    import adbutils

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            adbutils.adb.connect(serial, timeout=max(1.0, min(5.0, deadline - time.monotonic())))
            while time.monotonic() < deadline:
                state = adbutils.adb.device(serial).get_state()
                if state == "device":
                    return
                time.sleep(0.1)
        except (adbutils.AdbError, adbutils.AdbTimeout, OSError) as exc:
            last = exc
            time.sleep(0.2)
    raise TimeoutError(f"{serial} did not come online within {timeout}s: {last}")


def run_sim(port: int = 6555, count: int = 1, seed: int = 0) -> None:
    """Serve `count` phones until SIGINT/SIGTERM (the `mobile-agent sim` command)."""

    async def main() -> None:
        sim = SimServer(count=count, port=port, seed=seed)
        await sim.start_async()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        print(f"{count} virtual phone(s) ready (seed {seed}):", flush=True)
        for serial in sim.serials:
            print(f"  {serial}", flush=True)
        print(f"Connect with: adb connect {sim.serials[0]}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        try:
            await stop.wait()
        finally:
            await sim.stop_async()
            print("virtual phones stopped", flush=True)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"error: cannot start the virtual phones: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
