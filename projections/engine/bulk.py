"""Bulk writes for the projector, straight to the driver.

SQLAlchemy's per-row parameter processing costs about as much as the database's insert
itself, and the projector writes a few rows per event. So rows go to the driver directly:
on SQLite one executemany with values converted once per column, exactly as SQLAlchemy
would store them (dates ISO, times "YYYY-MM-DD HH:MM:SS.ffffff", JSON as text, whole
numbers beyond 64 bits as projections.engine.columns stores them); on
PostgreSQL one COPY per table for new rows, and one UPDATE/DELETE joined to a VALUES
list for the rows a batch closes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Connection, Date, DateTime, Dialect, Table

from projections.engine.columns import WholeNumber, sqlite_whole

Converter = Callable[[Any], Any]
#: Rows per statement when closing rows on PostgreSQL (3 parameters each).
CHUNK = 2000


@functools.lru_cache(maxsize=65536)
def _sqlite_date(value: date | None) -> str | None:
    # Cached: the rows of a batch share their dates.
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
        if isinstance(column_type, WholeNumber):
            return sqlite_whole
        if isinstance(column_type, DateTime):
            return _sqlite_datetime
        if isinstance(column_type, Date):
            return _sqlite_date
    return None


class BulkInsert:
    """An INSERT of many rows (dicts by column name) into one table, for one dialect."""

    def __init__(self, table: Table, dialect: str, quote: Callable[[str], str]):
        columns = [c for c in table.columns if c.name != "id"]
        self.dialect = dialect
        self.parameters = _parameters(
            [c.name for c in columns], [_converter(c.type, dialect) for c in columns]
        )
        names = ", ".join(quote(c.name) for c in columns)
        if dialect == "postgresql":
            self.sql = f"COPY {quote(table.name)} ({names}) FROM STDIN"
        else:
            marks = ", ".join("?" for _ in columns)
            self.sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"

    def rows(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """The rows (dicts with every column but id) as parameters in column order."""
        return list(map(self.parameters, rows))

    def execute(self, conn: Connection, parameters: Sequence[tuple[Any, ...]]) -> None:
        """Inserts rows given as parameters in column order (see `rows`)."""
        if not parameters:
            return
        if self.dialect == "postgresql":
            with _driver(conn).cursor() as cursor, cursor.copy(self.sql) as copy:
                for row in parameters:
                    copy.write_row(row)
        else:
            conn.exec_driver_sql(self.sql, list(parameters))


#: The first columns of a bitemporal table (after its row id), in table order.
TIME_COLUMNS = ("entity", "valid_from", "valid_to", "recorded_from", "recorded_to")


class VersionRows:
    """Rows of a bitemporal table as its INSERT takes them: the time columns, then the
    state columns of a version, converted once per version (see `state`)."""

    def __init__(self, table: Table, dialect: str):
        names = [c.name for c in table.columns if c.name != "id"]
        if tuple(names[:5]) != TIME_COLUMNS:
            raise ValueError(f"{table.name}: expected the columns {TIME_COLUMNS} first")
        state = names[5:]
        #: A version's state columns (a dict by name) as parameters, converted.
        self.state = _parameters(state, [_converter(table.c[n].type, dialect) for n in state])
        sqlite = dialect == "sqlite"
        self.date: Converter = _sqlite_date if sqlite else _same
        self.time: Converter = _sqlite_datetime if sqlite else _same


def _same(value: Any) -> Any:
    return value


def time_converters(dialect: Dialect) -> tuple[Converter, Converter]:
    """(date, datetime) as a dialect's driver takes them in bulk writes."""
    if dialect.name == "sqlite":
        return _sqlite_date, _sqlite_datetime
    return _same, _same


