"""Property: incremental catch-up, a full rebuild and a naive replay give the same answers.

Random event sequences for a few records of one body — measures with status updates,
budget lines with appropriations, approvals, commitments and payments, a certification
process with certificates — with backdated events, corrections and retractions, recorded
in several batches. At random (as_of, known_at) points the agreement, budget and
certification documents of the read model caught up after every batch, of a full rebuild,
and of a reference that simply replays the known events must agree; and the rebuilt tables
must equal the incrementally built ones.

Each example uses a fresh body in the one store of the test, so examples never interfere.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from events_support import built
from eventsourcing.persistence import StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application import LedgerApplication
from ledger.domain.base import Fold, LedgerAggregate
from ledger.domain.budget_line import BUDGET_LINE, BudgetLine
from ledger.domain.certification import PROCESS, CertificationProcess, certification_status
from ledger.domain.measure import MEASURE, STATUSES, Measure
from ledger.domain.money import format_amount
from ledger.errors import CommandError
from ledger.store import application_env, open_recorder
from projections.queries import ReadModel, agreement, budget, certification
from projections.registry import Projector

PROGRAMME, CYCLE = "audit-fgk", "2017"
PROCESS_KEY = f"{PROGRAMME}/{CYCLE}"
YEAR = 2019
MEASURES = ("M1", "M2")
LINES = ("01.0001.0001", "01.0001.0002")
START = date(2017, 1, 1)
EFFECTIVE = st.dates(min_value=date(2016, 12, 1), max_value=date(2020, 12, 31))
AS_OF = st.dates(min_value=date(2016, 11, 30), max_value=date(2021, 1, 31))
AMOUNT = st.integers(min_value=0, max_value=500_000)  # cents

_bodies = itertools.count(1)

# -- the random history ----------------------------------------------------------------

measure_ops = st.one_of(
    st.tuples(
        st.just("status"),
        st.integers(0, 1),
        st.sampled_from(sorted(STATUSES)),
        st.one_of(st.none(), st.integers(0, 100)),
        st.sampled_from(["", "a", "b"]),
        EFFECTIVE,
    ),
    st.tuples(st.just("drop"), st.integers(0, 1), EFFECTIVE),
)
line_ops = st.one_of(
    st.tuples(st.just("appropriation"), st.integers(0, 1), AMOUNT, EFFECTIVE),
    st.tuples(
        st.just("supplementary"),
        st.integers(0, 1),
        st.sampled_from(["ueberplanmaessig", "ausserplanmaessig"]),
        AMOUNT,
        st.sampled_from(["2019/1/001", "2019/1/002"]),
        EFFECTIVE,
    ),
    st.tuples(st.just("payment"), st.integers(0, 1), AMOUNT, EFFECTIVE),
    st.tuples(st.just("commitment"), st.integers(0, 1), AMOUNT, EFFECTIVE),
)
process_ops = st.one_of(
    st.tuples(
        st.just("certificate"),
        EFFECTIVE,
        st.one_of(st.none(), st.integers(0, 1200)),
        EFFECTIVE,
    ),
    st.tuples(st.just("expired"), EFFECTIVE),
    st.tuples(st.just("withdrawn"), EFFECTIVE),
    st.tuples(st.just("completed"), EFFECTIVE),
)
TARGETS = ("M1", "M2", "L1", "L2", "P")
fix_ops = st.one_of(
    st.tuples(
        st.just("correct"),
        st.sampled_from(TARGETS),
        st.integers(0, 20),
        st.integers(0, 3),
        EFFECTIVE,
        st.integers(0, 100_000),
        EFFECTIVE,
    ),
    st.tuples(st.just("retract"), st.sampled_from(TARGETS), st.integers(0, 20), EFFECTIVE),
)
ops = st.one_of(measure_ops, measure_ops, line_ops, line_ops, process_ops, fix_ops)
histories = st.lists(st.lists(ops, min_size=1, max_size=7), min_size=1, max_size=5)
# A query point: as_of, and known_at as (batch index or -1 for "before all", just before it?)
points = st.lists(st.tuples(AS_OF, st.integers(-1, 4), st.booleans()), min_size=3, max_size=6)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _setup(body: str) -> list[dict[str, Any]]:
    day = START.isoformat()
    process = {"body": body, "process": PROCESS_KEY, "effective": day}
    commands: list[dict[str, Any]] = [
        {"record": "body", "body": body, "name": f"Body {body}", "effective": day},
        {
            "record": "process",
            **process,
            "kind": "certification",
            "planned_from": day,
            "planned_until": "2020-12-31",
            "partner": "Verein",
        },
        {"record": "agreement", **process, "catalogue": "fgk-2015"},
        {"record": "field", **process, "field": "steuerung"},
        {"record": "goal", **process, "goal": "Z1", "field": "steuerung", "title": "Ziel"},
    ]
    for code in MEASURES:
        commands.append(
            {
                "record": "measure",
                **process,
                "measure": code,
                "goal": "Z1",
                "title": f"Maßnahme {code}",
                "responsible": "Amt",
                "period": "2017–2020",
            }
        )
    for code in LINES:
        commands.append(
            {
                "record": "budget-line",
                "body": body,
                "year": YEAR,
                "line": code,
                "title": f"Line {code}",
                "effective": day,
            }
        )
    return commands


def _record_id(body: str, target: str) -> Any:
    if target.startswith("M"):
        return Measure.id_for(body, PROCESS_KEY, target)
    if target.startswith("L"):
        return BudgetLine.id_for(body, YEAR, LINES[int(target[1]) - 1])
    return CertificationProcess.id_for(body, PROGRAMME, CYCLE)


def _target_fields(body: str, target: str) -> dict[str, Any]:
    if target.startswith("M"):
        return {"target": "measure", "process": PROCESS_KEY, "measure": target}
    if target.startswith("L"):
        return {"target": "budget-line", "year": YEAR, "line": LINES[int(target[1]) - 1]}
    return {"target": "process", "process": PROCESS_KEY}


def _fix(app: LedgerApplication, body: str, op: tuple[Any, ...]) -> dict[str, Any] | None:
    """A correction or retraction of a standing event of the record, chosen by index."""
    record: LedgerAggregate = app.repository.get(_record_id(body, op[1]))
    retracted = record.retracted_versions()
    candidates = [
        v
        for v, fact in sorted(record.facts.items())
        if v not in retracted
        and not isinstance(fact, LedgerAggregate.Corrected | LedgerAggregate.Retracted)
        and (v > 1 or op[0] == "correct")
    ]
    if op[0] == "correct":
        candidates = [
            v
            for v in candidates
            if isinstance(
                record.facts[v],
                Measure.StatusUpdated
                | BudgetLine.AppropriationSet
                | BudgetLine.PaymentBooked
                | BudgetLine.SupplementaryApproved
                | CertificationProcess.CertificateAwarded,
            )
        ]
    if not candidates:
        return None
    version = candidates[op[2] % len(candidates)]
    common = {"body": body, **_target_fields(body, op[1]), "version": version}
    if op[0] == "retract":
        return {"record": "retraction", **common, "reason": "in error", "effective": str(op[3])}
    _, _, _, variant, some_day, some_int, effective = op
    fact = record.facts[version]
    values: dict[str, Any]
    if variant == 0:
        values = {"effective": some_day.isoformat()}
    elif isinstance(fact, Measure.StatusUpdated):
        values = [
            {"status": sorted(STATUSES)[some_int % len(STATUSES)]},
            {"progress": some_int % 101},
            {"note": f"n{some_int % 3}", "status": "delayed"},
        ][variant - 1]
    elif isinstance(fact, CertificationProcess.CertificateAwarded):
        values = {"valid_until": (fact.valid_from + timedelta(days=some_int % 900)).isoformat()}
    else:
        values = {"amount": _money(some_int)}
    return {
        "record": "correction",
        **common,
        "values": values,
        "reason": "wrong",
        "effective": effective.isoformat(),
    }


def _command(
    app: LedgerApplication, body: str, op: tuple[Any, ...], serial: Iterator[int]
) -> dict[str, Any] | None:
    kind = op[0]
    process = {"body": body, "process": PROCESS_KEY}
    if kind == "status":
        _, m, status, progress, note, day = op
        return {
            "record": "measure-update",
            **process,
            "measure": MEASURES[m],
            "status": status,
            "progress": progress,
            "note": note,
            "effective": day.isoformat(),
        }
    if kind == "drop":
        return {
            "record": "measure-dropped",
            **process,
            "measure": MEASURES[op[1]],
            "reason": "no longer needed",
            "effective": op[2].isoformat(),
        }
    if kind in ("appropriation", "supplementary", "payment", "commitment"):
        line = {"body": body, "year": YEAR, "line": LINES[op[1]]}
        if kind == "appropriation":
            return {"record": kind, **line, "amount": _money(op[2]), "effective": str(op[3])}
        if kind == "supplementary":
            return {
                "record": kind,
                **line,
                "kind": op[2],
                "amount": _money(op[3]),
                "resolution": op[4],
                "effective": str(op[5]),
            }
        return {
            "record": kind,
            **line,
            "amount": _money(op[2]),
            "reference": f"B{next(serial)}",
            "effective": str(op[3]),
        }
    if kind == "certificate":
        _, valid_from, days, day = op
        until = (valid_from + timedelta(days=days)).isoformat() if days is not None else None
        return {
            "record": "certificate",
            **process,
            "valid_from": valid_from.isoformat(),
            "valid_until": until,
            "effective": day.isoformat(),
        }
    if kind in ("expired", "withdrawn", "completed"):
        record = {
            "expired": "certificate-expired",
            "withdrawn": "certificate-withdrawn",
            "completed": "process-completed",
        }[kind]
        extra = {"reason": "Auflagen nicht erfüllt"} if kind == "withdrawn" else {}
        return {"record": record, **process, **extra, "effective": op[1].isoformat()}
    return _fix(app, body, op)


def _record(app: LedgerApplication, batch: Sequence[dict[str, Any] | None]) -> list[int]:
    """Records what the ledger accepts of a batch: a refused command is left out."""
    commands = [c for c in batch if c is not None]
    while commands:
        try:
            return app.record(commands)
        except CommandError as refused:
            assert refused.index >= 1, refused
            del commands[refused.index - 1]
    return []


# -- the naive reference ------------------------------------------------------------------


def _standing(events: list[Any]) -> list[Any]:
    """The events as they stand: corrections applied in version order, retracted ones gone."""
    retracted = {e.retracts for e in events if isinstance(e, LedgerAggregate.Retracted)}
    corrections = sorted(
        (e for e in events if isinstance(e, LedgerAggregate.Corrected)),
        key=lambda e: e.originator_version,
    )
    out = []
    for event in events:
        if isinstance(event, LedgerAggregate.Corrected | LedgerAggregate.Retracted):
            continue
        if event.originator_version in retracted:
            continue
        for c in corrections:
            if c.corrects == event.originator_version:
                event = dataclasses.replace(event, **c.values)
        out.append(event)
    return sorted(out, key=lambda e: (e.effective, e.originator_version))


def _replay(fold: Fold[Any], events: list[tuple[datetime, Any]], as_of: date, k: datetime) -> Any:
    """The state on as_of from the events recorded at or before k (None: nothing yet)."""
    facts = [f for f in _standing([e for at, e in events if at <= k]) if f.effective <= as_of]
    if not facts:
        return None
    state = fold.initial
    for fact in facts:
        state = fold.step(state, fact)
    return state


def _reference(
    events: dict[Any, list[tuple[datetime, Any]]], body: str, as_of: date, k: datetime
) -> dict[str, Any]:
    measures = {}
    for code in MEASURES:
        m = _replay(MEASURE, events.get(Measure.id_for(body, PROCESS_KEY, code), []), as_of, k)
        if m is not None:
            measures[code] = (m.status, m.progress, m.note, m.dropped)
    lines = {}
    for code in LINES:
        s = _replay(BUDGET_LINE, events.get(BudgetLine.id_for(body, YEAR, code), []), as_of, k)
        if s is not None:
            lines[code] = (
                format_amount(s.appropriation) if s.appropriation is not None else None,
                [(a.kind, format_amount(a.amount), a.resolution) for a in s.supplementary],
                format_amount(s.commitments),
                format_amount(s.payments),
                format_amount(s.available),
                format_amount(s.remaining),
            )
    process_id = CertificationProcess.id_for(body, PROGRAMME, CYCLE)
    p = _replay(PROCESS, events.get(process_id, []), as_of, k)
    status, certificate = certification_status([p] if p is not None else [], as_of)
    return {
        "measures": measures,
        "lines": lines,
        "status": status,
        "certificate": (
            (certificate.valid_from.isoformat(), _iso(certificate.valid_until))
            if certificate
            else None
        ),
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _answers(rm: ReadModel, body: str, as_of: date, k: datetime) -> dict[str, Any]:
    """The same facts, read from the read model's documents."""
    doc = agreement(rm, body, PROCESS_KEY, as_of=as_of, known_at=k, include_private=True)
    measures = {
        m["code"]: (m["status"], m["progress"], m["note"], m["dropped"])
        for f in doc["fields"]
        for g in f["goals"]
        for m in g["measures"]
    }
    assert "unplaced_measures" not in doc
    lines = {
        line["code"]: (
            line["appropriation"],
            [(a["kind"], a["amount"], a["resolution"]) for a in line["supplementary"]],
            line["commitments"],
            line["payments"],
            line["available"],
            line["remaining"],
        )
        for line in budget(rm, body, YEAR, as_of=as_of, known_at=k, include_private=True)["lines"]
    }
    cert = certification(rm, body, as_of=as_of, known_at=k)
    certificate = cert["certificate"]
    return {
        "measures": measures,
        "lines": lines,
        "status": cert["status"],
        "certificate": (
            (certificate["valid_from"], certificate["valid_until"]) if certificate else None
        ),
    }


