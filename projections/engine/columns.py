"""Whole numbers of any size in read-model columns: amounts in cents, and counts.

The write side bounds each amount, but not how many a record sums, so a column must hold
any integer. On PostgreSQL it is NUMERIC. On SQLite it stays BIGINT: a value that fits in
64 bits is stored as an INTEGER (the common case, as cheap as before), a larger one as a
BLOB of its decimal digits. A BLOB, unlike text, is never converted by the column's
INTEGER affinity (text of a large integer would silently become a lossy REAL), so tables
made by an older version with plain BIGINT columns hold them too. No query compares or
sums these columns in SQL (sums are taken in Python from exact integers).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, Connection, Dialect, Table, inspect
from sqlalchemy.dialects.postgresql import NUMERIC
from sqlalchemy.types import Integer, TypeDecorator, TypeEngine

#: The range of SQLite's INTEGER storage class (and of BIGINT).
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class WholeNumber(TypeDecorator[int]):
    """An integer of any size, read back exactly (see the module's docstring)."""

    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """NUMERIC (no precision: any size) on PostgreSQL, BIGINT elsewhere."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(NUMERIC())
        return dialect.type_descriptor(BigInteger())

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        """The value as the driver stores it (SQLite: a BLOB of digits beyond 64 bits)."""
        if dialect.name == "sqlite":
            return sqlite_whole(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        """An int again, from an int, a Decimal (PostgreSQL) or a BLOB of digits (SQLite)."""
        if value is None or type(value) is int:
            return value
        if isinstance(value, bytes | bytearray | memoryview):
            return int(bytes(value).decode("ascii"))
        return int(value)


def sqlite_whole(value: int | None) -> int | bytes | None:
    """An integer as SQLite stores it in a WholeNumber column: an INTEGER when it fits in
    64 bits, otherwise a BLOB of its decimal digits (and sign)."""
    if value is None or INT64_MIN <= value <= INT64_MAX:
        return value
    return str(value).encode("ascii")


def narrow_columns(conn: Connection, tables: Iterable[Table]) -> list[str]:
    """The WholeNumber columns ("table.column") that a table in the database holds as a
    64- or 32-bit integer: on PostgreSQL, tables an older version made (a rebuild makes
    them NUMERIC). On SQLite none is narrow: its BIGINT columns hold larger values too."""
    if conn.dialect.name == "sqlite":
        return []
    narrow = []
    inspector = inspect(conn)
    for table in tables:
        wanted = {c.name for c in table.columns if isinstance(c.type, WholeNumber)}
        if not wanted:
            continue
        for column in inspector.get_columns(table.name):
            if column["name"] in wanted and isinstance(column["type"], Integer):
                narrow.append(f"{table.name}.{column['name']}")
    return narrow
