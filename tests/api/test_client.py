"""`mobile-agent submit` logic against a real server (scripted runner)."""

from __future__ import annotations

import io
from pathlib import Path

from api_harness import LiveServer
from api_scripted_runner import ScriptedRunner, fake_devices
from rich.console import Console

from mobile_agent.api import create_app
from mobile_agent.api.client import main, submit
from mobile_agent.api.settings import ApiSettings


def server(tmp_path: Path, runner: ScriptedRunner, **kw) -> LiveServer:  # type: ignore[no-untyped-def]
    settings = ApiSettings(runs_dir=tmp_path / "runs", device_refresh_s=60, **kw)
    return LiveServer(create_app(settings, runner=runner, device_lister=fake_devices(["d1"])))


def recording() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=200, highlight=False, color_system=None), buf


def test_submit_follow_success_and_failure(tmp_path: Path) -> None:
    with server(tmp_path, ScriptedRunner(steps=2)) as srv:
        console, out = recording()
        assert submit("open settings", server=srv.url, follow=True, console=console, interactive=False) == 0
        text = out.getvalue()
        assert "submitted" in text and "Step 2" in text and "succeeded" in text
        console, out = recording()
        # a budget of one step on a two-step script: the runner still succeeds after 1 step
        assert submit("x", server=srv.url, follow=False, console=console) == 0
        assert "submitted" in out.getvalue()


def test_submit_follow_answers_confirmation_refused(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with server(tmp_path, ScriptedRunner(steps=3, confirm_at=1)) as srv:
        console, out = recording()
        monkeypatch.setattr(console, "input", lambda prompt="": "n")
        code = submit("send it", server=srv.url, follow=True, console=console, interactive=True)
        assert code == 1
        assert "The agent asks" in out.getvalue() and "failed" in out.getvalue()


def test_submit_errors_exit_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    with server(tmp_path, ScriptedRunner(), api_token="tok") as srv:
        console, out = recording()
        assert submit("x", server=srv.url, console=console) == 2
        assert "401" in out.getvalue()
        console, out = recording()
        assert submit("x", server=srv.url, token="tok", max_steps=999, console=console) == 2
        assert "max_steps" in out.getvalue()
        assert main(["hello", "--server", srv.url, "--token", "tok", "--follow", "--no-input"]) == 0
    console, out = recording()
    assert submit("x", server="http://127.0.0.1:9", console=console) == 2
    assert "cannot reach" in out.getvalue()