# -- the property ---------------------------------------------------------------------------


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=histories,
    queries=points,
    batch_size=st.sampled_from([1, 2, 3, 7, 500]),
    fresh_projector=st.booleans(),
)
def test_incremental_rebuild_and_replay_agree(
    store_url: str,
    history: list[list[tuple[Any, ...]]],
    queries: list[tuple[date, int, bool]],
    batch_size: int,
    fresh_projector: bool,
) -> None:
    body = f"body-{next(_bodies)}"
    serial = itertools.count(1)
    app = LedgerApplication(env=application_env(store_url))
    projector = Projector(store_url, batch_size=batch_size)
    rm = ReadModel(store_url)
    recorder = open_recorder(store_url)
    try:
        first = _record(app, _setup(body))[0]
        batch_times: list[datetime] = []
        for ops_of_batch in history:
            positions = _record(app, [_command(app, body, op, serial) for op in ops_of_batch])
            if positions:
                batch_times.append(recorder.select_chained(positions[0], 1)[0].recorded_at)
            if fresh_projector:
                projector.close()
                projector = Projector(store_url, batch_size=batch_size)
            projector.catch_up()
        projector.catch_up()
        setup_time = recorder.select_chained(first, 1)[0].recorded_at
        times = [setup_time, *batch_times]

        events: dict[Any, list[tuple[datetime, Any]]] = {}
        for c in recorder.select_chained(first, 100_000):
            event = app.mapper.to_domain_event(
                StoredEvent(c.originator_id, c.originator_version, c.topic, c.state)
            )
            events.setdefault(c.originator_id, []).append((c.recorded_at, event))

        moments = []
        for as_of, index, just_before in queries:
            if index < 0:
                moment = setup_time - timedelta(microseconds=1)
            else:
                moment = times[min(index, len(times) - 1)]
                if just_before:
                    moment -= timedelta(microseconds=1)
            moments.append((as_of, moment))

        incremental = [_answers(rm, body, a, k) for a, k in moments]
        tables = rm.dump()
        with Projector(store_url, batch_size=500) as rebuilder:
            rebuilder.rebuild()
        rebuilt = [_answers(rm, body, a, k) for a, k in moments]
        expected = [_reference(events, body, a, k) for a, k in moments]

        for (a, k), inc, reb, exp in zip(moments, incremental, rebuilt, expected, strict=True):
            assert inc == exp, f"incremental, as_of {a}, known_at {k}"
            assert reb == exp, f"rebuild, as_of {a}, known_at {k}"
        assert rm.dump() == tables
    finally:
        recorder.close()
        rm.close()
        projector.close()
        app.close()


@pytest.mark.parametrize("unused", [None])
def test_reference_replay_applies_corrections_in_version_order(unused: None) -> None:
    """The reference itself: a later correction of the same event wins."""
    base = built(
        Measure.StatusUpdated,
        originator_id=Measure.id_for("b", "p/1", "M1"),
        originator_version=2,
        timestamp=datetime(2020, 1, 1),
        effective=date(2019, 1, 1),
        status="planned",
        progress=None,
        note="",
    )
    fix = [
        built(
            LedgerAggregate.Corrected,
            originator_id=base.originator_id,
            originator_version=v,
            timestamp=datetime(2020, 1, 1),
            effective=date(2019, 1, 1),
            corrects=2,
            values={"status": s},
            reason="r",
        )
        for v, s in ((3, "delayed"), (4, "completed"))
    ]
    (standing,) = _standing([base, *fix])
    assert standing.status == "completed"
