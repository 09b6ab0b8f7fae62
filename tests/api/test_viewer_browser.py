"""The viewer in a real browser: headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_harness import LiveServer, wait_status
from api_scripted_runner import ScriptedRunner, fake_devices

from mobile_agent.api import create_app
from mobile_agent.api.settings import ApiSettings

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
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing in CI (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def test_task_page_live_reply_and_list(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    settings = ApiSettings(runs_dir=tmp_path / "runs", api_token="view-tok", device_refresh_s=60)
    runner = ScriptedRunner(steps=3, step_s=0.05, confirm_at=2)
    app = create_app(settings, runner=runner, device_lister=fake_devices(["phone-1"]))
    with (
        LiveServer(app) as srv,
        httpx.Client(base_url=srv.url, headers={"Authorization": "Bearer view-tok"}) as c,
    ):
        tid = c.post("/v1/tasks", json={"instruction": "Send the report to Alice"}).json()["id"]
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{srv.url}/tasks/{tid}?token=view-tok")
        assert "token" not in page.url  # traded for a cookie
        page.wait_for_selector("#status [data-status=waiting_for_human]", timeout=15000)
        assert page.inner_text("#instruction") == "Send the report to Alice"
        assert "Send it?" in page.inner_text("#pending-prompt")
        # step 1 rendered live: its screenshot loaded, its tap marker drawn, the worker's thought shown
        page.wait_for_function(
            "() => { const i = document.querySelector('[data-step=\"1\"] .before img');"
            " return i && i.complete && i.naturalWidth > 0; }",
            timeout=15000,
        )
        page.wait_for_selector('[data-step="1"] .marker', state="attached", timeout=15000)
        assert "tap thing 1" in page.inner_text('[data-step="1"] .roles')
        page.fill("#reply-text", "yes, send it")
        page.click("#approve")
        page.wait_for_selector("#status [data-status=succeeded]", timeout=15000)
        assert wait_status(c, tid, {"succeeded"})["status"] == "succeeded"
        page.wait_for_selector('[data-step="3"] .after img', timeout=15000)
        assert "reply: yes, send it (approved)" in page.inner_text('[data-step="2"] .roles')
        assert int(page.inner_text("#event-count")) > 10
        shot = tmp_path / "viewer-task.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if os.environ.get("MOBILE_AGENT_VIEWER_SHOTS"):
            shutil.copy(shot, Path(os.environ["MOBILE_AGENT_VIEWER_SHOTS"]) / "viewer-task.png")

        page.goto(f"{srv.url}/")
        page.wait_for_selector(f'tr[data-id="{tid}"] [data-status=succeeded]', timeout=15000)
        page.wait_for_selector('.device[data-serial="phone-1"] [data-status=available]', timeout=15000)
        # submitting from the list page opens the new task's page
        page.fill("#instruction", "Open the clock")
        page.click("#submit button")
        page.wait_for_url(f"{srv.url}/tasks/*", timeout=15000)
        page.wait_for_selector("#status [data-status=waiting_for_human]", timeout=15000)
        assert page.inner_text("#instruction") == "Open the clock"
        page.click("#cancel")
        page.wait_for_selector("#status [data-status=cancelled]", timeout=15000)
        if os.environ.get("MOBILE_AGENT_VIEWER_SHOTS"):
            page.goto(f"{srv.url}/")
            page.wait_for_selector("tr.row", timeout=15000)
            page.screenshot(path=str(Path(os.environ["MOBILE_AGENT_VIEWER_SHOTS"]) / "viewer-list.png"))
        page.close()
