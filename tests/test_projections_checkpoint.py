"""The WAL checkpointer copies committed pages into the SQLite file in its own thread."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from storage import demo_ledger

from projections.engine.checkpoint import Checkpointer
from projections.registry import Projector


def _wal_database(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # only the checkpointer copies pages
    conn.execute("CREATE TABLE t (n INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(500)])
    return conn


def _rows_in_file_alone(path: Path, tmp_path: Path) -> int:
    """The rows a copy of the database file without its WAL holds."""
    copy = tmp_path / "file-alone.db"
    shutil.copyfile(path, copy)
    conn = sqlite3.connect(copy)
    try:
        found = conn.execute("SELECT name FROM sqlite_master WHERE name = 't'").fetchone()
        return conn.execute("SELECT count(*) FROM t").fetchone()[0] if found else 0
    finally:
        conn.close()


def test_a_requested_checkpoint_copies_the_wal_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    writer = _wal_database(path)
    try:
        assert _rows_in_file_alone(path, tmp_path) == 0, "still only in the WAL"
        checkpointer = Checkpointer(path)
        checkpointer.request()
        checkpointer.close()
        assert (checkpointer.runs, checkpointer.error) == (1, None)
        assert _rows_in_file_alone(path, tmp_path) == 500
    finally:
        writer.close()


def test_closing_without_a_request_checkpoints_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    writer = _wal_database(path)
    try:
        checkpointer = Checkpointer(path)
        checkpointer.close()
        checkpointer.request()  # after close: ignored
        assert checkpointer.runs == 0
        assert _rows_in_file_alone(path, tmp_path) == 0
    finally:
        writer.close()


def test_the_projector_asks_for_a_checkpoint_after_its_batches(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    for _ in demo_ledger(url):
        pass  # records the demo case and closes the application
    projector = Projector(url, batch_size=10)
    try:
        assert projector.catch_up() > 10  # several batches
        assert projector.checkpointer is not None
    finally:
        projector.close()
    assert projector.checkpointer.runs >= 1
    assert projector.checkpointer.error is None
