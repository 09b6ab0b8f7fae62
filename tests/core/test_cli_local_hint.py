"""`--backend local` with a missing model folder: the hint is about the model folder, not a model server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_cli_markup import cli


async def test_local_backend_missing_model_hint(sim_phone: Any, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    code, _, err = await cli(
        "run", "Turn on Wi-Fi", "--device", sim_phone.serial, "--backend", "local", "--model", str(missing),
        "--out", str(tmp_path), "-q",
    )  # fmt: skip
    flat = err.replace("\n", " ")
    assert code == 2 and "Traceback" not in err, err
    assert "Start a model server" not in flat
    assert "--model" in flat and "checkpoint" in flat
