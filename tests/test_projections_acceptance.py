"""Acceptance of the time-travel projections on the demo case (issue 3), on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from ledger.application import LedgerApplication
from ledger.cli.record import demo_text, load_commands
from ledger.store import application_env, open_recorder
from projections.queries import ReadModel, agreement, budget, certification
from projections.registry import Projector

BODY = "kyffhaeuserkreis"
PROCESS = "audit-fgk/2015"


def _last_recorded_at(url: str) -> Any:
    recorder = open_recorder(url)
    try:
        head = recorder.head()
        assert head is not None
        return recorder.select_chained(head.position, 1)[0].recorded_at
    finally:
        recorder.close()


@pytest.fixture
def demo(store_url: str) -> Iterator[tuple[ReadModel, Any, Any]]:
    """The demo recorded in two batches: everything but the correction, then the correction.

    Yields the read model (caught up) and the recorded_at of the two batches.
    """
    commands = load_commands(demo_text(), "demo")
    correction = [c for c in commands if c["record"] == "correction"]
    assert len(correction) == 1
    app = LedgerApplication(env=application_env(store_url))
    try:
        app.record([c for c in commands if c["record"] != "correction"])
        before = _last_recorded_at(store_url)
        app.record(correction)
        after = _last_recorded_at(store_url)
    finally:
        app.close()
    assert after > before  # the two batches really are apart in transaction time
    with Projector(store_url) as projector:
        projector.catch_up()
    rm = ReadModel(store_url)
    try:
        yield rm, before, after
    finally:
        rm.close()


def test_certified_on_new_year_2016_with_the_first_certificate(
    demo: tuple[ReadModel, Any, Any],
) -> None:
    rm, _, _ = demo
    document = certification(rm, BODY, as_of="2016-01-01")
    assert document["status"] == "certified"
    assert document["certificate"] == {"valid_from": "2015-06-12", "valid_until": "2018-06-30"}


def test_in_recertification_at_the_end_of_2018(demo: tuple[ReadModel, Any, Any]) -> None:
    rm, _, _ = demo
    document = certification(rm, BODY, as_of="2018-12-31")
    assert document["status"] == "in_recertification"
    assert document["certificate"] is None
    assert [p["process"] for p in document["history"]] == ["audit-fgk/2015", "audit-fgk/2018"]


def test_not_certified_before_the_first_certificate(demo: tuple[ReadModel, Any, Any]) -> None:
    rm, _, _ = demo
    document = certification(rm, BODY, as_of="2015-01-01")
    assert document["status"] == "not_certified"
    assert document["certificate"] is None
    assert document["history"] == []


def test_budget_line_2018_has_one_ausserplanmaessig_approval_on_its_resolution(
    demo: tuple[ReadModel, Any, Any],
) -> None:
    rm, _, _ = demo
    document = budget(rm, BODY, 2018, line="01.4953.7187", include_private=True)
    (line,) = document["lines"]
    assert line["code"] == "01.4953.7187"
    assert [(a["kind"], a["amount"], a["resolution"]) for a in line["supplementary"]] == [
        ("ausserplanmaessig", "17655.00", "2018/6/067")
    ]
    assert line["appropriation"] is None
    assert line["available"] == line["remaining"] == "17655.00"
    assert document["position"] == 41


def _measure(document: dict[str, Any], code: str) -> dict[str, Any]:
    for field in document["fields"]:
        for goal in field["goals"]:
            for measure in goal["measures"]:
                if measure["code"] == code:
                    return dict(measure)
    raise AssertionError(f"measure {code} not in the agreement")


def test_corrected_measure_shows_the_wrong_status_before_the_correction_was_recorded(
    demo: tuple[ReadModel, Any, Any],
) -> None:
    rm, before, after = demo
    was = agreement(rm, BODY, PROCESS, as_of="2018-01-31", known_at=before)
    now = agreement(rm, BODY, PROCESS, as_of="2018-01-31", known_at=after)
    assert (_measure(was, "M6.1.1")["status"], _measure(was, "M6.1.1")["progress"]) == (
        "completed",
        100,
    )
    assert (_measure(now, "M6.1.1")["status"], _measure(now, "M6.1.1")["progress"]) == (
        "in_progress",
        60,
    )
    # the other measures are the same either way
    assert _measure(was, "M3.1.1") == _measure(now, "M3.1.1")


def test_nothing_is_known_before_the_demo_was_recorded(demo: tuple[ReadModel, Any, Any]) -> None:
    rm, before, _ = demo
    earlier = before - timedelta(seconds=1)
    assert certification(rm, BODY, as_of="2016-01-01", known_at=earlier)["status"] == (
        "not_certified"
    )
    assert agreement(rm, BODY, PROCESS, as_of="2018-01-31", known_at=earlier)["fields"] == []


def test_every_document_says_body_axes_and_position(demo: tuple[ReadModel, Any, Any]) -> None:
    rm, _, after = demo
    document = agreement(rm, BODY, PROCESS, as_of="2018-12-31", known_at=after)
    assert document["body"] == BODY
    assert document["as_of"] == "2018-12-31"
    assert document["known_at"] == after.isoformat()
    assert document["position"] == 41  # the whole demo: 40 events, then the correction
