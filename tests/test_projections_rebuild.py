"""`ledger rebuild`: a new generation of tables is built beside the current one and swapped in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import inspect

from ledger.application import LedgerApplication
from ledger.cli.record import demo_text, load_commands
from ledger.store import application_env
from projections.queries import ReadModel, agreement, budget, certification
from projections.registry import Projector

BODY = "kyffhaeuserkreis"
LATER = datetime(2100, 1, 1, tzinfo=UTC)


def _record(url: str, commands: list[dict[str, Any]]) -> None:
    app = LedgerApplication(env=application_env(url))
    try:
        app.record(commands)
    finally:
        app.close()


@pytest.fixture
def demo(store_url: str) -> Iterator[tuple[str, ReadModel]]:
    """The demo recorded and projected; the read model on it."""
    _record(store_url, load_commands(demo_text(), "demo"))
    with Projector(store_url) as projector:
        projector.catch_up()
    rm = ReadModel(store_url)
    try:
        yield store_url, rm
    finally:
        rm.close()


def _documents(rm: ReadModel) -> list[dict[str, Any]]:
    as_of, known_at = "2018-12-31", LATER
    return [
        certification(rm, BODY, as_of=as_of, known_at=known_at),
        agreement(rm, BODY, "audit-fgk/2015", include_private=True, as_of=as_of, known_at=known_at),
        budget(rm, BODY, 2018, include_private=True, as_of=as_of, known_at=known_at),
    ]


def _tables(url: str) -> set[str]:
    rm = ReadModel(url)
    try:
        return set(inspect(rm.engine).get_table_names())
    finally:
        rm.close()


def test_queries_read_the_old_generation_while_the_new_one_is_half_built(
    demo: tuple[str, ReadModel],
) -> None:
    url, rm = demo
    before = _documents(rm)
    with Projector(url, batch_size=5) as projector:
        generation = projector.start_rebuild()
        projector.catch_up(generation=generation, until=10)
        assert rm.generation() == 1
        assert _documents(rm) == before
        projector.catch_up(generation=generation)
        assert rm.generation() == 1  # complete, but not yet swapped in
        projector.swap(generation)
    assert rm.generation() == generation == 2
    assert rm.position() == 41
    assert _documents(rm) == before


def test_a_query_that_read_the_pointer_before_the_swap_finishes_on_the_old_tables(
    demo: tuple[str, ReadModel],
) -> None:
    url, rm = demo
    with rm.view() as view:
        assert view.schema is not None and view.schema.generation == 1
        with Projector(url) as projector:
            assert projector.rebuild() == (2, 41)
        rows = view.rows("measure", _axes(), body=BODY, scope="audit-fgk/2015")
        assert sorted(r["code"] for r in rows) == ["M1.1.1", "M3.1.1", "M6.1.1"]
    assert rm.generation() == 2


def _axes() -> Any:
    from projections.engine.axes import axes

    return axes("2018-12-31", LATER)


def test_rebuild_takes_in_events_recorded_while_it_was_building(
    demo: tuple[str, ReadModel],
) -> None:
    url, rm = demo
    payment = {
        "record": "payment",
        "body": BODY,
        "year": 2018,
        "line": "01.4953.7187",
        "amount": "1200.00",
        "reference": "R-2018-0815",
        "effective": "2018-09-01",
    }
    with Projector(url) as rebuilder, Projector(url) as follower:
        generation = rebuilder.start_rebuild()
        rebuilder.catch_up(generation=generation)
        _record(url, [payment])
        assert follower.catch_up() == 42  # the current generation moves on meanwhile
        assert rebuilder.swap(generation) == 42
    after = budget(rm, BODY, 2018, as_of="2018-12-31", include_private=True)
    assert after["position"] == 42
    assert after["lines"][0]["payments"] == "1200.00"
    swapped = rm.dump()
    with Projector(url) as projector:
        projector.rebuild()
    assert rm.dump() == swapped


def test_a_follower_continues_on_the_new_generation_after_a_swap(
    demo: tuple[str, ReadModel],
) -> None:
    url, rm = demo
    with Projector(url) as follower, Projector(url) as rebuilder:
        follower.catch_up()
        rebuilder.rebuild()
        _record(
            url,
            [
                {
                    "record": "measure-update",
                    "body": BODY,
                    "process": "audit-fgk/2015",
                    "measure": "M3.1.1",
                    "status": "completed",
                    "progress": 100,
                    "note": "Beide Kitas bieten Randzeiten an",
                    "effective": "2019-06-30",
                }
            ],
        )
        assert follower.catch_up() == 42
    assert rm.generation() == 2
    followed = rm.dump()
    with Projector(url) as projector:
        projector.rebuild()
    assert rm.dump() == followed


def test_each_rebuild_drops_the_generation_the_previous_rebuild_retired(
    demo: tuple[str, ReadModel],
) -> None:
    url, rm = demo
    with Projector(url) as projector:
        projector.rebuild()
        assert {"rm1_measure", "rm2_measure"} <= _tables(url)
        projector.rebuild()
    tables = _tables(url)
    assert "rm1_measure" not in tables
    assert {"rm2_measure", "rm3_measure"} <= tables
    assert rm.generation() == 3


def test_an_unfinished_rebuild_is_dropped_by_the_next_one(demo: tuple[str, ReadModel]) -> None:
    url, rm = demo
    with Projector(url, batch_size=5) as projector:
        abandoned = projector.start_rebuild()
        projector.catch_up(generation=abandoned, until=10)
    with Projector(url) as projector:
        assert projector.rebuild() == (3, 41)
    assert "rm2_measure" not in _tables(url)
    assert rm.generation() == 3


def test_follow_keeps_catching_up_until_stopped(demo: tuple[str, ReadModel]) -> None:
    url, rm = demo
    polls = []

    def stop() -> bool:
        polls.append(rm.position())
        if len(polls) == 1:
            _record(
                url,
                [
                    {
                        "record": "finding-closed",
                        "body": BODY,
                        "process": "audit-fgk/2015",
                        "finding": 1,
                        "effective": "2018-12-01",
                    }
                ],
            )
        return len(polls) == 2

    with Projector(url) as projector:
        assert projector.follow(0.001, stop=stop) == 42
    assert polls == [41, 42]
