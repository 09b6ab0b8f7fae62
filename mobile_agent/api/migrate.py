"""Additive schema migration of the task store: columns added to a table since a database was made.

`create_all` makes missing tables but never alters an existing one, so a database written by an
older version would lack the newer columns and every read of the table would fail. At startup
each declared table is compared with the database and a missing nullable column is added with
`ALTER TABLE ... ADD COLUMN` (SQLite and PostgreSQL both take it; nothing is dropped or
rewritten). Two servers starting on one database at once may race: a column the other one added
first is not an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, MetaData, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

__all__ = ["add_missing_columns"]

log = logging.getLogger(__name__)


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def add_missing_columns(engine: Engine, metadata: MetaData) -> list[str]:
    """Add the declared nullable columns an existing table lacks; returns them as `table.column`."""
    added: list[str] = []
    existing_tables = set(inspect(engine).get_table_names())
    quote = engine.dialect.identifier_preparer.quote
    for table in metadata.sorted_tables:
        if table.name not in existing_tables:
            continue
        have = _columns(engine, table.name)
        for column in table.columns:
            if column.name in have:
                continue
            _add(engine, table.name, column, quote)
            added.append(f"{table.name}.{column.name}")
    if added:
        log.info("task store migrated: added columns %s", ", ".join(added))
    return added


def _add(engine: Engine, table: str, column: Column[Any], quote: Callable[[str], str]) -> None:
    if not column.nullable or column.primary_key:
        raise RuntimeError(
            f"the database's {table} table lacks the required column {column.name}; "
            "it cannot be added in place (migrate the database or start with a new one)"
        )
    kind = column.type.compile(dialect=engine.dialect)
    # names come from our own table definitions, quoted the dialect's way all the same
    stmt = f"ALTER TABLE {quote(table)} ADD COLUMN {quote(column.name)} {kind}"
    try:
        with engine.begin() as conn:
            conn.execute(text(stmt))
    except DBAPIError:
        if column.name not in _columns(engine, table):  # not a concurrent add by another server
            raise
