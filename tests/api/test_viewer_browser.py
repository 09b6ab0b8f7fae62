"""The viewer in a real browser: headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_harness import LiveServer, settings_for, wait_status
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


@pytest.fixture
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
