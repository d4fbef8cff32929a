"""The Merkle tree kept in the appending transaction, and `verify` checking it (both backends).

Every root is compared with RFC 9162's tree over the leaves an independent implementation
(transparency_support) computes from the export, so the store's tree is checked against the
chain's bytes, not against itself.
"""

from __future__ import annotations

import io
import multiprocessing
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from storage import append, demo_ledger, make_chained, new_events, raw_sql
from transparency_support import checkpoint_fields, export_leaves, mth, signed_by

from ledger.store import ChainError, ProblemKind, export, import_events, open_recorder, verify
from ledger.store.checkpoints import CheckpointSchedule, sign_current
from ledger.store.tree import (
    CHECKPOINT_TABLE,
    ROW_OFFSETS,
    TREE_TABLE,
    TreeCursor,
    TreeKeeper,
    pack_positions,
)
from ledger.tlog.note import generate_key

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event

    from ledger.store import ChainedRecorder
    from ledger.tlog.note import PrivateKey

pytestmark = pytest.mark.storage

ORIGIN = "test.example/ledger"


@pytest.fixture(scope="module")
def key() -> PrivateKey:
    return generate_key(ORIGIN)


def exported(recorder: ChainedRecorder) -> list[str]:
    out = io.StringIO()
    export(recorder, out)
    return out.getvalue().splitlines()


def stored_tree(recorder: ChainedRecorder) -> tuple[int, list[bytes]]:
    """The stored tree's size and its root at every size 1..size (from stored nodes)."""
    with recorder.chain_reader() as reader:
        size = reader.tree.size()
        return size, [reader.tree.root(n) for n in range(1, size + 1)]


def assert_tree_is_the_chains(recorder: ChainedRecorder) -> None:
    """The stored tree has one leaf per chained event, in order, and RFC 9162's roots."""
    positions, leaves = export_leaves(exported(recorder))
    size, roots = stored_tree(recorder)
    assert size == len(leaves)
    assert roots == [mth(leaves[:n]) for n in range(1, size + 1)]
    with recorder.chain_reader() as reader:
        assert [reader.tree.leaf_index(p) for p in positions] == list(range(len(positions)))
    report = verify(recorder)
    assert report.ok, report.summary()
    assert report.tree_size == len(leaves)


def test_the_tree_follows_every_append_in_its_transaction(recorder: ChainedRecorder) -> None:
    for batch in (1, 2, 3, 1, 8, 5, 16, 1):
        recorder.insert_events(new_events(batch))
        assert_tree_is_the_chains(recorder)


def test_events_recorded_by_the_application_are_leaves(store_url: str) -> None:
    for application in demo_ledger(store_url):
        recorder: Any = application.recorder
        assert_tree_is_the_chains(recorder)


def _export_of(url: str, build: Any) -> list[str]:
    source = open_recorder(url)
    try:
        build(source)
        return exported(source)
    finally:
        source.close()


def test_an_import_writes_the_tree_with_the_chain(tmp_path: Any, store_url: str) -> None:
    def with_a_gap(source: ChainedRecorder) -> None:
        append(source, 2)
        head = source.head()
        assert head is not None
        # A gap in the positions, as PostgreSQL's sequences leave them.
        source.insert_chained([make_chained(7, head.hash_bytes, datetime.now(UTC))])
        append(source, 4, batch=3)

    lines = _export_of(f"sqlite:///{tmp_path / 'one.db'}", with_a_gap)
    others = _export_of(f"sqlite:///{tmp_path / 'two.db'}", lambda s: append(s, 5, batch=2))
    with open_recorder(store_url) as target:
        # Into an empty store: positions and hashes reproduced (insert_chained).
        assert import_events(target, lines).appended == 7
        assert_tree_is_the_chains(target)
        with target.chain_reader() as reader:
            assert reader.tree.leaf_index(7) == 2
            assert reader.tree.leaf_index(3) is None
        # Another history: its events are appended as new links (append).
        assert import_events(target, others).appended == 5
        assert_tree_is_the_chains(target)


