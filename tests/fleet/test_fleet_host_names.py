"""A host's name and its phones' serials are unique across the cluster: a second host that reuses
either is refused plainly (exit 2), and the first host's phones stay where they are."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest
from ci_guard import skip_or_fail

from mobile_agent.testing.fleet_procs import Proc, RayHead, _bin, fleet_env, start_host


@pytest.fixture(scope="module")
def head_with_h1() -> Iterator[tuple[RayHead, str, dict[str, str]]]:
    if importlib.util.find_spec("ray") is None:
        skip_or_fail("ray is not installed (pip install -e '.[fleet]')")
    head = RayHead()
    env = fleet_env("http://127.0.0.1:9/v1")
    h1 = start_host(head.address, "h1", 1, seed=10, env=env)
    try:
        serial = h1.wait_for(r"host h1 ready: 1 phones: (\S+)", 180).group(1)
        yield head, serial, env
    finally:
        h1.close()
        head.close()


def _host(head: RayHead, env: dict[str, str], *args: str) -> Proc:
    return Proc(
        [_bin("mobile-agent"), "host", "--cluster", head.address, "--node-ip", "127.0.0.1", *args], env
    )


def test_a_second_host_with_a_taken_name_is_refused(head_with_h1) -> None:  # type: ignore[no-untyped-def]
    head, _, env = head_with_h1
    twin = _host(head, env, "--name", "h1", "--sim", "1", "--seed", "20")
    try:
        assert twin.proc.wait(180) == 2, twin.output[-2000:]
        assert "a host named h1 is already in the cluster" in twin.output
    finally:
        twin.close()


def test_a_second_host_serving_a_taken_serial_is_refused_naming_it(head_with_h1) -> None:  # type: ignore[no-untyped-def]
    head, serial, env = head_with_h1
    other = _host(head, env, "--name", "h2", "--device", serial)
    try:
        assert other.proc.wait(180) == 2, other.output[-2000:]
        assert f"phone {serial} is already served by another host" in other.output
        assert "Traceback" not in other.output
    finally:
        other.close()
