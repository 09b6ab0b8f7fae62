"""A fleet end to end: a real PostgreSQL, a Ray cluster of three nodes (head + two hosts of two
virtual phones each), two API replicas, the scripted model over HTTP. The tests run in order on
one fleet; the destructive ones (a replica killed, PostgreSQL restarted, a host killed) come last."""

from __future__ import annotations

import itertools
import re
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
    # its result.json and report.html too, from the replica it was not submitted to
    result = run_artifacts(urls[0], ids[1], views[ids[1]])
    assert result["status"] == "succeeded" and result["steps"] >= 2 and result["claimed_success"]


def run_artifacts(url: str, task_id: str, view: dict[str, Any]) -> dict[str, Any]:
    """The task's result.json and report.html as `url` serves them, checked against its view."""
    r = httpx.get(f"{url}/v1/tasks/{task_id}/result", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json", r.text
    result: dict[str, Any] = r.json()
    for key in ("status", "reason", "steps", "device"):
        assert result[key] == view[key], (key, result, view)
    page = httpx.get(f"{url}/v1/tasks/{task_id}/report", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert view["status"] in page.text
    for n in range(1, view["steps"] + 1):  # every step, with its screenshot inlined
        assert re.search(rf'<img alt="step {n} before" src="data:image/jpeg;base64,', page.text), n
    return result


def running_on(url: str, ids: list[str], hosts: dict[str, str], host: str) -> list[str]:
    """The tasks of `ids` running now on `host`'s phones, once each has streamed a step."""
    out = []
    for task_id in ids:
        view = httpx.get(f"{url}/v1/tasks/{task_id}", timeout=10).json()
        if view["status"] == "running" and hosts.get(view["device"]) == host and view["steps"] >= 1:
            out.append(task_id)
    return out


def assert_whole_stream(url: str, task_id: str, status: str) -> list[dict[str, Any]]:
    evs = events(url, task_id)
    assert [e["seq"] for e in evs] == list(range(1, len(evs) + 1)), f"a gap in {task_id}'s events"
    assert evs[0]["type"] == "task.started"
    assert evs[-1]["type"] == "task.finished" and evs[-1]["data"]["status"] == status
    return evs


def test_a_task_is_cancelled_through_the_other_replica(fleet: Any) -> None:
    url_a, url_b = (u for _, u in fleet.replicas)
    task_id = submit(url_a, "tap around [taps=50] cancel me")
    deadline = time.monotonic() + 60
    while httpx.get(f"{url_b}/v1/tasks/{task_id}", timeout=10).json()["steps"] < 1:
        assert time.monotonic() < deadline, "the task made no step"
        time.sleep(0.2)
    r = httpx.post(f"{url_b}/v1/tasks/{task_id}/cancel", timeout=30)
    assert r.status_code == 202 and r.json()["status"] == "running", r.text
    view = wait_all(url_a, [task_id], timeout=60)[task_id]
    assert view["status"] == "cancelled" and view["steps"] < 50, view
    assert_whole_stream(url_b, task_id, "cancelled")
    assert run_artifacts(url_a, task_id, view)["status"] == "cancelled"  # the recorded end


def test_a_task_asks_a_person_and_the_other_replica_relays_the_reply(fleet: Any) -> None:
    url_a, url_b = (u for _, u in fleet.replicas)
    task_id = submit(url_a, "sign in [ask] [taps=2]")
    early = httpx.post(f"{url_b}/v1/tasks/{task_id}/reply", json={"text": "too early"}, timeout=30)
    assert early.status_code == 409, early.text  # queued or running: nothing asked yet
    deadline = time.monotonic() + 60
    while (view := httpx.get(f"{url_b}/v1/tasks/{task_id}", timeout=10).json())[
        "status"
    ] != "waiting_for_human":
        assert view["status"] not in TERMINAL and time.monotonic() < deadline, view
        time.sleep(0.2)
    assert view["pending_request"]["kind"] == "question", view
    assert "Which account" in view["pending_request"]["prompt"], view
    # PostgreSQL keeps no NUL character: refused as such, not a 503 telling the client to retry
    nul = httpx.post(f"{url_a}/v1/tasks/{task_id}/reply", json={"text": "a\x00b"}, timeout=30)
    assert nul.status_code == 422 and "NUL" in nul.json()["detail"], nul.text
    r = httpx.post(f"{url_b}/v1/tasks/{task_id}/reply", json={"text": "the work account 工作"}, timeout=30)
    assert r.status_code == 200, r.text
    again = httpx.post(f"{url_a}/v1/tasks/{task_id}/reply", json={"text": "twice"}, timeout=30)
    assert again.status_code == 409, again.text  # one request, one reply
    view = wait_all(url_a, [task_id], timeout=90)[task_id]
    assert view["status"] == "succeeded" and view["pending_request"] is None, view
    evs = assert_whole_stream(url_b, task_id, "succeeded")
    replied = [e["data"] for e in evs if e["type"] == "human.replied"]
    assert replied == [{"kind": "question", "text": "the work account 工作", "approved": True}], replied


def wait_request(url: str, task_id: str, after: float = 0.0, timeout: float = 60) -> dict[str, Any]:
    """The task's pending request once it asks one made after `after` (its `since`)."""
    deadline = time.monotonic() + timeout
    while True:
        view = httpx.get(f"{url}/v1/tasks/{task_id}", timeout=10).json()
        pending = view["pending_request"]
        if view["status"] == "waiting_for_human" and pending and pending["since"] > after:
            return dict(pending)
        assert view["status"] not in TERMINAL and time.monotonic() < deadline, view
        time.sleep(0.1)


def test_a_declined_step_never_runs_and_a_reply_answers_one_question_only(fleet: Any) -> None:
    url_a, url_b = (u for _, u in fleet.replicas)
    pay = submit(url_a, "pay it [pay] [taps=2]")
    asks = submit(url_b, "two questions [asks=2] [taps=3]")
    confirm = wait_request(url_b, pay)
    assert confirm["kind"] == "confirm" and "pay" in confirm["prompt"], confirm
    r = httpx.post(f"{url_b}/v1/tasks/{pay}/reply", json={"text": "not now", "approve": False}, timeout=30)
    assert r.status_code == 200, r.text
    first = wait_request(url_a, asks)
    assert httpx.post(f"{url_a}/v1/tasks/{asks}/reply", json={"text": "one"}, timeout=30).status_code == 200
    second = wait_request(url_b, asks, after=first["since"])
    assert second["prompt"] != first["prompt"], second
    time.sleep(1)  # the first reply does not answer the second question
    assert httpx.get(f"{url_a}/v1/tasks/{asks}", timeout=10).json()["status"] == "waiting_for_human"
    assert httpx.post(f"{url_b}/v1/tasks/{asks}/reply", json={"text": "two"}, timeout=30).status_code == 200
    views = wait_all(url_a, [pay, asks], timeout=90)
    assert {v["status"] for v in views.values()} == {"succeeded"}, views
    evs = assert_whole_stream(url_a, pay, "succeeded")
    replied = [e["data"] for e in evs if e["type"] == "human.replied"]
    assert replied == [{"kind": "confirm", "text": "not now", "approved": False}], replied
    taps = [e["data"]["action"]["coordinate"] for e in evs if e["type"] == "action.executed"]
    assert [140, 1500] not in taps and [860, 1500] in taps, taps  # the refused tap never ran
    evs = assert_whole_stream(url_b, asks, "succeeded")
    assert [e["data"]["text"] for e in evs if e["type"] == "human.replied"] == ["one", "two"]


def test_a_task_waiting_for_a_person_is_cancelled_through_the_other_replica(fleet: Any) -> None:
    url_a, url_b = (u for _, u in fleet.replicas)
    task_id = submit(url_a, "cancel the wait [ask] [taps=2]")
    wait_request(url_b, task_id)
    r = httpx.post(f"{url_b}/v1/tasks/{task_id}/cancel", timeout=30)
    assert r.status_code == 202, r.text
    view = wait_all(url_a, [task_id], timeout=30)[task_id]
    assert view["status"] == "cancelled" and view["pending_request"] is None, view
    assert_whole_stream(url_b, task_id, "cancelled")
    late = httpx.post(f"{url_a}/v1/tasks/{task_id}/reply", json={"text": "late"}, timeout=30)
    assert late.status_code == 409, late.text
    phone = next(p for p in devices(url_b) if p["serial"] == view["device"])
    assert phone["state"] == "available", phone  # the phone is free again


def test_postgres_restarted_mid_run_loses_nothing(fleet: Any) -> None:
    urls = [u for _, u in fleet.replicas]
    ids = [submit(urls[i % 2], f"tap around [taps=4] pg#{i}") for i in range(4)]
    deadline = time.monotonic() + 60
    while not any(httpx.get(f"{urls[0]}/v1/tasks/{t}", timeout=10).json()["steps"] >= 1 for t in ids):
        assert time.monotonic() < deadline, "no task made a step"
        time.sleep(0.2)
    fleet.pg.stop("fast")
    try:
        r = httpx.post(f"{urls[0]}/v1/tasks", json={"instruction": "during the outage"}, timeout=30)
        assert r.status_code == 503, r.text
        assert "task store" in r.json()["detail"] and "unreachable" in r.json()["detail"]
        time.sleep(3)  # the hosts keep running and buffer their events meanwhile
    finally:
        fleet.pg.start()
    views = wait_all(urls[1], ids)
    assert {v["status"] for v in views.values()} == {"succeeded"}, views
    for task_id in ids:
        evs = assert_whole_stream(urls[0], task_id, "succeeded")
        assert sum(e["type"] == "step.finished" for e in evs) == views[task_id]["steps"] >= 4


def test_killed_replica_the_other_serves_every_task_and_stream(fleet: Any) -> None:
    (victim, url_a), (_, url_b) = fleet.replicas
    ids = [submit(url_a, f"tap around [taps=3] replica#{i}") for i in range(6)]
    victim.kill9()
    views = wait_all(url_b, ids, timeout=150)
    assert {v["status"] for v in views.values()} == {"succeeded"}, views
    no_overlap(list(views.values()))
    for task_id in ids:
        assert_whole_stream(url_b, task_id, "succeeded")


def test_killed_host_ends_its_tasks_host_lost_and_the_rest_succeed(fleet: Any) -> None:
    url = fleet.replicas[1][1]
    hosts = {p["serial"]: p["host"] for p in devices(url)}
    ids = [submit(url, f"tap around [taps=8] host#{i}") for i in range(6)]
    deadline = time.monotonic() + 90
    while len(victims := running_on(url, ids, hosts, "h1")) < 2:
        assert time.monotonic() < deadline, "h1 never ran two tasks"
        time.sleep(0.2)
    streamed = {t: len(events_so_far(url, t)) for t in victims}
    fleet.hosts["h1"].kill9()
    killed_at = time.monotonic()
    views = wait_all(url, ids, timeout=150)
    for task_id in victims:
        view = views[task_id]
        assert view["status"] == "failed" and view["reason"].startswith("host_lost: host h1"), view
        evs = assert_whole_stream(url, task_id, "failed")
        assert len(evs) > streamed[task_id]  # everything streamed before the loss, and the end
        # the lost host could not write its result: the replica rebuilt it from the store
        result = run_artifacts(url, task_id, view)
        assert result["error"] == "host_lost" and result["steps"] >= 1
    others = [views[t] for t in ids if t not in victims]
    assert others and {v["status"] for v in others} == {"succeeded"}, others
    assert {hosts[v["device"]] for v in others} <= {"h1", "h2"}
    lost_by = max(time.monotonic() - killed_at, 0)
    assert lost_by < 150
    h1 = [p for p in devices(url) if p["host"] == "h1"]
    assert h1 and {p["state"] for p in h1} == {"offline"}
    # a task naming a phone of the lost host waits for it, visibly queued
    waiting = submit(url, "tap [taps=1]", device=h1[0]["serial"])
    time.sleep(1.5)
    view = httpx.get(f"{url}/v1/tasks/{waiting}", timeout=10).json()
    assert view["status"] == "queued" and view["queue_position"] is not None
    assert httpx.post(f"{url}/v1/tasks/{waiting}/cancel", timeout=10).json()["status"] == "cancelled"


def events_so_far(url: str, task_id: str) -> list[dict[str, Any]]:
    """The events stored so far (the stream, read without waiting for the end)."""
    import json

    out: list[dict[str, Any]] = []
    with httpx.stream("GET", f"{url}/v1/tasks/{task_id}/events", timeout=10) as r:
        start = time.monotonic()
        for line in r.iter_lines():
            if line.startswith("data:"):
                out.append(json.loads(line[5:]))
            if time.monotonic() - start > 1.0:
                break
    return out
