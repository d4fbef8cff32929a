"""The projector's timeline bookkeeping against the domain's fold (no database).

After every event, a record's timeline must be Fold.timeline of its standing facts, and
the open rows kept by applying each Change (close, open) must be that timeline's rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

from events_support import built
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.base import current_facts
from ledger.domain.measure import MEASURE, Measure
from projections.engine.bitemporal import Entity, advance, compact, needs_history, replay, rows_from
from projections.models.agreement import MEASURES

DAY0 = date(2020, 1, 1)
ID = uuid4()

steps = st.lists(
    st.one_of(
        # a status update: days after DAY0, status; "late" ones are usually backdated
        st.tuples(st.just("update"), st.integers(0, 40), st.sampled_from(["planned", "delayed"])),
        st.tuples(
            st.just("correct"), st.integers(0, 30), st.sampled_from(["completed", "planned"])
        ),
        st.tuples(st.just("retract"), st.integers(0, 30)),
    ),
    max_size=40,
)


def _event(version: int, kind: str, payload: Any, day: date) -> Any:
    common = {
        "originator_id": ID,
        "originator_version": version,
        "timestamp": datetime(2024, 1, 1, tzinfo=UTC),
        "effective": day,
    }
    if kind == "added":
        return built(
            Measure.Added,
            **common,
            originator_topic="ledger.domain.measure:Measure",
            body="b",
            process="p/1",
            code="M1",
            goal="Z1",
            title="t",
            responsible="r",
            period="",
        )
    if kind == "update":
        return built(Measure.StatusUpdated, **common, status=payload, progress=None, note="")
    if kind == "correct":
        target, status = payload
        return built(
            Measure.Corrected, **common, corrects=target, values={"status": status}, reason="r"
        )
    return built(Measure.Retracted, **common, retracts=payload, reason="r")


@settings(max_examples=200, deadline=None)
@given(steps=steps, monotone=st.booleans())
def test_timeline_and_open_rows_follow_the_fold(
    steps: list[tuple[Any, ...]], monotone: bool
) -> None:
    added = _event(1, "added", None, DAY0)
    entity = Entity.new(ID.hex, MEASURES, added)
    open_rows: dict[date, tuple[date | None, Any, datetime]] = {}
    clock = datetime(2024, 1, 1)
    events = [added]
    last_day = DAY0
    for version, step in enumerate([("added",), *steps], start=1):
        if version == 1:
            event = added
        elif step[0] == "update":
            day = DAY0 + timedelta(days=step[1])
            if monotone:
                day = last_day = max(last_day, day)
            event = _event(version, "update", step[2], day)
        else:
            updates = [e for e in events if isinstance(e, Measure.StatusUpdated)]
            if not updates:
                continue
            target = updates[step[1] % len(updates)].originator_version
            payload = (target, step[2]) if step[0] == "correct" else target
            event = _event(version, step[0], payload, DAY0)
        events.append(event)
        clock += timedelta(seconds=1) if step[-1] != "planned" else timedelta(0)
        change = advance(entity, event, clock)
        for valid_from, recorded_from in change.closed:
            assert open_rows.pop(valid_from)[2] == recorded_from
        for valid_from, valid_to, v in change.opened:
            assert v.recorded_from == clock
            open_rows[valid_from] = (valid_to, v.state, clock)

        expected = MEASURE.timeline(current_facts(events))
        assert [(v.valid_from, v.state) for v in entity.timeline] == expected
        assert {vf: (vt, v.state) for vf, vt, v in rows_from(entity.timeline, 0)} == {
            vf: (vt, s) for vf, (vt, s, _) in open_rows.items()
        }
        assert {v.valid_from: v.recorded_from for v in entity.timeline} == {
            vf: rf for vf, (_, _, rf) in open_rows.items()
        }

    restored = Entity.new(ID.hex, MEASURES, added)
    assert replay(
        restored,
        {e.originator_version: e for e in events},
        {vf: rf for vf, (_, _, rf) in open_rows.items()},
    )
    assert [(v.valid_from, v.state, v.recorded_from) for v in restored.timeline] == [
        (v.valid_from, v.state, v.recorded_from) for v in entity.timeline
    ]


def test_replay_refuses_open_rows_that_do_not_match_the_facts() -> None:
    added = _event(1, "added", None, DAY0)
    entity = Entity.new(ID.hex, MEASURES, added)
    assert not replay(entity, {1: added}, {DAY0 + timedelta(days=1): datetime(2024, 1, 1)})


@settings(max_examples=200, deadline=None)
@given(steps=steps, every=st.integers(1, 4))
def test_a_compact_record_changes_its_rows_as_a_whole_one_does(
    steps: list[tuple[Any, ...]], every: int
) -> None:
    """Compacted after every `every` events (as the projector does after each batch) and
    made whole from its facts and open rows when `needs_history` says so, a record gives
    the same row changes as one that always holds everything."""
    added = _event(1, "added", None, DAY0)
    whole = Entity.new(ID.hex, MEASURES, added)
    lean = Entity.new(ID.hex, MEASURES, added)
    events = [added]
    open_rows: dict[date, datetime] = {}
    clock = datetime(2024, 1, 1)
    restored = 0
    for version, step in enumerate([("added",), *steps], start=1):
        if version == 1:
            event = added
        elif step[0] == "update":
            event = _event(version, "update", step[2], DAY0 + timedelta(days=step[1]))
        else:
            updates = [e for e in events if isinstance(e, Measure.StatusUpdated)]
            if not updates:
                continue
            target = updates[step[1] % len(updates)].originator_version
            payload = (target, step[2]) if step[0] == "correct" else target
            event = _event(version, step[0], payload, DAY0)
        events.append(event)
        clock += timedelta(seconds=1)
        if needs_history(lean, event):
            restored += 1
            assert replay(lean, {e.originator_version: e for e in events[:-1]}, open_rows)
        expected = advance(whole, event, clock)
        change = advance(lean, event, clock)
        assert sorted(change.closed) == sorted(expected.closed)
        assert sorted((vf, vt, v.state) for vf, vt, v in change.opened) == sorted(
            (vf, vt, v.state) for vf, vt, v in expected.opened
        )
        for valid_from, _ in change.closed:
            del open_rows[valid_from]
        for valid_from, _, _ in change.opened:
            open_rows[valid_from] = clock
        assert lean.state == whole.state
        if version % every == 0:
            compact(lean)
            assert not lean.facts and len(lean.timeline) <= 2
