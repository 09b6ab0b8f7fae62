"""`--out` naming a file (not a folder): a usage error that says so, not a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_cli_markup import cli

from mobile_agent.testing import StubChatServer


async def test_out_is_a_file(sim_phone: Any, tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    with StubChatServer(lambda request: "") as server:
        code, _, err = await cli(
            "run", "Turn on Wi-Fi", "--device", sim_phone.serial, "--base-url", server.base_url,
            "--model", "gui-owl-stub", "--out", str(afile), "-q",
        )  # fmt: skip
    assert "Traceback" not in err, err
    assert code == 2
    assert "run directory" in err and str(afile) in err.replace("\n", "")