def _parameters(
    names: Sequence[str], converters: Sequence[Converter | None]
) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function from a row (dict) to its parameters in column order, converted.

    Generated once per table (a tuple display with one item per column), since the loop
    it replaces ran for every column of every row the projector writes.
    """
    namespace: dict[str, Any] = {}
    items = []
    for i, (name, convert) in enumerate(zip(names, converters, strict=True)):
        if convert is None:
            items.append(f"row[{name!r}]")
        else:
            namespace[f"convert{i}"] = convert
            items.append(f"convert{i}(row[{name!r}])")
    source = f"def parameters(row):\n    return ({', '.join(items)},)\n"
    exec(source, namespace)  # column names of our own tables, each quoted by repr
    function: Callable[[dict[str, Any]], tuple[Any, ...]] = namespace["parameters"]
    return function


def _driver(conn: Connection) -> Any:
    """The driver's connection under a SQLAlchemy connection (same transaction)."""
    return conn.connection.driver_connection


_inserts: dict[tuple[str, str], BulkInsert] = {}
_version_rows: dict[tuple[str, str], VersionRows] = {}


def inserter(dialect: Dialect, table: Table) -> BulkInsert:
    """The (cached) bulk INSERT of a table for a dialect."""
    key = (table.name, dialect.name)
    statement = _inserts.get(key)
    if statement is None:
        statement = _inserts[key] = BulkInsert(
            table, dialect.name, dialect.identifier_preparer.quote
        )
    return statement


def version_rows(dialect: Dialect, table: Table) -> VersionRows:
    """The (cached) row conversion of a bitemporal table for a dialect."""
    key = (table.name, dialect.name)
    found = _version_rows.get(key)
    if found is None:
        found = _version_rows[key] = VersionRows(table, dialect.name)
    return found


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts many rows into a table with one driver-level executemany (or COPY)."""
    statement = inserter(conn.dialect, table)
    statement.execute(conn, statement.rows(rows))


def close_open_rows(
    conn: Connection, table: Table, closes: Sequence[tuple[str, date, datetime]]
) -> None:
    """Sets recorded_to on the open rows (entity, valid_from) — (entity, valid_from, time)."""
    if not closes:
        return
    name = conn.dialect.identifier_preparer.quote(table.name)
    if conn.dialect.name == "postgresql":
        for i in range(0, len(closes), CHUNK):
            chunk = closes[i : i + CHUNK]
            values = ", ".join("(%s, %s::date, %s::timestamp)" for _ in chunk)
            _driver(conn).execute(
                f"UPDATE {name} AS t SET recorded_to = v.at "
                f"FROM (VALUES {values}) AS v(entity, valid_from, at) "
                "WHERE t.entity = v.entity AND t.valid_from = v.valid_from "
                "AND t.recorded_to IS NULL",
                [p for row in chunk for p in row],
            )
        return
    conn.exec_driver_sql(
        f"UPDATE {name} SET recorded_to = ? "
        "WHERE entity = ? AND valid_from = ? AND recorded_to IS NULL",
        [(_sqlite_datetime(at), e, _sqlite_date(vf)) for e, vf, at in closes],
    )


def delete_open_rows(conn: Connection, table: Table, rows: Sequence[tuple[str, date]]) -> None:
    """Deletes the open rows (entity, valid_from)."""
    if not rows:
        return
    name = conn.dialect.identifier_preparer.quote(table.name)
    if conn.dialect.name == "postgresql":
        for i in range(0, len(rows), CHUNK):
            chunk = rows[i : i + CHUNK]
            values = ", ".join("(%s, %s::date)" for _ in chunk)
            _driver(conn).execute(
                f"DELETE FROM {name} AS t USING (VALUES {values}) AS v(entity, valid_from) "
                "WHERE t.entity = v.entity AND t.valid_from = v.valid_from "
                "AND t.recorded_to IS NULL",
                [p for row in chunk for p in row],
            )
        return
    conn.exec_driver_sql(
        f"DELETE FROM {name} WHERE entity = ? AND valid_from = ? AND recorded_to IS NULL",
        [(e, _sqlite_date(vf)) for e, vf in rows],
    )
