"""The chained recorders pass eventsourcing's own recorder tests and keep the chain."""

from __future__ import annotations

import importlib
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from storage import (
    PG_HOST,
    PG_PASSWORD,
    PG_PORT,
    PG_USER,
    append,
    make_chained,
    new_events,
    postgres_database,
)

from ledger.store import (
    GENESIS,
    ChainedEvent,
    ChainedRecorder,
    ChainError,
    application_env,
    open_recorder,
    parse_url,
    verify,
)
from ledger.store.postgres import ChainedPostgresApplicationRecorder
from ledger.store.sqlite import ChainedSQLiteApplicationRecorder

pytestmark = pytest.mark.storage


def _import_eventsourcing_test_cases() -> ModuleType:
    """eventsourcing's own recorder test cases (they need the eventsourcing[crypto] extra)."""
    return importlib.import_module("eventsourcing.tests.persistence")


if TYPE_CHECKING:
    from eventsourcing.tests.persistence import (
        ApplicationRecorderTestCase,
        NonInterleavingNotificationIDsBaseCase,
    )
else:
    _es_tests = _import_eventsourcing_test_cases()
    ApplicationRecorderTestCase = _es_tests.ApplicationRecorderTestCase
    NonInterleavingNotificationIDsBaseCase = _es_tests.NonInterleavingNotificationIDsBaseCase


class _SQLiteSetup:
    """Creates chained SQLite recorders on a temporary file; verifies and closes them."""

    recorders: list[ChainedRecorder]

    def setUp(self) -> None:
        self._dir = TemporaryDirectory()
        self.recorders = []

    def tearDown(self) -> None:
        try:
            for recorder in self.recorders:
                report = verify(recorder)
                assert report.ok, report.summary()
        finally:
            for recorder in self.recorders:
                recorder.close()
            self._dir.cleanup()

    def create_recorder(self) -> Any:
        datastore = SQLiteDatastore(
            db_name=str(Path(self._dir.name) / "events.db"),
            pool_size=20,
            lock_timeout=30,
        )
        recorder = ChainedSQLiteApplicationRecorder(datastore)
        recorder.create_table()
        self.recorders.append(recorder)
        return recorder


class _PostgresSetup:
    """Creates chained PostgreSQL recorders on a fresh database; verifies and closes them."""

    recorders: list[ChainedRecorder]

    def setUp(self) -> None:
        self._database = postgres_database()
        self._dbname = parse_url(self._database.__enter__()).dbname
        self.recorders = []

    def tearDown(self) -> None:
        try:
            for recorder in self.recorders:
                report = verify(recorder)
                assert report.ok, report.summary()
        finally:
            for recorder in self.recorders:
                recorder.close()
            self._database.__exit__(None, None, None)

    def create_recorder(self) -> Any:
        datastore = PostgresDatastore(
            self._dbname,
            PG_HOST,
            PG_PORT,
            PG_USER,
            PG_PASSWORD,
            pool_size=4,
            max_overflow=12,
        )
        recorder = ChainedPostgresApplicationRecorder(datastore)
        recorder.create_table()
        self.recorders.append(recorder)
        return recorder


class TestChainedSQLiteRecorder(_SQLiteSetup, ApplicationRecorderTestCase[ChainedRecorder]):
    """eventsourcing's ApplicationRecorderTestCase on the chained SQLite recorder."""


class TestChainedPostgresRecorder(_PostgresSetup, ApplicationRecorderTestCase[ChainedRecorder]):
    """eventsourcing's ApplicationRecorderTestCase on the chained PostgreSQL recorder."""


class TestChainedSQLiteNonInterleaving(_SQLiteSetup, NonInterleavingNotificationIDsBaseCase):
    """Two concurrent inserts get non-interleaved notification ids (SQLite)."""


class TestChainedPostgresNonInterleaving(_PostgresSetup, NonInterleavingNotificationIDsBaseCase):
    """Two concurrent inserts get non-interleaved notification ids (PostgreSQL)."""


# Don't collect the abstract base cases themselves.
del ApplicationRecorderTestCase, NonInterleavingNotificationIDsBaseCase


class Note(Aggregate):
    """A tiny aggregate for appending through an eventsourcing Application."""

    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text

    @event("Edited")
    def edit(self, text: str) -> None:
        self.text = text


class Notes(Application[Any]):
    """A tiny application."""


def test_application_on_application_env_appends_through_the_chained_recorder(
    store_url: str,
) -> None:
    app = Notes(env=application_env(store_url))
    try:
        assert isinstance(app.recorder, ChainedRecorder)
        note = Note("first")
        note.edit("second")
        app.save(note)
        app.save(Note("other"))
        assert app.repository.get(note.id).text == "second"
    finally:
        app.close()


def test_open_recorder_and_application_share_the_same_events_and_chain(store_url: str) -> None:
    app = Notes(env=application_env(store_url))
    try:
        note = Note("hello")
        app.save(note)
    finally:
        app.close()
    with open_recorder(store_url) as recorder:
        chained = recorder.select_chained(1, 10)
        assert [(e.originator_id, e.originator_version) for e in chained] == [(note.id, 1)]
        assert "Note.Written" in chained[0].topic
        assert verify(recorder).ok


