"""The fold worker: a projector that folds each batch with a second process writes the same
tables as one that folds alone, and stops (writing nothing) when the worker fails."""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest
from storage import raw_sql
from test_projections_crash import BODY, PROCESS, history

from ledger.application import LedgerApplication
from ledger.store import application_env
from projections.engine.projector import ProjectionError
from projections.engine.worker import worker_folds
from projections.queries import ReadModel
from projections.registry import Projector


def _record(url: str, size: int, seed: int, per_batch: int = 3) -> None:
    app = LedgerApplication(env=application_env(url))
    try:
        commands = history(size, seed=seed)
        # Small ledger batches, so that the events of different records interleave.
        for i in range(0, len(commands), per_batch):
            app.record(commands[i : i + per_batch])
    finally:
        app.close()


def _parallel(url: str, **kwargs: int) -> Projector:
    return Projector(url, workers=1, parallel_backlog=0, **kwargs)


def _rebuilt_alone(url: str, rm: ReadModel) -> dict[str, list[tuple[Any, ...]]]:
    """The read model's rows after a rebuild by a projector folding alone."""
    with Projector(url, workers=0) as alone:
        alone.rebuild()
        assert alone.worker_events == 0
    return rm.dump()


def test_the_worker_folds_a_share_of_the_records_and_the_tables_equal_one_process(
    store_url: str,
) -> None:
    _record(store_url, 600, seed=11)
    rm = ReadModel(store_url)
    try:
        # Small batches and few kept records: records are restored from the tables on
        # both sides, and backdated events and fixes fall into many batches.
        with _parallel(store_url, batch_size=40, cache_records=4) as projector:
            assert projector.catch_up(until=300) == 300
            assert projector.worker is None  # it stops with the catch-up
            assert projector.catch_up() == 600
            assert projector.worker_events > 200
        parallel = rm.dump()
        assert _rebuilt_alone(store_url, rm) == parallel
    finally:
        rm.close()


def test_both_sides_fold_a_share_of_the_records() -> None:
    ids = [uuid5(NAMESPACE_URL, str(i)) for i in range(1000)]
    share = sum(map(worker_folds, ids)) / len(ids)
    assert 0.5 < share < 0.75


def test_a_projector_that_another_one_overtook_drops_the_workers_records(
    store_url: str,
) -> None:
    """Between two catch-ups with a worker another projector (alone) moves the position:
    the worker's kept records are stale and must be restored from the tables."""
    _record(store_url, 400, seed=5)
    rm = ReadModel(store_url)
    try:
        with _parallel(store_url, batch_size=30) as parallel:
            assert parallel.catch_up(until=150) == 150
            with Projector(store_url, workers=0, batch_size=30) as alone:
                assert alone.catch_up(until=260) == 260
            assert parallel.catch_up() == 400
        overtaken = rm.dump()
        assert _rebuilt_alone(store_url, rm) == overtaken
    finally:
        rm.close()


@pytest.mark.parametrize("workers", [0, 1])
def test_a_damaged_record_stops_the_projector_on_either_side(store_url: str, workers: int) -> None:
    """A restore checks the record's open rows against its facts from the ledger: a damaged
    read model is reported (rebuild it), not extended. Whichever side folds the damaged
    record, the error reaches the caller and the batch is not written."""
    app = LedgerApplication(env=application_env(store_url))
    try:
        app.record(history(120, seed=3))
    finally:
        app.close()
    with Projector(store_url, workers=0) as projector:
        projector.catch_up()
    missing = raw_sql(
        store_url,
        "DELETE FROM rm1_measure WHERE id = (SELECT max(m.id) FROM rm1_measure m "
        "JOIN rm1_entity e ON e.entity = m.entity "
        "WHERE e.key = 'M1' AND m.recorded_to IS NULL) RETURNING entity",
    )
    assert len(missing) == 1
    app = LedgerApplication(env=application_env(store_url))
    try:
        app.record(
            [
                {
                    "record": "measure-update",
                    "body": BODY,
                    "process": PROCESS,
                    "measure": "M1",
                    "status": "completed",
                    "progress": 100,
                    "note": "fertig",
                    "effective": "2020-01-02",  # backdated: needs the whole history
                }
            ]
        )
    finally:
        app.close()
    rm = ReadModel(store_url)
    try:
        with Projector(store_url, workers=workers, parallel_backlog=0) as projector:
            with pytest.raises(
                ProjectionError, match="do not match its facts; run `ledger rebuild`"
            ):
                projector.catch_up()
            assert (projector.worker_batches > 0) == bool(workers)
            assert rm.position() == 120
            projector.rebuild()
            assert projector.catch_up() == 121
    finally:
        rm.close()


