"""Joining a Ray cluster: the cluster address, a node of our own (`ray start --block`), a driver.

A host runs `ray start --address ADDRESS --block` as a child in its own process group, so the
node lives and dies with the host (killing the host's process group is how a host dies in the
tests). The node carries a custom resource named after the host; the host's phone actors ask
for it, which pins them to this node.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["NAMESPACE", "cluster_address", "connect", "host_resource", "start_node", "stop_node"]

NAMESPACE = "mobile-agent"
ENV = "MOBILE_AGENT_CLUSTER"


def cluster_address(value: str | None) -> str | None:
    """The Ray address from the option or MOBILE_AGENT_CLUSTER (`auto` is Ray's own)."""
    value = (value or os.environ.get(ENV) or "").strip()
    return value or None


def host_resource(name: str) -> str:
    """The custom resource only this host's node has."""
    return "mobile_agent_host_" + re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _ray_cli() -> list[str]:
    exe = Path(sys.executable).with_name("ray")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ray")
    if found:
        return [found]
    return [sys.executable, "-c", "from ray.scripts.scripts import main; main()"]


def start_node(
    address: str,
    resource: str,
    log_path: Path,
    num_cpus: int = 1,
    node_ip: str | None = None,
    own: str | None = None,
) -> subprocess.Popen[bytes]:
    """`ray start --address ADDRESS --block` with our resource, in this process group."""
    cmd = [
        *_ray_cli(),
        "start",
        "--address",
        address,
        "--block",
        "--num-cpus",
        str(num_cpus),
        "--resources",
        json.dumps({resource: 10_000, **({own: 1} if own else {})}),
        "--disable-usage-stats",
        *(["--node-ip-address", node_ip] if node_ip else []),
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop_node(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """End the node the way `ray start --block` expects (SIGTERM), then for sure."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def connect(address: str, timeout: float = 60.0) -> Any:
    """`ray.init` as a driver of the cluster in our namespace (retried until the head answers)."""
    import ray

    deadline = time.monotonic() + timeout
    _wait_reachable(address, deadline)
    while True:
        try:
            ray.init(
                address=address,
                namespace=NAMESPACE,
                logging_level=logging.WARNING,
                log_to_driver=False,
                ignore_reinit_error=True,
            )
            return ray
        except (ConnectionError, RuntimeError) as exc:
            if time.monotonic() > deadline:
                raise ConnectionError(f"no Ray cluster answers at {address}: {exc}") from exc
            time.sleep(0.5)


def _wait_reachable(address: str, deadline: float) -> None:
    """Wait for the head's GCS port to accept a connection (ConnectionError at the deadline).

    `ray.init` against an address nobody answers blocks for tens of seconds per attempt and
    logs a wall of GCS warnings, so a mistyped address looked like a hang; a plain TCP probe
    bounds the wait and lets the caller say what is wrong. `auto` and `ray://` go to Ray as is."""
    match = re.fullmatch(r"\[?([^\[\]/]+?)\]?:(\d+)", address.strip())
    if not match:
        return
    host, port = match.group(1), int(match.group(2))
    last: OSError | None = None
    while True:
        try:
            with socket.create_connection((host, port), timeout=2.0):
                return
        except OSError as exc:
            last = exc
        if time.monotonic() > deadline:
            raise ConnectionError(f"no Ray cluster answers at {address}: {last}")
        time.sleep(0.5)


def wait_node(
    ray: Any, resource: str, node: subprocess.Popen[bytes] | None = None, timeout: float = 180.0
) -> str:
    """The node id of the node that carries `resource`, once it has joined (ChildProcessError if
    the `ray start` process exits first: a node can time out joining a busy head)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for info in ray.nodes():
            if info.get("Alive") and resource in info.get("Resources", {}):
                return str(info["NodeID"])
        if node is not None and node.poll() is not None:
            raise ChildProcessError(f"`ray start` exited with code {node.returncode} before the node joined")
        time.sleep(0.3)
    raise TimeoutError(f"the Ray node with resource {resource} did not join within {timeout:g} s")
