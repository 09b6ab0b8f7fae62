"""The viewer in a real browser: headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_harness import LiveServer, settings_for, wait_status
from api_policy import ANSWER
from ci_guard import skip_or_fail

from mobile_agent.api import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        skip_or_fail(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def test_task_page_live_reply_and_list(tmp_path: Path, browser, world) -> None:  # type: ignore[no-untyped-def]
    """The real Agent on a virtual phone; the page follows it live and answers its confirmation."""
    settings = settings_for(tmp_path, world["serials"][:1], api_token="view-tok")
    shots = os.environ.get("MOBILE_AGENT_VIEWER_SHOTS")
    with (
        LiveServer(create_app(settings)) as srv,
        httpx.Client(base_url=srv.url, headers={"Authorization": "Bearer view-tok"}) as c,
    ):
        instruction = "Send the report to Alice [confirm] [taps=2]"
        tid = c.post("/v1/tasks", json={"instruction": instruction}).json()["id"]
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{srv.url}/tasks/{tid}?token=view-tok")
        assert "token" not in page.url  # traded for a cookie
        page.wait_for_selector("#status [data-status=waiting_for_human]", timeout=30000)
        assert page.inner_text("#instruction") == instruction
        assert "send" in page.inner_text("#pending-prompt").lower()
        # step 1 arrived live: its screenshot loaded, the manager's and worker's outputs shown
        page.wait_for_function(
            "() => { const i = document.querySelector('[data-step=\"1\"] .before img');"
            " return i && i.complete && i.naturalWidth === 1080; }",
            timeout=30000,
        )
        roles = page.inner_text('[data-step="1"] .roles')
        assert "counting taps" in roles and "tap it" in roles
        page.fill("#reply-text", "yes, send it")
        page.click("#approve")
        page.wait_for_selector("#status [data-status=succeeded]", timeout=60000)
        assert wait_status(c, tid, {"succeeded"})["status"] == "succeeded"
        page.wait_for_selector('[data-step="1"] .marker', state="attached", timeout=15000)
        page.wait_for_function(
            "() => { const i = document.querySelector('[data-step=\"2\"] .after img');"
            " return i && i.complete && i.naturalWidth > 0; }",
            timeout=15000,
        )
        assert "reply: yes, send it (approved)" in page.inner_text('[data-step="1"] .roles')
        assert "reflector" in page.inner_text('[data-step="1"] .roles').lower()
        assert int(page.inner_text("#event-count")) > 20
        if shots:
            page.screenshot(path=str(Path(shots) / "viewer-task.png"), full_page=True)

        page.goto(f"{srv.url}/")
        page.wait_for_selector(f'tr[data-id="{tid}"] [data-status=succeeded]', timeout=15000)
        serial = world["serials"][0]
        page.wait_for_selector(f'.device[data-serial="{serial}"] [data-status=available]', timeout=15000)
        # submitting from the list page opens the new task's page, where it can be cancelled
        page.fill("#instruction", "Tap for a long time [taps=100]")
        page.click("#submit button")
        page.wait_for_url(f"{srv.url}/tasks/*", timeout=15000)
        page.wait_for_selector("#status [data-status=running]", timeout=30000)
        page.wait_for_selector('[data-step="1"]', timeout=30000)
        page.click("#cancel")
        page.wait_for_selector("#status [data-status=cancelled]", timeout=30000)
        if shots:
            page.goto(f"{srv.url}/")
            page.wait_for_selector("tr.row", timeout=15000)
            page.screenshot(path=str(Path(shots) / "viewer-list.png"))
        page.close()


OUTPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "note": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "note", "tags"],
}


def test_structured_output_and_report_links_appear_live(tmp_path: Path, browser, world) -> None:  # type: ignore[no-untyped-def]
    """A task with an output schema ends while its page is open: the output (markup in it shown as
    text), the answer and the links to its report and result.json appear without a reload, and
    the links work on the viewer's cookie alone."""
    settings = settings_for(tmp_path, world["serials"][:1], api_token="view-tok")
    with (
        LiveServer(create_app(settings)) as srv,
        httpx.Client(base_url=srv.url, headers={"Authorization": "Bearer view-tok"}) as c,
    ):
        body = {"instruction": "Read the contact card [ask] [answer]", "output_schema": OUTPUT_SCHEMA}
        tid = c.post("/v1/tasks", json=body).json()["id"]
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{srv.url}/tasks/{tid}?token=view-tok")
        page.wait_for_selector("#status [data-status=waiting_for_human]", timeout=30000)
        assert "waiting for the answer" in page.inner_text("#output-box")
        assert page.is_hidden("#output") and page.is_hidden("#artifacts")
        page.evaluate("window.notReloaded = true")
        page.fill("#reply-text", "1234")
        page.click("#approve")
        page.wait_for_selector("#artifacts", state="visible", timeout=30000)
        assert page.evaluate("window.notReloaded") is True
        assert page.inner_text("#status") == "succeeded"
        # pretty-printed, and the markup in it is text: no element made of it, no script run
        assert page.text_content("#output") == json.dumps(ANSWER, indent=2)
        assert page.eval_on_selector("#output", "e => e.childElementCount") == 0
        assert page.evaluate("document.querySelectorAll('img[src=x], #output-box b + b').length") == 0
        assert ANSWER["note"] in page.inner_text("#result")  # the answer, as text too
        assert dialogs == []

        with (
            page.context.expect_event("response", lambda r: r.url.endswith("/report")) as response,
            page.context.expect_page() as popup,
        ):
            page.click("#report-link")
        assert response.value.status == 200
        assert response.value.headers["content-type"].startswith("text/html")
        assert response.value.request.headers.get("authorization") is None  # the cookie let it in
        popup.value.wait_for_load_state()
        assert popup.value.url == f"{srv.url}/v1/tasks/{tid}/report"
        popup.value.close()
        result = page.evaluate(
            "fetch(document.getElementById('result-link').href).then(r => r.ok ? r.json() : r.status)"
        )
        assert result["output"] == ANSWER
        page.close()
