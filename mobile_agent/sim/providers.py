"""What an app declares about its content provider: the table, the URIs that reach it, the
columns `content query` prints, and the order rows come back in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Provider"]


@dataclass(frozen=True)
class Provider:
    table: str  # the key of the rows in `phone.tables` (and in the seed data)
    uris: Mapping[str, int | None]  # content URI -> the `type` its rows must have (None: every row)
    columns: tuple[str, ...]  # what `content query` prints, in order
    newest_first: tuple[str, ...] = ()  # sort keys, descending (SMS: date, then _id)
    cleared_by_pm_clear: bool = True  # False for a shared store (media) the app only shows

    def order(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not self.newest_first:
            return rows
        return sorted(rows, key=lambda r: tuple(-r[k] for k in self.newest_first))
