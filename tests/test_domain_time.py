"""Facts in valid time: corrections, retractions, backdated events and timelines (no I/O)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.domain.base import current_facts
from ledger.domain.budget_line import BudgetLine
from ledger.domain.measure import MEASURE, Measure
from ledger.errors import RuleViolationError

D = date.fromisoformat


def measure() -> Measure:
    return Measure.add(
        body="b",
        process="p/1",
        code="M1",
        goal="Z1",
        title="Treffs aufbauen",
        responsible="Sozialplanung",
        period="2016–2019",
        effective=D("2016-01-01"),
    )


def test_backdated_update_counts_at_its_effective_date_not_its_recording_order() -> None:
    m = measure()
    m.update_status(status="completed", progress=100, note="", effective=D("2018-01-01"))
    m.update_status(status="in_progress", progress=50, note="", effective=D("2017-01-01"))
    assert m.state_at(D("2017-06-30")).status == "in_progress"
    assert m.state_at(D("2018-06-30")).status == "completed"


def test_correction_replaces_the_value_on_every_valid_date() -> None:
    m = measure()
    m.update_status(status="completed", progress=100, note="falsch", effective=D("2017-12-31"))
    m.correct(2, {"status": "in_progress", "progress": 60}, "Irrtum", D("2018-02-15"))
    state = m.state_at(D("2018-01-31"))
    assert (state.status, state.progress, state.note) == ("in_progress", 60, "falsch")


def test_retraction_removes_the_fact() -> None:
    m = measure()
    m.update_status(status="in_progress", progress=10, note="", effective=D("2016-06-30"))
    m.update_status(status="completed", progress=100, note="", effective=D("2017-06-30"))
    m.retract(3, "falsche Maßnahme", D("2017-07-01"))
    assert m.state_at(D("2018-01-01")).status == "in_progress"
    assert [type(f).__name__ for f in current_facts(m.facts.values())] == [
        "Added",
        "StatusUpdated",
    ]


def test_timeline_has_one_state_per_date_on_which_something_changed() -> None:
    m = measure()
    m.update_status(status="in_progress", progress=10, note="", effective=D("2016-06-30"))
    m.update_status(status="in_progress", progress=20, note="", effective=D("2016-06-30"))
    m.update_status(status="in_progress", progress=20, note="", effective=D("2016-09-30"))
    timeline = MEASURE.timeline(current_facts(m.facts.values()))
    assert [valid_from for valid_from, _ in timeline] == [D("2016-01-01"), D("2016-06-30")]
    assert timeline[-1][1].progress == 20


def test_repeating_a_standing_fact_records_nothing() -> None:
    m = measure()
    m.update_status(status="in_progress", progress=10, note="", effective=D("2016-06-30"))
    m.update_status(status="in_progress", progress=10, note="", effective=D("2016-06-30"))
    assert m.version == 2


def test_a_repeated_fact_is_a_no_op_and_a_retracted_one_stays_retracted() -> None:
    m = measure()
    for _ in range(2):
        m.update_status(status="in_progress", progress=20, note="", effective=D("2017-01-31"))
    assert m.version == 2  # the second one was already recorded
    m.update_status(status="in_progress", progress=30, note="", effective=D("2017-01-31"))
    m.update_status(status="in_progress", progress=20, note="", effective=D("2017-02-28"))
    assert m.version == 4  # same date other values, same values other date: both new
    m.retract(2, "doppelt erfasst", D("2017-03-01"))
    m.update_status(status="in_progress", progress=20, note="", effective=D("2017-01-31"))
    assert m.version == 5  # repeating a retracted fact does not bring it back


def line() -> BudgetLine:
    return BudgetLine.open(
        body="b",
        year=2018,
        code="4.1.01",
        title="Treffs",
        direction="expenditure",
        effective=D("2018-01-01"),
    )


def test_a_booking_reference_stands_until_its_booking_is_retracted_or_corrected() -> None:
    b = line()
    b.book_payment(amount=Decimal("10.00"), reference="R1", text="", effective=D("2018-02-01"))
    with pytest.raises(RuleViolationError, match="'R1' is already recorded"):
        b.book_payment(amount=Decimal("20.00"), reference="R1", text="", effective=D("2018-03-01"))
    b.correct(2, {"reference": "R2"}, "Tippfehler", D("2018-03-02"))
    b.book_payment(amount=Decimal("20.00"), reference="R1", text="", effective=D("2018-03-01"))
    with pytest.raises(RuleViolationError, match="'R2' is already recorded"):
        b.book_payment(amount=Decimal("5.00"), reference="R2", text="", effective=D("2018-04-01"))
    b.retract(2, "falsche Haushaltsstelle", D("2018-04-02"))
    b.book_payment(amount=Decimal("5.00"), reference="R2", text="", effective=D("2018-04-01"))
    assert b.has_booking("R1") and b.has_booking("R2") and not b.has_booking("R3")
