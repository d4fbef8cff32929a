"""The fold worker: a projector that folds each batch with a second process writes the same
tables as one that folds alone, and stops (writing nothing) when the worker fails."""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid5

import pytest
from storage import raw_sql
from test_projections_crash import BODY, PROCESS, history

from ledger.application import LedgerApplication
from ledger.store import application_env
from projections.projector import ProjectionError, Projector
from projections.queries import ReadModel
from projections.worker import worker_folds


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
            assert projector.worker is not None
            assert projector.catch_up() == 600
        parallel = rm.dump()
        with Projector(store_url, workers=0) as projector:
            projector.rebuild()
            assert projector.worker is None
        assert rm.dump() == parallel
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
        with Projector(store_url, workers=0) as projector:
            projector.rebuild()
        assert rm.dump() == overtaken
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
            assert (projector.worker is not None) == bool(workers)
            assert rm.position() == 120
            projector.rebuild()
            assert projector.catch_up() == 121
    finally:
        rm.close()


def test_a_worker_that_dies_stops_the_batch_and_the_next_catch_up_goes_on(
    store_url: str,
) -> None:
    _record(store_url, 300, seed=8)
    rm = ReadModel(store_url)
    try:
        with _parallel(store_url, batch_size=30) as projector:
            assert projector.catch_up(until=90) == 90
            worker = projector.worker
            assert worker is not None
            worker._process.kill()
            worker._process.join()
            with pytest.raises(ProjectionError, match="the fold worker stopped"):
                projector.catch_up()
            assert projector.worker is None
            assert rm.position() == 90  # the batch the worker died in was not written
            assert projector.catch_up() == 300
            assert projector.worker is not None and projector.worker is not worker
        survived = rm.dump()
        with Projector(store_url, workers=0) as alone:
            alone.rebuild()
        assert rm.dump() == survived
    finally:
        rm.close()
