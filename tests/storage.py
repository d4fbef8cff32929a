"""Test helpers for the storage backends: throwaway PostgreSQL databases, events, raw SQL."""

from __future__ import annotations

import functools
import os
import sqlite3
import uuid
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from ledger.application import LedgerApplication
from ledger.cli.record import demo_text, load_commands
from ledger.store import (
    ChainedEvent,
    application_env,
    format_recorded_at,
    link_hash,
    parse_url,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import datetime
    from pathlib import Path

    from ledger.store import ChainedRecorder

PG_HOST = os.environ.get("LEDGER_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("LEDGER_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("LEDGER_TEST_PG_USER", "postgres")
PG_PASSWORD = os.environ.get("LEDGER_TEST_PG_PASSWORD", "")
PG_UNREACHABLE = f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT}"
BACKENDS = ("sqlite", "postgres")


def _admin_connect() -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        user=PG_USER,
        password=PG_PASSWORD,
        dbname="postgres",
        autocommit=True,
        connect_timeout=3,
    )


@functools.cache
def postgres_reachable() -> bool:
    """True if the test PostgreSQL server answers (checked once per process)."""
    try:
        with _admin_connect() as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def require_postgres() -> None:
    """Skip the test when PostgreSQL does not answer, or fail if LEDGER_REQUIRE_POSTGRES=1."""
    if postgres_reachable():
        return
    if os.environ.get("LEDGER_REQUIRE_POSTGRES", "") == "1":
        pytest.fail(f"{PG_UNREACHABLE} (LEDGER_REQUIRE_POSTGRES=1: PostgreSQL tests must run)")
    pytest.skip(PG_UNREACHABLE)


def pg_url(dbname: str) -> str:
    """The ledger URL of a database on the test server."""
    auth = PG_USER + (f":{PG_PASSWORD}" if PG_PASSWORD else "")
    return f"postgresql://{auth}@{PG_HOST}:{PG_PORT}/{dbname}"


def create_pg_database() -> str:
    """Create an empty database ledger_test_<random> and return its name."""
    name = f"ledger_test_{uuid.uuid4().hex[:12]}"
    with _admin_connect() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_pg_database(name: str) -> None:
    """Drop a test database, closing whatever connections are left."""
    with _admin_connect() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# Databases are reused within a test session: after each use the schema is dropped and
# recreated (much faster than CREATE DATABASE), and all are dropped at the session's end.
_free_databases: list[str] = []
_created_databases: list[str] = []


def _reset_pg_database(name: str) -> None:
    with _admin_connect() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
    with psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        user=PG_USER,
        password=PG_PASSWORD,
        dbname=name,
        autocommit=True,
        connect_timeout=3,
    ) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@contextmanager
def postgres_database() -> Iterator[str]:
    """An empty PostgreSQL database (ledger_test_<random>) for the block, as a ledger URL.

    Skips (or fails, with LEDGER_REQUIRE_POSTGRES=1) when PostgreSQL does not answer.
    The database is emptied afterwards and reused; drop_test_databases() drops them all.
    """
    require_postgres()
    if _free_databases:
        name = _free_databases.pop()
    else:
        name = create_pg_database()
        _created_databases.append(name)
    try:
        yield pg_url(name)
    finally:
        try:
            _reset_pg_database(name)
        except psycopg.Error:
            _created_databases.remove(name)
            drop_pg_database(name)
        else:
            _free_databases.append(name)


def drop_test_databases() -> None:
    """Drop every database postgres_database() created in this process."""
    while _created_databases:
        drop_pg_database(_created_databases.pop())
    _free_databases.clear()


def sqlite_url(path: Path) -> str:
    """The ledger URL of a SQLite file."""
    return f"sqlite:///{path}"


@contextmanager
def backend_url(backend: str, tmp_path: Path, name: str = "ledger.db") -> Iterator[str]:
    """A fresh empty store of the given backend ('sqlite' or 'postgres') as a URL."""
    if backend == "sqlite":
        yield sqlite_url(tmp_path / name)
    else:
        with postgres_database() as url:
            yield url


def new_events(
    count: int, *, originator_id: UUID | None = None, first_version: int = 1, topic: str = "t"
) -> list[StoredEvent]:
    """Stored events: one originator with consecutive versions, or each its own originator."""
    return [
        StoredEvent(
            originator_id=originator_id or uuid4(),
            originator_version=(first_version + i) if originator_id else first_version,
            topic=topic,
            state=f'{{"n":{i},"x":"{uuid4().hex}"}}'.encode(),
        )
        for i in range(count)
    ]


def append(recorder: ChainedRecorder, count: int, batch: int = 1) -> list[int]:
    """Append count events in transactions of `batch` events; return their positions."""
    positions: list[int] = []
    for start in range(0, count, batch):
        positions.extend(recorder.insert_events(new_events(min(batch, count - start))) or [])
    return positions


def raw_sql(url: str, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run SQL on the store behind the recorder's back (to tamper with it); return rows.

    Write `{pos}` for the events table's position column (rowid / notification_id) and
    `?` for parameters; both are translated for the backend.
    """
    parsed = parse_url(url)
    if parsed.backend == "sqlite":
        conn = sqlite3.connect(str(parsed.path), isolation_level=None)
        try:
            rows = conn.execute(statement.replace("{pos}", "rowid"), tuple(params)).fetchall()
        finally:
            conn.close()
        return rows
    text = statement.replace("{pos}", "notification_id").replace("?", "%s")
    with psycopg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.user,
        password=parsed.password,
        dbname=parsed.dbname,
        autocommit=True,
    ) as pg:
        cur = pg.execute(text.encode(), tuple(params))
        return list(cur.fetchall()) if cur.description else []


def make_chained(
    position: int, previous: bytes, recorded_at: datetime, event: StoredEvent | None = None
) -> ChainedEvent:
    """A ChainedEvent at `position` whose hash correctly follows `previous`."""
    event = event or new_events(1)[0]
    oid = event.originator_id
    assert isinstance(oid, UUID)
    return ChainedEvent(
        position=position,
        recorded_at=recorded_at,
        originator_id=oid,
        originator_version=event.originator_version,
        topic=event.topic,
        state=event.state,
        hash=link_hash(
            previous,
            position,
            format_recorded_at(recorded_at),
            oid.hex,
            event.originator_version,
            event.topic,
            event.state,
        ),
    )


def demo_ledger(url: str) -> Iterator[LedgerApplication]:
    """A ledger application on `url` with the demo case recorded; closed afterwards."""
    application = LedgerApplication(env=application_env(url))
    application.record(load_commands(demo_text(), "demo"))
    try:
        yield application
    finally:
        application.close()
