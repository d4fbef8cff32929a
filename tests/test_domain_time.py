"""Facts in valid time: corrections, retractions, backdated events and timelines (no I/O)."""

from __future__ import annotations

from datetime import date

from ledger.domain.base import current_facts
from ledger.domain.measure import MEASURE, Measure

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
