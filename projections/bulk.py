"""Bulk inserts for the projector: executemany straight to the driver.

SQLAlchemy's per-row parameter processing costs about as much as SQLite's insert itself;
the projector writes a few rows per event, so it converts values once per column with a
converter chosen by column type and dialect, producing exactly what SQLAlchemy would
store (dates ISO, times "YYYY-MM-DD HH:MM:SS.ffffff" on SQLite, JSON as text).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, Date, DateTime, Table

Converter = Callable[[Any], Any]


def _sqlite_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


@functools.lru_cache(maxsize=4096)
def _sqlite_datetime(value: datetime | None) -> str | None:
    # Cached: a batch's rows share a few recorded_at times.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if value is not None else None


def _json(value: Any) -> str | None:
    return json.dumps(value) if value is not None else None


def _converter(column_type: Any, dialect: str) -> Converter | None:
    if isinstance(column_type, JSON):
        return _json
    if dialect == "sqlite":
        if isinstance(column_type, DateTime):
            return _sqlite_datetime
        if isinstance(column_type, Date):
            return _sqlite_date
    return None


class BulkInsert:
    """An INSERT of many rows (dicts by column name) into one table, for one dialect."""

    def __init__(self, table: Table, dialect: str, paramstyle: str, quote: Callable[[str], str]):
        columns = [c for c in table.columns if c.name != "id"]
        self.names = [c.name for c in columns]
        self.getter = itemgetter(*self.names)
        self.converters = [
            (c.name, convert)
            for c in columns
            if (convert := _converter(c.type, dialect)) is not None
        ]
        if paramstyle == "qmark":
            marks = ", ".join("?" for _ in columns)
        elif paramstyle in ("pyformat", "format"):
            marks = ", ".join("%s" for _ in columns)
        else:  # pragma: no cover - the two drivers the ledger supports are covered above
            raise ValueError(f"unsupported paramstyle {paramstyle}")
        self.sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in self.names)}) "
            f"VALUES ({marks})"
        )

    def execute(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        """Inserts the rows (dicts with every column but id; converted in place)."""
        if not rows:
            return
        for row in rows:
            for name, convert in self.converters:
                row[name] = convert(row[name])
        conn.exec_driver_sql(self.sql, list(map(self.getter, rows)))


_cache: dict[tuple[str, str], BulkInsert] = {}


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts many rows into a table with one driver-level executemany."""
    dialect = conn.dialect
    key = (table.name, dialect.name)
    statement = _cache.get(key)
    if statement is None:
        statement = _cache[key] = BulkInsert(
            table, dialect.name, dialect.paramstyle, dialect.identifier_preparer.quote
        )
    statement.execute(conn, rows)
