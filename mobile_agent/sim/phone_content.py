"""The content providers of the phone: the URIs, columns and row defaults each app declares
(`App.providers`, `App.new_row`), read and written through the one query engine (`where.py`)."""

from __future__ import annotations

import re
from typing import Any

from mobile_agent.sim.apps.base import App
from mobile_agent.sim.phone_state import PhoneState
from mobile_agent.sim.providers import Provider
from mobile_agent.sim.where import select

__all__ = ["PhoneContent", "normalize_number"]


class PhoneContent(PhoneState):
    """`content query|insert|update|delete` over the tables the apps declare."""

    def providers(self) -> dict[str, tuple[App, Provider, int | None]]:
        """content URI -> (the app that declares it, its provider, the row `type` it selects)."""
        return {
            uri: (app, provider, type_)
            for app in self.apps.values()
            for provider in app.providers
            for uri, type_ in provider.uris.items()
        }

    def _resolve(self, uri: str) -> tuple[App, Provider, int | None, int | None]:
        """(app, provider, row type, row id) for a URI, with `/<id>` for one row; KeyError if unknown."""
        known = self.providers()
        u = uri.strip().rstrip("/")
        row_id: int | None = None
        m = re.fullmatch(r"(.*)/(\d+)", u)
        if u not in known and m and m.group(1) in known:
            u, row_id = m.group(1), int(m.group(2))
        if u not in known:
            raise KeyError(uri)
        app, provider, type_ = known[u]
        return app, provider, type_, row_id

    def _select(self, uri: str, where: str | None) -> tuple[App, Provider, int | None, list[dict[str, Any]]]:
        app, provider, type_, row_id = self._resolve(uri)
        rows = self.tables[provider.table]
        if type_ is not None:
            rows = [r for r in rows if r.get("type") == type_]
        if row_id is not None:
            rows = [r for r in rows if r["_id"] == row_id]
        return app, provider, type_, select(rows, where, provider.columns)

    def content_query(self, uri: str, where: str | None = None) -> list[dict[str, str]]:
        with self.lock:
            _, provider, _, rows = self._select(uri, where)
            return [{c: str(r.get(c, "")) for c in provider.columns} for r in provider.order(rows)]

    def content_insert(self, uri: str, values: dict[str, str]) -> None:
        with self.lock:
            _, provider, type_, _ = self._resolve(uri)
            self.insert_row(provider.table, values, type_)
            self._changed()

    def insert_row(self, table: str, values: dict[str, Any], type_: int | None = None) -> dict[str, Any]:
        """Add a row with the declaring app's defaults; used by content insert and by the apps."""
        app = next((a for a in self.apps.values() if any(p.table == table for p in a.providers)), None)
        if app is None:
            raise KeyError(table)
        row = {"_id": self.next_id(table), **app.new_row(table, dict(values), type_)}
        self.tables[table].append(row)
        return row

    def content_update(self, uri: str, values: dict[str, str], where: str | None = None) -> int:
        """`content update`: set columns on the matching rows (ints stay ints)."""
        with self.lock:
            app, provider, _, rows = self._select(uri, where)
            for r in rows:
                for k, v in values.items():
                    if k == "_id":
                        continue
                    old = r.get(k)
                    if isinstance(old, int) and not isinstance(old, bool):
                        try:
                            r[k] = int(v)
                            continue
                        except ValueError:
                            pass
                    r[k] = v
                app.row_updated(provider.table, r, values)
            if rows:
                self._changed()
            return len(rows)

    def content_delete(self, uri: str, where: str | None) -> int:
        with self.lock:
            app, provider, _, doomed = self._select(uri, where)
            ids = {id(r) for r in doomed}
            self.tables[provider.table] = [r for r in self.tables[provider.table] if id(r) not in ids]
            app.rows_deleted(provider.table, doomed)
            if doomed:
                self._changed()
            return len(doomed)

    def thread_id(self, address: str) -> int:
        key = normalize_number(address)
        for addr, tid in self.threads.items():
            if normalize_number(addr) == key:
                return tid
        tid = max(self.threads.values(), default=0) + 1
        self.threads[address] = tid
        return tid

    def contact_for(self, address: str) -> dict[str, Any] | None:
        key = normalize_number(address)
        for c in self.tables["contacts"]:
            if key and normalize_number(c["number"]) == key:
                return c
        return None


def normalize_number(n: str) -> str:
    """Digits only, without a leading country code '1' for 11-digit NANP numbers (for matching)."""
    digits = re.sub(r"\D", "", n)
    if not digits:
        return n.strip().casefold()
    return digits[-10:] if len(digits) >= 10 else digits
