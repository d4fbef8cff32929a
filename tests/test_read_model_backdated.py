"""Backdated bookings on a budget line cost the read side a step per later version.

Folding a backdated commitment, payment or receipt used to fold all the line's facts
again: 5,000 commitments in random date order took 71 s and 760 MB to project (2,000:
25 s), so the time grew with the square of a line's events. Their steps commute with
every other step, so the projector now applies a backdated one to the versions from its
date on. These tests hold that to the domain's fold, for whole and compact records.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from events_support import built
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.base import Fold, current_facts
from ledger.domain.budget_line import BUDGET_LINE, BudgetLine
from projections.engine.bitemporal import (
    Entity,
    advance,
    compact,
    insertable,
    needs_history,
    replay,
    rows_from,
)
from projections.models.budget import BUDGET_LINES

DAY0 = date(2018, 1, 1)
ID = uuid4()
COMMUTING = ("commitment", "payment", "received")

steps = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from([*COMMUTING, "appropriation", "statement"]),
            st.integers(0, 30),  # days after DAY0
            st.sampled_from(["0.00", "1.00", "2.50"]),
            st.booleans(),  # a new transaction (else: the same one as the event before)
        ),
        st.tuples(st.sampled_from(["correct", "retract"]), st.integers(0, 30)),
    ),
    max_size=40,
)


def _event(version: int, kind: str, day: date, amount: str = "0.00", target: int = 0) -> Any:
    common: dict[str, Any] = {
        "originator_id": ID,
        "originator_version": version,
        "timestamp": datetime(2024, 1, 1, tzinfo=UTC),
        "effective": day,
    }
    money = Decimal(amount)
    match kind:
        case "opened":
            return built(
                BudgetLine.Opened,
                **common,
                originator_topic="ledger.domain.budget_line:BudgetLine",
                body="b",
                year=2018,
                code="01.1",
                title="t",
                direction="expenditure",
            )
        case "commitment":
            return built(
                BudgetLine.CommitmentRecorded, **common, amount=money, reference="c", text=""
            )
        case "payment":
            return built(
                BudgetLine.PaymentBooked, **common, amount=money, reference=f"p{version}", text=""
            )
        case "received":
            return built(BudgetLine.FundingReceived, **common, amount=money, reference="r")
        case "appropriation":
            return built(BudgetLine.AppropriationSet, **common, amount=money)
        case "statement":
            return built(BudgetLine.TreasuryStatementRecorded, **common, text=amount, author="k")
        case "correct":
            return built(
                BudgetLine.Corrected,
                **common,
                corrects=target,
                values={"amount": Decimal("7.00")},
                reason="r",
            )
    return built(BudgetLine.Retracted, **common, retracts=target, reason="r")


def _history(steps: list[tuple[Any, ...]]) -> list[tuple[Any, bool]]:
    """The events of the steps (with whether each starts a new transaction)."""
    events: list[tuple[Any, bool]] = [(_event(1, "opened", DAY0), True)]
    for step in steps:
        version = len(events) + 1
        if step[0] in ("correct", "retract"):
            amounts = [e for e, _ in events if isinstance(e, BudgetLine.PaymentBooked)]
            if not amounts:
                continue
            target = amounts[step[1] % len(amounts)].originator_version
            events.append((_event(version, step[0], DAY0, target=target), True))
        else:
            kind, days, amount, new = step
            events.append((_event(version, kind, DAY0 + timedelta(days=days), amount), new))
    return events


@settings(max_examples=300, deadline=None)
@given(steps=steps, every=st.integers(1, 5))
def test_backdated_bookings_give_the_folds_timeline_and_rows(
    steps: list[tuple[Any, ...]], every: int
) -> None:
    """After every event the timeline is Fold.timeline of the standing facts and the open
    rows kept from the changes are its rows; a record compacted every `every` events (and
    made whole only when `needs_history` says so) changes its rows exactly as a whole one.
    """
    events = _history(steps)
    opened = events[0][0]
    whole = Entity.new(ID.hex, BUDGET_LINES, opened)
    lean = Entity.new(ID.hex, BUDGET_LINES, opened)
    rows: dict[date, tuple[date | None, Any, datetime]] = {}
    clock = datetime(2024, 1, 1)
    for n, (event, new_transaction) in enumerate(events, start=1):
        clock += timedelta(seconds=1) if new_transaction else timedelta(0)
        if needs_history(lean, event):
            stored = {e.originator_version: e for e, _ in events[: n - 1]}
            assert replay(lean, stored, {vf: rf for vf, (_, _, rf) in rows.items()})
        change = advance(whole, event, clock)
        lean_change = advance(lean, event, clock)
        assert sorted(lean_change.closed) == sorted(change.closed)
        assert sorted((vf, vt, v.state) for vf, vt, v in lean_change.opened) == sorted(
            (vf, vt, v.state) for vf, vt, v in change.opened
        )
        for valid_from, recorded_from in change.closed:
            assert rows.pop(valid_from)[2] == recorded_from
        for valid_from, valid_to, v in change.opened:
            assert v.recorded_from == clock
            rows[valid_from] = (valid_to, v.state, clock)

        standing = current_facts([e for e, _ in events[:n]])
        assert [(v.valid_from, v.state) for v in whole.timeline] == BUDGET_LINE.timeline(standing)
        assert {
            vf: (vt, v.state, v.recorded_from) for vf, vt, v in rows_from(whole.timeline, 0)
        } == (rows)
        assert lean.state == whole.state
        if n % every == 0:
            compact(lean)


def test_a_backdated_booking_keeps_a_compact_record_without_its_history() -> None:
    """A compact line takes a backdated payment after its kept versions' first date
    without being restored; before that date, or a fix, it needs its history."""
    events = [_event(1, "opened", DAY0)]
    events += [_event(v, "payment", DAY0 + timedelta(days=2 * v), "1.00") for v in range(2, 12)]
    line = Entity.new(ID.hex, BUDGET_LINES, events[0])
    clock = datetime(2024, 1, 1)
    for event in events:
        clock += timedelta(seconds=1)
        advance(line, event, clock)
    compact(line)
    kept_from = line.timeline[0].valid_from
    late = _event(12, "payment", kept_from + timedelta(days=1), "5.00")
    assert late.effective < line.last_effective  # backdated
    assert insertable(line, late) and not needs_history(line, late)
    advance(line, late, clock + timedelta(seconds=1))
    assert line.state.payments == Decimal("15.00")
    assert line.state.payment_count == 11
    assert needs_history(line, _event(13, "payment", kept_from, "1.00"))
    assert needs_history(line, _event(13, "appropriation", kept_from + timedelta(days=1)))
    assert needs_history(line, _event(13, "retract", DAY0, target=2))


def test_folding_backdated_bookings_costs_steps_per_date_not_per_event() -> None:
    """2,000 payments on 10 dates in falling date order (each one backdated): the fold
    steps grow with events x dates, not with the square of the events."""
    steps = 0

    def counted(state: Any, fact: Any) -> Any:
        nonlocal steps
        steps += 1
        return BUDGET_LINE.step(state, fact)

    model = replace(BUDGET_LINES, fold=Fold(BUDGET_LINE.initial, counted))
    events = 2_000
    line = Entity.new(ID.hex, model, _event(1, "opened", DAY0))
    clock = datetime(2024, 1, 1)
    advance(line, _event(1, "opened", DAY0), clock)
    for version in range(2, events + 2):
        day = DAY0 + timedelta(days=10 - version * 10 // (events + 2))
        advance(line, _event(version, "payment", day, "1.00"), clock)
    assert line.state.payment_count == events
    assert steps <= 12 * events  # folding everything again each time: about 2,000,000
