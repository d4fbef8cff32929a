"""Tampering with the stored events or the chain is found, at the first bad position."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from storage import append, make_chained, new_events, raw_sql

from ledger.store import (
    CHAIN_TABLE,
    GENESIS,
    ChainedRecorder,
    ChainError,
    Digest,
    ProblemKind,
    format_recorded_at,
    link_hash,
    open_recorder,
    verify,
)

pytestmark = pytest.mark.storage

BATCH_SIZES = [pytest.param(3, id="batch3"), pytest.param(20_000, id="batch20000")]


def rehash_from(recorder: ChainedRecorder, url: str, position: int) -> None:
    """What a careful forger does: recompute every chain hash from `position` on."""
    previous = GENESIS
    for event in recorder.select_chained(1, 10**9):
        if event.position >= position:
            new = event.expected_hash(previous)
            raw_sql(
                url, f"UPDATE {CHAIN_TABLE} SET hash = ? WHERE position = ?", (new, event.position)
            )
            previous = new
        else:
            previous = event.hash


def state_at(url: str, position: int) -> bytes:
    [(state,)] = raw_sql(url, "SELECT state FROM stored_events WHERE {pos} = ?", (position,))
    return bytes(state)


def set_state(url: str, position: int, state: bytes) -> None:
    raw_sql(url, "UPDATE stored_events SET state = ? WHERE {pos} = ?", (state, position))


@pytest.fixture
def ten(recorder: ChainedRecorder) -> ChainedRecorder:
    """A store with ten events, appended in transactions of 1, 2, 3 and 4 events."""
    for size in (1, 2, 3, 4):
        recorder.insert_events(new_events(size))
    return recorder


def test_an_untouched_store_verifies(ten: ChainedRecorder) -> None:
    report = verify(ten)
    assert report.ok, report.summary()
    assert report.checked == 10
    assert report.head == ten.head()
    assert report.problem is None and report.first_bad_position is None
    assert report.summary().startswith("chain intact: 10 events, head 10:")


def test_an_empty_store_verifies(recorder: ChainedRecorder) -> None:
    report = verify(recorder)
    assert report.ok
    assert (report.checked, report.head) == (0, None)


@pytest.mark.parametrize("batch_size", BATCH_SIZES)
def test_one_changed_byte_of_an_event_is_found_at_its_position(
    ten: ChainedRecorder, store_url: str, batch_size: int
) -> None:
    state = bytearray(state_at(store_url, 3))
    state[0] ^= 0x01
    set_state(store_url, 3, bytes(state))
    report = verify(ten, batch_size=batch_size)
    assert not report.ok
    assert report.first_bad_position == 3
    assert report.problem is not None
    assert report.problem.kind == ProblemKind.EVENT_CHANGED
    assert report.checked == 2
    assert "position 3" in report.summary()


def test_a_change_to_the_last_event_is_found_at_the_last_position(
    ten: ChainedRecorder, store_url: str
) -> None:
    set_state(store_url, 10, b"{}")
    report = verify(ten)
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (10, ProblemKind.HASH_MISMATCH)


def test_a_changed_recorded_at_is_found_at_its_position(
    ten: ChainedRecorder, store_url: str
) -> None:
    [(text,)] = raw_sql(store_url, f"SELECT recorded_at FROM {CHAIN_TABLE} WHERE position = 4")
    moment = text if isinstance(text, datetime) else datetime.fromisoformat(text)
    later = format_recorded_at(moment + timedelta(seconds=1))
    raw_sql(store_url, f"UPDATE {CHAIN_TABLE} SET recorded_at = ? WHERE position = 4", (later,))
    report = verify(ten)
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (4, ProblemKind.EVENT_CHANGED)


def test_a_deleted_event_row_is_found_at_its_position(ten: ChainedRecorder, store_url: str) -> None:
    raw_sql(store_url, "DELETE FROM stored_events WHERE {pos} = 5")
    report = verify(ten)
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (5, ProblemKind.EVENT_MISSING)


def test_a_deleted_event_with_its_chain_row_breaks_the_next_link(
    ten: ChainedRecorder, store_url: str
) -> None:
    raw_sql(store_url, "DELETE FROM stored_events WHERE {pos} = 5")
    raw_sql(store_url, f"DELETE FROM {CHAIN_TABLE} WHERE position = 5")
    report = verify(ten)
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (6, ProblemKind.ROWS_DELETED)
    assert "previous chain row at position 4" in report.problem.detail


@pytest.mark.parametrize("batch_size", BATCH_SIZES)
def test_an_event_row_without_a_chain_row_is_found_in_the_middle(
    ten: ChainedRecorder, store_url: str, batch_size: int
) -> None:
    raw_sql(store_url, f"DELETE FROM {CHAIN_TABLE} WHERE position = 5")
    report = verify(ten, batch_size=batch_size)
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (5, ProblemKind.CHAIN_ROW_MISSING)


def test_an_inserted_event_row_after_the_head_is_found(
    ten: ChainedRecorder, store_url: str
) -> None:
    raw_sql(
        store_url,
        "INSERT INTO stored_events ({pos}, originator_id, originator_version, topic, state) "
        "VALUES (100, ?, 1, 't', ?)",
        ("0" * 31 + "1", b"{}"),
    )
    report = verify(ten)
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (100, ProblemKind.CHAIN_ROW_MISSING)


def test_a_forged_event_and_chain_row_in_a_gap_are_found_as_inserted(
    recorder: ChainedRecorder, store_url: str
) -> None:
    append(recorder, 2)
    head = recorder.head()
    assert head is not None
    recorder.insert_chained([make_chained(5, head.hash_bytes, datetime.now(UTC))])
    append(recorder, 2)
    assert verify(recorder).ok
    forged = make_chained(3, head.hash_bytes, datetime.now(UTC))
    raw_sql(
        store_url,
        "INSERT INTO stored_events ({pos}, originator_id, originator_version, topic, state) "
        "VALUES (3, ?, 1, 't', ?)",
        (forged.originator_id.hex, forged.state),
    )
    raw_sql(
        store_url,
        f"INSERT INTO {CHAIN_TABLE} (position, recorded_at, hash) VALUES (3, ?, ?)",
        (forged.recorded_at_text, b"\0" * 32),
    )
    report = verify(recorder)
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (3, ProblemKind.ROW_INSERTED)


@pytest.mark.parametrize("batch_size", BATCH_SIZES)
def test_swapped_rows_are_found_at_the_first_swapped_position(
    ten: ChainedRecorder, store_url: str, batch_size: int
) -> None:
    third, seventh = state_at(store_url, 3), state_at(store_url, 7)
    set_state(store_url, 3, seventh)
    set_state(store_url, 7, third)
    report = verify(ten, batch_size=batch_size)
    assert report.problem is not None
    assert report.problem.position == 3
    assert report.problem.kind == ProblemKind.EVENT_CHANGED


def test_swapped_neighbours_are_found_at_the_first_of_them(
    ten: ChainedRecorder, store_url: str
) -> None:
    fourth, fifth = state_at(store_url, 4), state_at(store_url, 5)
    set_state(store_url, 4, fifth)
    set_state(store_url, 5, fourth)
    report = verify(ten)
    assert report.first_bad_position == 4


def test_a_changed_chain_hash_is_found_at_its_position(
    ten: ChainedRecorder, store_url: str
) -> None:
    raw_sql(store_url, f"UPDATE {CHAIN_TABLE} SET hash = ? WHERE position = 6", (b"\1" * 32,))
    report = verify(ten)
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (6, ProblemKind.CHAIN_HASH_CHANGED)


def test_a_decreasing_recorded_at_is_found_even_in_a_recomputed_chain(
    ten: ChainedRecorder, store_url: str
) -> None:
    raw_sql(
        store_url,
        f"UPDATE {CHAIN_TABLE} SET recorded_at = ? WHERE position = 6",
        ("2000-01-01T00:00:00.000000Z",),
    )
    rehash_from(ten, store_url, 6)
    report = verify(ten)
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (6, ProblemKind.RECORDED_AT_DECREASES)


def test_sqlite_refuses_to_append_after_its_last_event_row_was_deleted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with open_recorder(url) as recorder:
        append(recorder, 3)
        raw_sql(url, "DELETE FROM stored_events WHERE {pos} = 3")
        # SQLite would reuse position 3; the chain already has it.
        with pytest.raises(ChainError, match="store is damaged"):
            recorder.insert_events(new_events(1))
        assert verify(recorder).first_bad_position == 3


def test_an_earlier_digest_is_still_extended_after_more_appends(ten: ChainedRecorder) -> None:
    digest = ten.head()
    assert digest is not None
    append(ten, 5, batch=2)
    report = verify(ten, Digest.parse(str(digest)))
    assert report.ok, report.summary()
    assert report.digest_verified is True
    assert f"extends digest {digest}" in report.summary()
    earliest = Digest(1, ten.select_chained(1, 1)[0].hash.hex())
    assert verify(ten, earliest).ok


def test_a_consistently_rewritten_chain_fails_against_an_earlier_digest(
    ten: ChainedRecorder, store_url: str
) -> None:
    digest = ten.head()
    assert digest is not None
    append(ten, 3)
    set_state(store_url, 3, b'{"forged":true}')
    rehash_from(ten, store_url, 3)
    # The chain alone, without a digest, cannot tell a full rewrite (the tree can: see
    # tests/test_transparency_store.py).
    assert verify(ten, tree=False).ok
    report = verify(ten, digest, tree=False)
    assert not report.ok
    assert report.problem is not None
    assert report.problem.position == digest.position == 10
    assert report.problem.kind == ProblemKind.DIGEST_MISMATCH
    assert report.digest_verified is False


def test_removing_events_from_the_end_fails_against_an_earlier_digest(
    ten: ChainedRecorder, store_url: str
) -> None:
    digest = ten.head()
    assert digest is not None
    raw_sql(store_url, "DELETE FROM stored_events WHERE {pos} > 8")
    raw_sql(store_url, f"DELETE FROM {CHAIN_TABLE} WHERE position > 8")
    assert verify(ten, tree=False).ok
    report = verify(ten, digest)
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (10, ProblemKind.DIGEST_BEYOND_HEAD)


def test_a_digest_at_a_position_the_chain_does_not_have_fails(recorder: ChainedRecorder) -> None:
    append(recorder, 2)
    head = recorder.head()
    assert head is not None
    recorder.insert_chained([make_chained(5, head.hash_bytes, datetime.now(UTC))])
    report = verify(recorder, Digest(3, "ab" * 32))
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (3, ProblemKind.DIGEST_NOT_FOUND)


def test_a_digest_with_another_hash_fails(ten: ChainedRecorder) -> None:
    report = verify(ten, Digest(4, "ab" * 32))
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (4, ProblemKind.DIGEST_MISMATCH)


def test_sqlite_verify_checks_a_hundred_thousand_events(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    open_recorder(f"sqlite:///{path}").close()  # creates the tables
    previous, events, links = GENESIS, [], []
    at = format_recorded_at(datetime.now(UTC))
    for position in range(1, 100_001):
        oid, state = f"{position:032x}", b'{"n":%d,"text":"%s"}' % (position, b"x" * 200)
        previous = link_hash(previous, position, at, oid, 1, "topic", state)
        events.append((position, oid, state))
        links.append((position, at, previous))
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, 1, 'topic', ?)",
            events,
        )
        conn.executemany(f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?, ?)", links)
    conn.close()
    recorder = open_recorder(f"sqlite:///{path}")
    try:
        report = verify(recorder)
    finally:
        recorder.close()
    # Speed is measured by `make bench`, not asserted here.
    assert report.ok, report.summary()
    assert report.checked == 100_000
