"""`content query|insert|update|delete`: the content providers. WHERE clauses go to the phone's
one query engine (`mobile_agent.sim.where`), as Android hands them to the provider's SQLite."""

from __future__ import annotations

import re
from typing import Any

from mobile_agent.sim.commands.registry import Ctx, commands_of, register
from mobile_agent.sim.where import WhereError

__all__ = ["cmd_content"]


def _first(opts: dict[str, list[str]], name: str) -> str | None:
    values = opts.get(name)
    return values[0] if values else None


def _bind_values(binds: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for b in binds:
        parts = b.split(":", 2)
        if len(parts) != 3:
            raise ValueError(b)
        values[parts[0]] = parts[2]
    return values


def cmd_content(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.error("usage: adb shell content [subcommand] [options]")
        return 1
    sub = args[0]
    opts: dict[str, list[str]] = {}
    it = iter(args[1:])
    for a in it:
        if a.startswith("--"):
            opts.setdefault(a[2:], []).append(next(it, ""))
    uri = (opts.get("uri") or [""])[0]
    if not uri:
        ctx.error("[ERROR] Content provider URI not specified. Did you specify --uri argument?")
        return 1
    phone = ctx.phone
    authority = uri.split("://", 1)[-1].split("/", 1)[0]
    try:
        if sub == "query":
            rows = phone.content_query(uri, _first(opts, "where"))
            proj = _first(opts, "projection")
            cols = [c for c in re.split(r"[:,]", proj) if c] if proj else None
            sort = _first(opts, "sort")
            if sort:
                key, _, order = sort.partition(" ")
                rows = sorted(
                    rows, key=lambda r: _sort_key(r.get(key, "")), reverse=order.strip().upper() == "DESC"
                )
            if not rows:
                ctx.print("No result found.")
                return 0
            for i, row in enumerate(rows):
                items = [(c, row.get(c, "NULL")) for c in cols] if cols else list(row.items())
                ctx.print(f"Row: {i} " + ", ".join(f"{k}={'NULL' if v is None else v}" for k, v in items))
            return 0
        if sub == "insert":
            phone.content_insert(uri, _bind_values(opts.get("bind", [])))
            return 0
        if sub == "delete":
            phone.content_delete(uri, _first(opts, "where"))
            return 0
        if sub == "update":
            phone.content_update(uri, _bind_values(opts.get("bind", [])), _first(opts, "where"))
            return 0
    except KeyError:
        ctx.error(f"Error while accessing provider:{authority}")
        ctx.error(f"java.lang.IllegalArgumentException: Unknown URL {uri}")
        return 1
    except WhereError as exc:
        ctx.error(f"Error while accessing provider:{authority}")
        ctx.error(f"android.database.sqlite.SQLiteException: {exc} (code 1 SQLITE_ERROR)")
        return 1
    except ValueError as exc:  # a --bind that is not NAME:TYPE:VALUE
        ctx.error(f"Error while accessing provider:{authority}")
        ctx.error(
            f'android.database.sqlite.SQLiteException: near "{exc}": syntax error (code 1 SQLITE_ERROR)'
        )
        return 1
    ctx.error(f"Unsupported operation: {sub}")
    return 1


def _sort_key(v: Any) -> tuple[int, Any]:
    try:
        return (0, float(v))
    except (TypeError, ValueError):
        return (1, str(v))


register(commands_of(globals()))
