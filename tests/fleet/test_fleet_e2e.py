"""A fleet end to end: a real PostgreSQL, a Ray cluster of three nodes (head + two hosts of two
virtual phones each), two API replicas, the scripted model over HTTP. The tests run in order on
one fleet; the destructive ones (a replica killed, PostgreSQL restarted, a host killed) come last."""

from __future__ import annotations

import itertools
import time
from typing import Any

import httpx

TERMINAL = {"succeeded", "failed", "cancelled", "interrupted"}


def submit(url: str, instruction: str, **extra: Any) -> str:
    r = httpx.post(
        f"{url}/v1/tasks", json={"instruction": instruction, "max_seconds": 120, **extra}, timeout=30
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def wait_all(url: str, ids: list[str], timeout: float = 180) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    done: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        for task_id in ids:
            if task_id in done:
                continue
            try:
                view = httpx.get(f"{url}/v1/tasks/{task_id}", timeout=10).json()
            except httpx.HTTPError:
                continue
            if view["status"] in TERMINAL:
                done[task_id] = view
        if len(done) == len(ids):
            return done
        time.sleep(0.5)
    raise AssertionError(f"not finished in {timeout} s: {sorted(set(ids) - set(done))}")


def events(url: str, task_id: str) -> list[dict[str, Any]]:
    import json

    out = []
    with httpx.stream("GET", f"{url}/v1/tasks/{task_id}/events", timeout=60) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data:"):
                out.append(json.loads(line[5:]))
    return out


def devices(url: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{url}/v1/devices", timeout=10)
    assert r.status_code == 200, r.text
    return list(r.json())


def no_overlap(views: list[dict[str, Any]]) -> None:
    """No phone ran two tasks at once (from the recorded start and finish times)."""
    by_phone: dict[str, list[tuple[str, str]]] = {}
    for v in views:
        if v["started_at"]:
            by_phone.setdefault(v["device"], []).append((v["started_at"], v["finished_at"]))
    for phone, spans in by_phone.items():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start, f"{phone} ran two tasks at once: {spans}"


def test_tasks_from_both_replicas_run_on_both_hosts_one_at_a_time_per_phone(fleet: Any) -> None:
    urls = [u for _, u in fleet.replicas]
    phones = devices(urls[0])
    assert sorted({p["host"] for p in phones}) == ["h1", "h2"]
    assert len(phones) == 4 and all(p["state"] in ("available", "leased") for p in phones)
    assert devices(urls[1]) == devices(urls[0]) or len(devices(urls[1])) == 4
    ids = [submit(urls[i % 2], f"tap around [taps=2] #{i}") for i in range(10)]
    views = wait_all(urls[1], ids)
    assert {v["status"] for v in views.values()} == {"succeeded"}, views
    hosts = {p["serial"]: p["host"] for p in phones}
    assert {hosts[v["device"]] for v in views.values()} == {"h1", "h2"}
    no_overlap(list(views.values()))
    # the stream and the screenshots of a task come from either replica
    evs = events(urls[0], ids[1])
    assert evs[0]["type"] == "task.started" and evs[-1]["type"] == "task.finished"
    assert [e["seq"] for e in evs] == list(range(1, len(evs) + 1))
    png = httpx.get(f"{urls[1]}/v1/tasks/{ids[1]}/steps/1/screenshot", timeout=10)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
