"""ReadModel.current: the (generation, position) every cached answer starts with, read in
one statement; on PostgreSQL on a connection of its own that survives losing it."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import sqlalchemy.exc
from storage import backend_url, raw_sql
from test_projections_crash import history

from ledger.application import LedgerApplication
from ledger.store import application_env
from projections.queries import ReadModel
from projections.registry import Projector


def _projected(url: str, size: int) -> None:
    app = LedgerApplication(env=application_env(url))
    try:
        app.record(history(size, seed=4))
    finally:
        app.close()
    with Projector(url, workers=0) as projector:
        projector.catch_up()


def test_current_follows_the_projector(store_url: str) -> None:
    rm = ReadModel(store_url)
    try:
        assert rm.current() is None  # nothing projected yet
        _projected(store_url, 40)
        rm.mark_ready()
        generation, position = rm.current() or (0, 0)
        assert (generation, position) == (rm.generation(), rm.position())
        assert position > 0
        with Projector(store_url, workers=0) as projector:
            rebuilt, _ = projector.rebuild()
        assert rm.current() == (rebuilt, position)
    finally:
        rm.close()


def test_current_survives_losing_its_connection(tmp_path: Path) -> None:
    """PostgreSQL only: SQLite reads through the pool (no connection of its own)."""
    with backend_url("postgres", tmp_path) as store_url:
        _survives(store_url)


def _survives(store_url: str) -> None:
    _projected(store_url, 20)
    rm = ReadModel(store_url)
    try:
        before = rm.current()
        assert before is not None
        pid = rm._current._conn.info.backend_pid  # the reader's own connection
        assert raw_sql(store_url, "SELECT pg_terminate_backend(?, 10000)", [pid]) == [(True,)]
        assert rm.current() == before  # tried again on a new connection
        assert rm._current._conn.info.backend_pid != pid

        def down() -> None:
            raise psycopg.OperationalError("the server is down")

        rm._current._close()
        rm._current._connect = down  # type: ignore[method-assign]
        # Raised as SQLAlchemy raises it, which the API answers with 503.
        with pytest.raises(sqlalchemy.exc.OperationalError, match="the server is down"):
            rm.current()
    finally:
        rm.close()