def test_an_append_reads_no_node_when_it_keeps_the_frontier_and_few_otherwise(
    recorder: ChainedRecorder, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    append(recorder, 1000, batch=100)
    asked: list[int] = []
    original = TreeCursor.leaf_rows

    def counting(self: TreeCursor, leaves: Any) -> dict[int, bytes]:
        asked.extend(leaves)
        return original(self, leaves)

    monkeypatch.setattr(TreeCursor, "leaf_rows", counting)
    recorder.insert_events(new_events(3))
    assert asked == []  # the kept frontier matched the last row
    with open_recorder(store_url) as fresh:
        fresh.insert_events(new_events(2))
    # A recorder that did not write the last rows loads the frontier: one row per set bit.
    assert 0 < len(asked) <= (1003).bit_count()
    asked.clear()
    recorder.insert_events(new_events(1))  # the other recorder appended since: reload
    assert 0 < len(asked) <= (1005).bit_count()
    assert_tree_is_the_chains(recorder)


def test_a_rolled_back_append_does_not_lead_the_next_astray(
    recorder: ChainedRecorder, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    append(recorder, 5)
    keeper: TreeKeeper = recorder._tree_keeper  # type: ignore[attr-defined]
    original = TreeKeeper.append

    def append_then_fail(self: TreeKeeper, *args: Any) -> None:
        original(self, *args)  # the kept frontier has grown ...
        raise RuntimeError("the transaction fails after the tree was extended")

    monkeypatch.setattr(keeper, "append", append_then_fail.__get__(keeper))
    with pytest.raises(RuntimeError):
        recorder.insert_events(new_events(3))
    monkeypatch.undo()
    # ... but the store was rolled back: another writer appends 3 other events, then this one.
    with open_recorder(store_url) as other:
        other.insert_events(new_events(3))
    # Eight more: leaf 15 completes the subtree over leaves 0..15, with those 3 in it.
    recorder.insert_events(new_events(8))
    assert_tree_is_the_chains(recorder)


def _append_in_another_process(url: str, start: Event, transactions: int) -> None:
    recorder = open_recorder(url)
    try:
        if not start.wait(60):
            raise TimeoutError("no start signal")
        for n in range(transactions):
            recorder.insert_events(new_events(1 + n % 3))
            time.sleep(0.002)
    finally:
        recorder.close()


def test_concurrent_writers_keep_one_tree(store_url: str) -> None:
    open_recorder(store_url).close()
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(target=_append_in_another_process, args=(store_url, start, 25))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    with open_recorder(store_url) as recorder:
        assert_tree_is_the_chains(recorder)
        assert stored_tree(recorder)[0] == 3 * sum(1 + n % 3 for n in range(25))


def test_a_store_from_before_the_tree_gets_it_once_when_opened(store_url: str) -> None:
    with open_recorder(store_url) as recorder:
        append(recorder, 37, batch=5)
    # As the store was before the tree: neither its table nor the checkpoints'.
    raw_sql(store_url, f"DROP TABLE {TREE_TABLE}")
    raw_sql(store_url, f"DROP TABLE {CHECKPOINT_TABLE}")
    with open_recorder(store_url) as recorder:
        assert_tree_is_the_chains(recorder)
    # A tree that lost its last rows is completed by the next append as well.
    raw_sql(store_url, f"DELETE FROM {TREE_TABLE} WHERE grp >= 1")  # leaves 16..36
    with open_recorder(store_url) as recorder:
        recorder.insert_events(new_events(2))
        assert_tree_is_the_chains(recorder)


# -- verify finds what was done to the tree ---------------------------------------------------


@pytest.fixture
def twelve(recorder: ChainedRecorder) -> ChainedRecorder:
    """Twelve events in transactions of 1, 2, 4 and 5."""
    for size in (1, 2, 4, 5):
        recorder.insert_events(new_events(size))
    return recorder


def problem_of(recorder: ChainedRecorder) -> tuple[int, ProblemKind]:
    report = verify(recorder)
    assert report.problem is not None, report.summary()
    assert not report.ok
    assert report.summary().startswith("tree broken at position")
    return report.problem.position, report.problem.kind


def group_of(url: str, grp: int) -> tuple[bytes, bytes]:
    """The positions and hashes a row of the tree table holds."""
    [(positions, hashes)] = raw_sql(
        url, f"SELECT positions, hashes FROM {TREE_TABLE} WHERE grp = ?", (grp,)
    )
    return bytes(positions), bytes(hashes)


def set_group(url: str, grp: int, positions: bytes, hashes: bytes) -> None:
    statement = f"UPDATE {TREE_TABLE} SET positions = ?, hashes = ? WHERE grp = ?"
    raw_sql(url, statement, (positions, hashes, grp))


@pytest.fixture
def forty(twelve: ChainedRecorder) -> ChainedRecorder:
    """Forty events: the tree table holds them in rows of 16, 16 and 8 leaves."""
    for size in (9, 19):
        twelve.insert_events(new_events(size))
    return twelve


def test_a_changed_byte_of_a_tree_row_is_found_at_its_position(
    forty: ChainedRecorder, store_url: str
) -> None:
    positions, hashes = group_of(store_url, 1)
    changed = bytearray(hashes)
    # Leaf 23 (16 + 7): a byte of the node its append completed, not of its leaf hash.
    changed[ROW_OFFSETS[7] + 40] ^= 1
    set_group(store_url, 1, positions, bytes(changed))
    assert problem_of(forty) == (24, ProblemKind.TREE_ROW_CHANGED)


def test_a_deleted_tree_row_is_found_at_its_first_position(
    forty: ChainedRecorder, store_url: str
) -> None:
    raw_sql(store_url, f"DELETE FROM {TREE_TABLE} WHERE grp = 1")
    assert problem_of(forty) == (17, ProblemKind.TREE_ROW_MISSING)


def test_a_forged_tree_row_is_found(forty: ChainedRecorder, store_url: str) -> None:
    positions, hashes = group_of(store_url, 0)
    forged = positions[:16] + pack_positions([99]) + positions[24:]
    set_group(store_url, 0, forged, hashes)
    assert problem_of(forty) == (3, ProblemKind.TREE_ROW_MISPLACED)
    set_group(store_url, 0, positions, hashes)
    positions, hashes = group_of(store_url, 2)
    set_group(store_url, 2, positions + pack_positions([41]), hashes + b"\1" * 32)
    assert problem_of(forty) == (41, ProblemKind.TREE_BEYOND_CHAIN)


def test_a_truncated_tail_is_found_by_the_tree_or_the_checkpoints(
    forty: ChainedRecorder, store_url: str, key: PrivateKey
) -> None:
    sign_current(forty, key)
    raw_sql(store_url, "DELETE FROM stored_events WHERE {pos} > 37")
    raw_sql(store_url, "DELETE FROM ledger_chain WHERE position > 37")
    assert verify(forty, tree=False).ok  # the chain alone cannot tell
    assert problem_of(forty) == (38, ProblemKind.TREE_BEYOND_CHAIN)
    positions, hashes = group_of(store_url, 2)  # leaves 32..39: keep 32..36
    set_group(store_url, 2, positions[: 5 * 8], hashes[: ROW_OFFSETS[5]])
    assert problem_of(forty) == (38, ProblemKind.CHECKPOINT_BEYOND_CHAIN)


def rewrite_event(recorder: ChainedRecorder, url: str, position: int, state: bytes) -> None:
    """What a careful forger does: change an event, recompute every later chain hash and
    the whole tree (a recorder rebuilds a tree it finds empty)."""
    raw_sql(url, "UPDATE stored_events SET state = ? WHERE {pos} = ?", (state, position))
    previous = bytes(32)
    for event in recorder.select_chained(1, 10**9):
        if event.position >= position:
            new = event.expected_hash(previous)
            raw_sql(
                url, "UPDATE ledger_chain SET hash = ? WHERE position = ?", (new, event.position)
            )
            previous = new
        else:
            previous = event.hash
    raw_sql(url, f"DELETE FROM {TREE_TABLE}")
    open_recorder(url).close()


def test_a_rewritten_history_is_found_by_a_stored_checkpoint(
    twelve: ChainedRecorder, store_url: str, key: PrivateKey
) -> None:
    sign_current(twelve, key)
    append(twelve, 2)
    rewrite_event(twelve, store_url, 4, b'{"forged":true}')
    assert verify(twelve, tree=False).ok  # chain and tree recomputed: self-consistent
    assert problem_of(twelve) == (12, ProblemKind.CHECKPOINT_MISMATCH)
    # And the log refuses to sign the rewritten history.
    with pytest.raises(ChainError, match="history was rewritten"):
        sign_current(twelve, key)


# -- checkpoints -------------------------------------------------------------------------


def test_checkpoints_sign_the_tree_and_are_kept_in_a_history(
    twelve: ChainedRecorder, key: PrivateKey
) -> None:
    first = sign_current(twelve, key)
    assert first.new
    assert signed_by(first.format(), key.vkey)
    _, leaves = export_leaves(exported(twelve))
    assert checkpoint_fields(first.format()) == (ORIGIN, 12, mth(leaves))
    again = sign_current(twelve, key)
    assert (again.new, again.format()) == (False, first.format())
    append(twelve, 3)
    second = sign_current(twelve, key)
    _, leaves = export_leaves(exported(twelve))
    assert checkpoint_fields(second.format()) == (ORIGIN, 15, mth(leaves))
    with twelve.chain_reader() as reader:
        history = reader.tree.checkpoints(0, 10)
    assert [(c.tree_size, c.note) for c in history] == [
        (12, first.format()),
        (15, second.format()),
    ]
    report = verify(twelve)
    assert report.ok and report.checkpoints == 2, report.summary()


def test_an_empty_ledger_has_a_checkpoint_of_the_empty_tree(
    recorder: ChainedRecorder, key: PrivateKey
) -> None:
    signed = sign_current(recorder, key).format()
    assert checkpoint_fields(signed) == (ORIGIN, 0, mth([]))
    assert verify(recorder).ok


def test_a_follower_signs_when_the_tree_grew_and_the_interval_passed(
    recorder: ChainedRecorder, key: PrivateKey
) -> None:
    now = [time.time()]
    lines: list[str] = []
    schedule = CheckpointSchedule(recorder, key, 60.0, log_line=lines.append, clock=lambda: now[0])
    assert schedule.step() is None  # an empty tree: nothing to sign
    append(recorder, 3)
    now[0] += 2
    first = schedule.step()
    assert first is not None and checkpoint_fields(first.format())[1] == 3
    append(recorder, 2)
    now[0] += 30
    assert schedule.step() is None  # grown, but the interval has not passed
    now[0] += 31
    second = schedule.step()
    assert second is not None and checkpoint_fields(second.format())[1] == 5
    now[0] += 120
    assert schedule.step() is None  # the interval passed, but the tree did not grow
    assert lines == []


def test_a_follower_logs_a_failure_once_and_goes_on(
    recorder: ChainedRecorder, store_url: str, key: PrivateKey
) -> None:
    now = [time.time()]
    lines: list[str] = []
    append(recorder, 3)
    sign_current(recorder, key)
    append(recorder, 1)
    rewrite_event(recorder, store_url, 2, b"{}")
    schedule = CheckpointSchedule(recorder, key, 1.0, log_line=lines.append, clock=lambda: now[0])
    for _ in range(3):
        now[0] += 5
        assert schedule.step() is None
    assert len(lines) == 1 and "history was rewritten" in lines[0]
    raw_sql(store_url, f"DELETE FROM {CHECKPOINT_TABLE}")
    now[0] += 5
    assert schedule.step() is not None
