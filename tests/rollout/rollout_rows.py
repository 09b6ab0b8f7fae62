"""Reading a rollout folder's rows for comparison (timings differ between runs; nothing else may)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasets import load_dataset

TIMING = {"seconds"}


def rows(out: Path, table: str) -> list[dict[str, Any]]:
    files = sorted(str(p) for p in (out / "data" / table).glob("*.parquet"))
    ds = load_dataset("parquet", data_files=files, split="train")
    if "images" in ds.column_names:
        from datasets import Image, List

        ds = ds.cast_column("images", List(Image(decode=False)))
    return [{k: v for k, v in r.items() if k not in TIMING} for r in ds]
