"""Restores of compact records: their histories read up front, a few statements per batch,
give the same tables as reading each record's history when it is restored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_projections_crash import history

from ledger.application import LedgerApplication
from ledger.store import application_env
from projections.engine.records import Records
from projections.queries import ReadModel
from projections.registry import Projector


def _record(url: str, size: int, seed: int) -> None:
    app = LedgerApplication(env=application_env(url))
    try:
        commands = history(size, seed=seed)
        for i in range(0, len(commands), 3):
            app.record(commands[i : i + 3])
    finally:
        app.close()


class _Counts:
    """How the restores of a run read their histories."""

    def __init__(self) -> None:
        self.up_front = 0  # records whose history a batch read before folding
        self.one_by_one = 0  # restores that read their record's events themselves


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Counts]:
    seen = _Counts()
    read_histories = Records._read_histories

    def counting(self: Records, *args: Any) -> Any:
        found = read_histories(self, *args)
        seen.up_front += len(found)
        return found

    original_make_whole = Records._make_whole

    def make_whole(self: Records, conn: Any, tables: Any, entity: Any, *args: Any) -> None:
        if entity.id not in self._histories:
            seen.one_by_one += 1
        original_make_whole(self, conn, tables, entity, *args)

    monkeypatch.setattr(Records, "_read_histories", counting)
    monkeypatch.setattr(Records, "_make_whole", make_whole)
    yield seen


def _project(url: str, *, up_front: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        if not up_front:
            patch.setattr(Records, "_likely_restored", lambda self, chained, decoded: {})
        # Few kept records and small batches: many records are restored, some of them
        # several times in a batch's span.
        with Projector(url, workers=0, batch_size=25, cache_records=3) as projector:
            projector.rebuild()


@pytest.mark.parametrize("workers", [0, 1])
def test_histories_read_up_front_give_the_tables_of_restores_one_by_one(
    store_url: str, counts: _Counts, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    _record(store_url, 500, seed=21)
    rm = ReadModel(store_url)
    try:
        _project(store_url, up_front=False, monkeypatch=monkeypatch)
        one_by_one = rm.dump()
        assert counts.up_front == 0
        assert counts.one_by_one > 50  # the history restores often
        counts.one_by_one = 0
        if workers:
            with Projector(
                store_url, workers=1, parallel_backlog=0, batch_size=25, cache_records=3
            ) as projector:
                projector.rebuild()
                assert projector.worker_events > 100
        else:
            _project(store_url, up_front=True, monkeypatch=monkeypatch)
        assert rm.dump() == one_by_one
        # Nearly every restore found its history read up front (the ones it cannot tell:
        # an event on the date of the only version kept, after others of the batch).
        # With a worker, these counts are the projector's share only.
        assert counts.up_front > (50 if not workers else 15)
        assert counts.one_by_one * 10 < counts.up_front
    finally:
        rm.close()
