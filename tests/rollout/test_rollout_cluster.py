"""`mobile-agent rollout --cluster`: the samples run on the actors of a real multi-node Ray cluster
(a head and worker nodes, each a `ray start` process group on this machine), the dataset is written
here, and it equals the local pool's row for row, even when a node dies mid-rollout."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ci_guard import skip_or_fail
from conftest import rollout_cmd
from rollout_rows import rows

from mobile_agent.rollout.cluster import write_sample
from mobile_agent.rollout.sample import Job
from mobile_agent.testing.fleet_procs import RayHead, RayNode, free_port


class Cluster:
    def __init__(self) -> None:
        self.head = RayHead()
        self.nodes = [RayNode(self.head.address)]

    def close(self) -> None:
        # nothing to keep: a kill of each process group, not Ray's graceful stop (~20 s)
        for node in self.nodes:
            node.kill9()
            node.close()
        self.head.kill9()
        self.head.close()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if importlib.util.find_spec("ray") is None:
        skip_or_fail("ray is not installed (pip install -e '.[fleet]')")
    c = Cluster()
    try:
        yield c
    finally:
        c.close()


def _summary(stdout: str) -> dict[str, object]:
    start = stdout.index("{\n")
    return dict(json.loads(stdout[start : stdout.index("\n}", start) + 2]))


def test_cluster_rollout_spreads_over_nodes_and_equals_the_local_rows(
    cluster: Cluster, rollout_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "on-cluster"
    proc = subprocess.run(
        rollout_cmd(out, "--cluster", cluster.head.address), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 phones on 2 nodes of" in proc.stdout, proc.stdout
    by_node = _summary(proc.stdout)["samples_by_node"]
    assert isinstance(by_node, dict) and len(by_node) == 2 and sum(by_node.values()) == 6, by_node
    assert rows(out, "trajectories") == rows(rollout_dir, "trajectories")
    assert rows(out, "steps") == rows(rollout_dir, "steps")


def test_a_node_dying_mid_rollout_requeues_its_sample(
    cluster: Cluster, rollout_dir: Path, tmp_path: Path
) -> None:
    doomed = RayNode(cluster.head.address)
    cluster.nodes.append(doomed)
    out = tmp_path / "node-dies"
    proc = subprocess.Popen(
        rollout_cmd(out, "--cluster", cluster.head.address),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("[1/6]"):  # every phone is busy with a sample now: kill one node
            doomed.kill9()
            break
    lines.extend(proc.stdout)
    assert proc.wait(timeout=300) == 0, "".join(lines)
    text = "".join(lines)
    assert "3 phones on 3 nodes" in text, text
    assert "goes back to the queue" in text, text
    assert rows(out, "trajectories") == rows(rollout_dir, "trajectories")
    assert rows(out, "steps") == rows(rollout_dir, "steps")


def test_a_phone_failing_to_start_is_named_and_a_lost_head_exits_2_resumable(tmp_path: Path) -> None:
    """A cluster of its own (its head dies): a head without CPUs, a node whose phones cannot reach
    adb (their start fails) and a good node. The failure names its node; losing the head mid-rollout
    exits 2 saying so (it was an OSError traceback), and the finished samples stay."""
    if importlib.util.find_spec("ray") is None:
        skip_or_fail("ray is not installed (pip install -e '.[fleet]')")
    head = RayHead(num_cpus=0)
    # the bad node's phones look for adb at 127.0.0.2 and start a server of their own on this
    # port (on 127.0.0.1, where they never look): it is ended below, so no later test finds it
    adb_port = free_port()
    nodes = [
        RayNode(
            head.address,
            env={"ANDROID_ADB_SERVER_HOST": "127.0.0.2", "ANDROID_ADB_SERVER_PORT": str(adb_port)},
        ),
        RayNode(head.address),
    ]
    try:
        out = tmp_path / "head-lost"
        proc = subprocess.Popen(
            rollout_cmd(out, "--cluster", head.address),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("[1/6]"):
                head.kill9()  # the good node lives on; this driver's raylet and the GCS are gone
                break
        lines.extend(proc.stdout)
        code = proc.wait(timeout=120)
    finally:
        for node in nodes:  # headless now: no graceful stop to wait for
            node.kill9()
            node.close()
        head.close()
        adb = shutil.which("adb")
        if adb:
            subprocess.run([adb, "-P", str(adb_port), "kill-server"], capture_output=True, timeout=30)
    text = "".join(lines)
    assert re.search(
        r"a worker was not used: the phone on \S+/[0-9a-f]{6} did not start: TimeoutError", text
    ), text
    assert "1 phone on 1 node" in text, text
    assert "Traceback" not in text, text
    if code == 2:  # this driver's link went first
        assert f"error: lost the Ray cluster at {head.address}" in text, text
    else:  # Ray reported the actor unreachable first: the rollout ends with the samples pending
        assert code == 0 and "stay pending" in text, text
    assert len(list((out / "samples").glob("*/sample.json"))) >= 1


def test_an_unreachable_cluster_exits_2_and_says_so(tmp_path: Path) -> None:
    if importlib.util.find_spec("ray") is None:
        skip_or_fail("ray is not installed (pip install -e '.[fleet]')")
    t0 = time.monotonic()
    address = f"127.0.0.1:{free_port()}"  # nobody listens there
    env = {**os.environ, "MOBILE_AGENT_CLUSTER_TIMEOUT_S": "3"}
    proc = subprocess.run(
        rollout_cmd(tmp_path / "ds", "--cluster", address), capture_output=True, text=True, timeout=120, env=env
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"no Ray cluster answers at {address}" in proc.stderr
    assert time.monotonic() - t0 < 30


def test_a_sample_file_outside_its_folder_is_refused(tmp_path: Path) -> None:
    job = Job("wifi_on", 0, 0)
    with pytest.raises(ValueError, match="outside its folder"):
        write_sample(tmp_path, job, [("../../escape.txt", b"x"), ("sample.json", b"{}")])
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "samples" / "escape.txt").exists()
    write_sample(tmp_path, job, [("images/000-0.png", b"png"), ("sample.json", b"{}")])
    folder = tmp_path / "samples" / "wifi_on-0-s0"
    assert (folder / "images" / "000-0.png").read_bytes() == b"png"
    assert (folder / "sample.json").read_bytes() == b"{}"


def test_scratch_folders_of_dead_actors_are_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ray kills an actor (with its driver or node) before it can remove its scratch folder; the
    next actor on that machine removes the folders whose process is gone, and only those."""
    import tempfile

    from mobile_agent.rollout import cluster

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f"{cluster.SCRATCH_PREFIX}{gone.pid}-abc"
    live = tmp_path / f"{cluster.SCRATCH_PREFIX}{os.getppid()}-def"
    other = tmp_path / "mobile-agent-rollout-notapid-x"
    for folder in (dead, live, other):
        (folder / "samples").mkdir(parents=True)
    cluster._sweep_scratch()
    assert not dead.exists() and live.exists() and other.exists()