def test_the_worker_folds_before_the_previous_batch_is_committed(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each commit waits until the worker has folded its share of the next batch, so its
    restores read tables without the previous batch (which it then applies itself)."""
    _record(store_url, 400, seed=13)
    commit = Projector._commit

    def late_commit(self: Projector, *args: Any, **kwargs: Any) -> bool:
        time.sleep(0.05)  # the worker's share of the next batch is folded meanwhile
        return commit(self, *args, **kwargs)

    monkeypatch.setattr(Projector, "_commit", late_commit)
    rm = ReadModel(store_url)
    try:
        with _parallel(store_url, batch_size=20, cache_records=3) as projector:
            assert projector.catch_up() == 400
        overlapped = rm.dump()
        monkeypatch.undo()
        assert _rebuilt_alone(store_url, rm) == overlapped
    finally:
        rm.close()


def test_a_worker_that_dies_is_let_go_and_the_projector_goes_on_alone(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(store_url, 300, seed=8)
    commit = Projector._commit
    commits = []

    def commit_then_kill(self: Projector, *args: Any, **kwargs: Any) -> bool:
        done = commit(self, *args, **kwargs)
        commits.append(done)
        if len(commits) == 3 and self.worker is not None:
            self.worker._process.kill()  # between two batches
            self.worker._process.join()
        return done

    monkeypatch.setattr(Projector, "_commit", commit_then_kill)
    rm = ReadModel(store_url)
    try:
        with _parallel(store_url, batch_size=30) as projector:
            assert projector.catch_up() == 300
            assert projector.worker is None
            assert 0 < projector.worker_events < 300
        survived = rm.dump()
        monkeypatch.undo()
        assert _rebuilt_alone(store_url, rm) == survived
    finally:
        rm.close()


def test_a_read_model_an_older_version_built_asks_for_a_rebuild(store_url: str) -> None:
    """Event tables of older generations copied each event's bytes (NOT NULL columns this
    version no longer writes): the projector says to rebuild instead of failing an insert."""
    _record(store_url, 60, seed=2)
    with Projector(store_url, workers=0) as projector:
        assert projector.catch_up(until=30) == 30
    raw_sql(
        store_url,
        "ALTER TABLE rm1_event ADD COLUMN state BYTEA NOT NULL DEFAULT ''"
        if store_url.startswith("postgresql")
        else "ALTER TABLE rm1_event ADD COLUMN state BLOB NOT NULL DEFAULT x''",
    )
    with Projector(store_url, workers=0) as projector:
        with pytest.raises(ProjectionError, match=r"built by an older version .* `ledger rebuild`"):
            projector.catch_up()
        generation, position = projector.rebuild()
        assert (generation, position) == (2, 60)
        assert projector.catch_up() == 60


def test_shares_and_replies_larger_than_the_pipe_buffer_do_not_block(store_url: str) -> None:
    """Shares and replies larger than the pipe's buffers: the projector and the worker must
    never both wait for the other to read (see `FoldWorker`)."""
    _record(store_url, 12_000, seed=21, per_batch=2000)
    rm = ReadModel(store_url)
    try:  # each share about 1 MB: more than the socket pair's buffers hold
        with _parallel(store_url, batch_size=4000) as projector:
            done: list[int] = []
            thread = threading.Thread(target=lambda: done.append(projector.catch_up()))
            thread.daemon = True
            thread.start()
            thread.join(120)
            assert done == [12_000], "the projector and its worker block each other"
            assert projector.worker_batches == 3
        large = rm.dump()
        assert _rebuilt_alone(store_url, rm) == large
    finally:
        rm.close()