def test_select_chained_returns_events_with_their_chain_rows_in_position_order(
    recorder: ChainedRecorder,
) -> None:
    stored = new_events(3, topic="a") + new_events(2, topic="b")
    positions = recorder.insert_events(stored[:2])
    positions = list(positions or []) + list(recorder.insert_events(stored[2:]) or [])
    chained = recorder.select_chained(1, 100)
    assert [e.position for e in chained] == positions == [1, 2, 3, 4, 5]
    previous = GENESIS
    for item, original in zip(chained, stored, strict=True):
        assert isinstance(item, ChainedEvent)
        assert item.originator_id == original.originator_id
        assert item.originator_version == original.originator_version
        assert (item.topic, item.state) == (original.topic, original.state)
        assert item.recorded_at.tzinfo is not None
        assert item.recorded_at.utcoffset() == timedelta(0)
        assert item.hash == item.expected_hash(previous)
        previous = item.hash
    assert [e.position for e in recorder.select_chained(3, 2)] == [3, 4]
    assert [e.position for e in recorder.select_chained(1, 100, topics=["b"])] == [4, 5]


def test_head_is_none_for_an_empty_store_then_the_last_position_and_hash(
    recorder: ChainedRecorder,
) -> None:
    assert recorder.head() is None
    append(recorder, 4, batch=2)
    head = recorder.head()
    last = recorder.select_chained(1, 100)[-1]
    assert head is not None
    assert (head.position, head.hash) == (4, last.hash.hex())


def test_one_transaction_shares_one_recorded_at(recorder: ChainedRecorder) -> None:
    recorder.insert_events(new_events(3))
    recorder.insert_events(new_events(1))
    times = [e.recorded_at for e in recorder.select_chained(1, 10)]
    assert times[0] == times[1] == times[2] <= times[3]


def test_recorded_at_never_decreases_even_when_the_clock_is_behind_the_head(
    recorder: ChainedRecorder,
) -> None:
    future = datetime(2100, 1, 1, tzinfo=UTC)
    recorder.insert_chained([make_chained(1, GENESIS, future)])
    recorder.insert_events(new_events(2))
    assert [e.recorded_at for e in recorder.select_chained(1, 10)] == [future] * 3
    assert verify(recorder).ok


def test_insert_chained_refuses_a_link_that_does_not_follow_the_head(
    recorder: ChainedRecorder,
) -> None:
    append(recorder, 2)
    head = recorder.head()
    assert head is not None
    now = datetime.now(UTC)
    with pytest.raises(ChainError, match="does not follow"):
        recorder.insert_chained([make_chained(3, GENESIS, now)])
    with pytest.raises(ChainError, match="does not come after"):
        recorder.insert_chained([make_chained(2, head.hash_bytes, now)])
    with pytest.raises(ChainError, match="must not decrease"):
        recorder.insert_chained([make_chained(3, head.hash_bytes, now - timedelta(days=1))])
    recorder.insert_chained([make_chained(7, head.hash_bytes, now)])
    assert [e.position for e in recorder.select_chained(1, 10)] == [1, 2, 7]
    # Ordinary appends continue after the inserted position.
    assert list(recorder.insert_events(new_events(1)) or []) == [8]
    assert verify(recorder).ok


def test_a_conflicting_insert_raises_integrity_error_and_leaves_the_chain_untouched(
    recorder: ChainedRecorder,
) -> None:
    events = new_events(2)
    recorder.insert_events(events)
    head = recorder.head()
    with pytest.raises(IntegrityError):
        recorder.insert_events([*new_events(1), events[1]])
    assert recorder.head() == head
    assert len(recorder.select_chained(1, 10)) == 2
    assert verify(recorder).ok


def test_str_originator_ids_are_stored_and_hashed_as_uuids(recorder: ChainedRecorder) -> None:
    [event] = new_events(1)
    recorder.insert_events([StoredEvent(str(event.originator_id), 1, event.topic, event.state)])
    assert recorder.select_chained(1, 1)[0].originator_id == event.originator_id
    assert verify(recorder).ok


def test_the_postgres_recorder_refuses_database_functions_that_bypass_the_chain() -> None:
    datastore = PostgresDatastore(
        "unused", "127.0.0.1", 5432, "postgres", "", enable_db_functions=True
    )
    try:
        with pytest.raises(ChainError, match="POSTGRES_ENABLE_DB_FUNCTIONS"):
            ChainedPostgresApplicationRecorder(datastore)
    finally:
        datastore.close()


def test_the_sqlite_recorder_refuses_text_originator_ids(tmp_path: Path) -> None:
    datastore = SQLiteDatastore(str(tmp_path / "x.db"), originator_id_type="text")
    try:
        with pytest.raises(ChainError, match="ORIGINATOR_ID_TYPE"):
            ChainedSQLiteApplicationRecorder(datastore)
    finally:
        datastore.close()


def test_the_sqlite_recorder_stores_states_and_hashes_as_the_blobs_given(tmp_path: Path) -> None:
    """The appends bind states and hashes as bytearrays (ledger.store.sqlite._blob): the
    columns hold BLOBs of exactly the bytes given and hashed, read back as bytes."""
    url = f"sqlite:///{tmp_path / 'blobs.db'}"
    with open_recorder(url) as recorder:
        events = new_events(3)
        recorder.insert_events(events)
        chained = recorder.select_chained(1, 10)
        assert [c.state for c in chained] == [e.state for e in events]
        assert all(type(c.state) is bytes and type(c.hash) is bytes for c in chained)
        assert verify(recorder).ok
    with closing(sqlite3.connect(tmp_path / "blobs.db")) as db:
        stored = db.execute("SELECT typeof(state), state FROM stored_events ORDER BY rowid")
        assert stored.fetchall() == [("blob", e.state) for e in events]
        hashes = db.execute("SELECT typeof(hash), hash FROM ledger_chain ORDER BY position")
        assert hashes.fetchall() == [("blob", c.hash) for c in chained]
