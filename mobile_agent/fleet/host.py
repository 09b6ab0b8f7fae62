"""`mobile-agent host --cluster ADDRESS`: this machine becomes a phone host of a Ray cluster.

It joins as a Ray node of its own (`ray start --block`, a child in this process group) and
serves each phone (`--device`, `--adb-connect`, `--sim N` virtual phones, or else every device
of the local adb server) with one `PhoneActor` pinned to that node. It runs until interrupted;
then the actors, the node and the virtual phones stop. The agent's settings (model endpoint...)
are read from this process's environment (MOBILE_AGENT_*), which the actors inherit.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from .raynode import cluster_address, connect, host_resource, start_node, stop_node, wait_node

__all__ = ["build_parser", "host_main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mobile-agent host",
        description="Serve this machine's phones to a fleet: join the Ray cluster at ADDRESS as a node "
        "of its own, one actor per phone. Needs the fleet extra (pip install 'mobile-agent[fleet]').",
    )
    p.add_argument("--cluster", default=None, metavar="ADDRESS", help="Ray address (MOBILE_AGENT_CLUSTER)")
    p.add_argument("--sim", type=int, default=0, metavar="N", help="serve N virtual phones")
    p.add_argument("--seed", type=int, default=0, help="seed of the first virtual phone")
    p.add_argument("--device", action="append", default=[], metavar="SERIAL", help="a phone (repeatable)")
    p.add_argument(
        "--adb-connect",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="`adb connect` target (repeatable)",
    )
    p.add_argument("--name", default=None, help="this host's name (default: hostname-XXXX)")
    p.add_argument(
        "--node-ip",
        default=os.environ.get("MOBILE_AGENT_NODE_IP") or None,
        help="this node's IP address in the cluster (MOBILE_AGENT_NODE_IP; default: Ray's choice)",
    )
    p.add_argument(
        "--runs-dir", default=None, help="local scratch for run directories (default: a temp folder)"
    )
    return p


def _phones(args: argparse.Namespace) -> tuple[list[str], Any]:
    """The serials to serve, and the virtual phones' server (to stop at the end) if any."""
    import adbutils

    sim: Any = None
    serials = list(args.device)
    for target in args.adb_connect:
        adbutils.adb.connect(target, timeout=10)
        serials.append(target)
    if args.sim:
        # the virtual phone is a test instrument, loaded by name like `mobile-agent sim` does
        sim_mod = importlib.import_module("mobile_agent.sim")
        sim = sim_mod.SimServer(count=args.sim, port=0, seed=args.seed).start()
        for serial in sim.serials:
            sim_mod.connect_adb(serial)
        serials.extend(sim.serials)
    if not serials:
        serials = [d.serial for d in adbutils.adb.device_list()]
    if not serials:
        raise SystemExit("mobile-agent host: no phones (give --device, --adb-connect or --sim N)")
    return list(dict.fromkeys(serials)), sim


def host_main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    address = cluster_address(args.cluster)
    if address is None:
        print("mobile-agent host: give --cluster ADDRESS (or MOBILE_AGENT_CLUSTER)", file=sys.stderr)
        return 2
    try:
        import ray
    except ImportError:
        print("mobile-agent host needs the fleet extra: pip install 'mobile-agent[fleet]'", file=sys.stderr)
        return 2
    name = args.name or f"{socket.gethostname()}-{uuid.uuid4().hex[:4]}"
    runs_dir = Path(args.runs_dir or tempfile.mkdtemp(prefix=f"mobile-agent-host-{name}-"))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    serials, sim = _phones(args)
    resource = host_resource(name)
    own = f"{resource}_{uuid.uuid4().hex[:8]}"  # this very node (another host may share the name)
    actors: list[Any] = []
    node = start_node(address, resource, runs_dir / "ray-node.log", node_ip=args.node_ip, own=own)
    try:
        try:
            ray = connect(address, timeout=30.0)
        except ConnectionError as exc:
            print(f"mobile-agent host: {exc} (is the head started, `ray start --head`?)", file=sys.stderr)
            return 2
        for attempt in range(3):  # a node can time out joining a busy head: try again
            try:
                wait_node(ray, own, node)
                break
            except ChildProcessError as exc:
                print(f"host {name}: {exc}; retrying (see {runs_dir / 'ray-node.log'})", file=sys.stderr)
                if attempt == 2:
                    raise
                time.sleep(random.uniform(1.0, 5.0))  # several hosts starting at once: spread them
                node = start_node(address, resource, runs_dir / "ray-node.log", node_ip=args.node_ip, own=own)
        if _nodes_with(ray, resource) > 1:
            # a second live node with this host's resource: its actors could land on the other
            # host's node (the wrong machine, the wrong USB phones)
            print(
                f"mobile-agent host: a host named {name} is already in the cluster; give another --name "
                "(if that host just died, Ray counts its node until its health check times out: retry then)",
                file=sys.stderr,
            )
            return 2
        from .actor import PhoneActor, actor_name

        adb = _adb_address()
        for serial in serials:
            try:
                actors.append(
                    PhoneActor.options(name=actor_name(serial), resources={resource: 1}).remote(  # type: ignore[attr-defined]
                        serial, name, os.getpid(), adb, str(runs_dir)
                    )
                )
            except ValueError:  # ray's ActorAlreadyExistsError: the name is the serial's
                print(
                    f"mobile-agent host: phone {serial} is already served by another host of the cluster",
                    file=sys.stderr,
                )
                return 2
        ray.get([a.ping.remote() for a in actors], timeout=120)
        print(f"host {name} ready: {len(serials)} phones: {' '.join(serials)}", flush=True)
        while not stop.is_set() and node.poll() is None:
            stop.wait(0.5)
        if node.poll() is not None:
            print(f"host {name}: the Ray node exited (code {node.returncode})", file=sys.stderr)
            return 1
        return 0
    finally:
        _shutdown(actors, node, sim)


def _nodes_with(ray: Any, resource: str) -> int:
    """How many live nodes carry `resource` (more than one: two hosts share a name)."""
    return sum(1 for info in ray.nodes() if info.get("Alive") and resource in info.get("Resources", {}))


def _adb_address() -> tuple[str, int]:
    from mobile_agent.device.adb_host import adb_server_address

    host, port = adb_server_address()
    return host, int(port)


def _shutdown(actors: list[Any], node: Any, sim: Any) -> None:
    try:
        import ray

        for actor in actors:
            try:
                ray.kill(actor)
            except Exception:
                pass
        if ray.is_initialized():
            ray.shutdown()
    finally:
        stop_node(node)
        if sim is not None:
            sim.stop()
        time.sleep(0)


if __name__ == "__main__":
    raise SystemExit(host_main())
