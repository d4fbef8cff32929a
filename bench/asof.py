"""As-of queries: the read model's latency vs a naive replay of the process's events.

Three queries on the first body (the same body at every size, so sizes compare): the target
agreement of its first process, the budget overview of one fiscal year, and the
certification status, each at dates drawn (by seed) from the history, known now.

The naive replay is what answering without a read model takes: page through the ledger's
notifications from position 0, keep the events of the records of that process (found by
decoding the creating events, which carry body and key), decode them and fold them with the
domain folds (`current_facts`, `state_at`, `certification_status`). Its cost grows with
the store; the read model's should not.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from bench.generator import Manifest

PAGE = 1000


@dataclass
class Latencies:
    """Latencies of one query kind (ms) and of its naive replay (ms)."""

    name: str
    query_ms: list[float] = field(default_factory=list)
    query_cpu_ms: list[float] = field(default_factory=list)
    naive_ms: list[float] = field(default_factory=list)
    detail: str = ""

    @property
    def cpu_p50(self) -> float:
        """Median CPU time of the bench process per query (unaffected by other processes)."""
        return statistics.median(self.query_cpu_ms) if self.query_cpu_ms else 0.0

    @property
    def cpu_p95(self) -> float:
        """95th percentile of the CPU time per query."""
        return percentile(self.query_cpu_ms, 95)

    @property
    def p50(self) -> float:
        """Median query latency."""
        return statistics.median(self.query_ms) if self.query_ms else 0.0

    @property
    def p95(self) -> float:
        """95th percentile of the query latency."""
        return percentile(self.query_ms, 95)

    @property
    def naive(self) -> float:
        """Median naive replay latency."""
        return statistics.median(self.naive_ms) if self.naive_ms else 0.0

    @property
    def speedup(self) -> float:
        """Naive replay median / query median."""
        return self.naive / self.p50 if self.p50 else 0.0


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def available() -> str | None:
    """None if the read model's queries can be imported, else why not."""
    try:
        from projections import queries

        for name in ("ReadModel", "agreement", "budget", "certification"):
            if not hasattr(queries, name):
                return f"projections.queries has no {name} yet"
    except ImportError as exc:
        return f"the read model's queries have not landed yet ({exc})"
    return None


@dataclass(frozen=True)
class Subject:
    """What the three queries ask about."""

    body: str
    process: str
    process_from: date
    process_until: date
    year: int


def subject(manifest: Manifest, last_day: date) -> Subject:
    """The first body, its first process and a fiscal year inside that process."""
    body = manifest.bodies[0]
    process, start, until = manifest.processes[body][0]
    until = min(until, last_day)
    year = min(start.year + 1, until.year)
    return Subject(body, process, start, until, year)


def days(rng: random.Random, start: date, end: date, n: int) -> list[date]:
    """n random days in [start, end]."""
    span = max(0, (end - start).days)
    return [start + timedelta(days=rng.randint(0, span)) for _ in range(n)]


# -- naive replay ----------------------------------------------------------------------------


def _scan(
    app: Any, wanted: Callable[[Any], bool], created_topics: set[str]
) -> dict[UUID, list[Any]]:
    """One pass over all notifications: the decoded events of the records `wanted` picks."""
    ids: set[UUID] = set()
    events: dict[UUID, list[Any]] = {}
    mapper = app.mapper
    start = 1
    while True:
        page = app.recorder.select_notifications(start, PAGE)
        if not page:
            break
        for n in page:
            oid = (
                n.originator_id if isinstance(n.originator_id, UUID) else UUID(str(n.originator_id))
            )
            if n.topic in created_topics and oid not in ids:
                event = mapper.to_domain_event(n)
                if wanted(event):
                    ids.add(oid)
                    events[oid] = [event]
                continue
            if oid in ids:
                events[oid].append(mapper.to_domain_event(n))
        start = page[-1].id + 1
    return events


def naive_agreement(app: Any, s: Subject, as_of: date) -> dict[str, Any]:
    """The agreement by replay: agreement, measures and findings of the process, folded."""
    from eventsourcing.utils import get_topic

    from ledger.domain.agreement import AGREEMENT, TargetAgreement
    from ledger.domain.base import current_facts
    from ledger.domain.finding import FINDING, Finding
    from ledger.domain.measure import MEASURE, Measure

    created = {
        get_topic(TargetAgreement.Opened),
        get_topic(Measure.Added),
        get_topic(Finding.Recorded),
    }
    events = _scan(
        app, lambda e: e.body == s.body and getattr(e, "process", None) == s.process, created
    )
    agreement = None
    measures: list[Any] = []
    found: list[Any] = []
    for stream in events.values():
        first = stream[0]
        if isinstance(first, TargetAgreement.Opened):
            agreement = AGREEMENT.state_at(current_facts(stream), as_of)
        elif isinstance(first, Measure.Added):
            measure = MEASURE.state_at(current_facts(stream), as_of)
            if measure.added_on is not None:
                measures.append(measure)
        else:
            finding = FINDING.state_at(current_facts(stream), as_of)
            if finding.recorded_on is not None:
                found.append(finding)
    fields = []
    if agreement is not None:
        for code, name in agreement.fields:
            goals = []
            for goal in agreement.goals:
                if goal.field != code:
                    continue
                goals.append(
                    {
                        "code": goal.code,
                        "title": goal.title,
                        "dropped": goal.dropped,
                        "measures": [
                            {"code": m.code, "status": m.status, "progress": m.progress}
                            for m in measures
                            if m.goal == goal.code
                        ],
                        "findings": [f.number for f in found if f.subject == f"goal:{goal.code}"],
                    }
                )
            fields.append({"code": code, "name": name, "goals": goals})
    return {"fields": fields}


def naive_budget(app: Any, s: Subject, as_of: date) -> dict[str, Any]:
    """The budget overview by replay: the lines of the body's year, folded."""
    from eventsourcing.utils import get_topic

    from ledger.domain.base import current_facts
    from ledger.domain.budget_line import BUDGET_LINE, BudgetLine

    events = _scan(
        app,
        lambda e: e.body == s.body and e.year == s.year,
        {get_topic(BudgetLine.Opened)},
    )
    lines = []
    for stream in events.values():
        state = BUDGET_LINE.state_at(current_facts(stream), as_of)
        lines.append(
            {"code": state.code, "available": str(state.available), "paid": str(state.payments)}
        )
    return {"lines": sorted(lines, key=lambda line: line["code"])}


def naive_certification(app: Any, s: Subject, as_of: date) -> dict[str, Any]:
    """The certification status by replay: the body's processes, folded."""
    from eventsourcing.utils import get_topic

    from ledger.domain.base import current_facts
    from ledger.domain.certification import PROCESS, CertificationProcess, certification_status

    events = _scan(app, lambda e: e.body == s.body, {get_topic(CertificationProcess.Started)})
    states = [PROCESS.state_at(current_facts(stream), as_of) for stream in events.values()]
    status, certificate = certification_status([p for p in states if p.started_on], as_of)
    return {"status": status, "certificate": certificate}


# -- measuring -------------------------------------------------------------------------------


def timed(call: Callable[[], Any]) -> tuple[float, float]:
    """(wall milliseconds, CPU milliseconds of this process) of one call."""
    began, cpu = time.perf_counter(), time.process_time()
    call()
    return (time.perf_counter() - began) * 1000, (time.process_time() - cpu) * 1000


def measure_asof(
    url: str,
    app: Any,
    manifest: Manifest,
    last_day: date,
    *,
    queries: int,
    naive_repeats: int,
    seed: int,
) -> list[Latencies]:
    """The three as-of queries `queries` times each, and their naive replays."""
    from projections import queries as q

    s = subject(manifest, last_day)
    rng = random.Random(seed)
    rm = q.ReadModel(url)
    kinds: list[tuple[str, Callable[[date], Any], Callable[[date], Any], date, date, str]] = [
        (
            "agreement",
            lambda d: q.agreement(rm, s.body, s.process, as_of=d),
            lambda d: naive_agreement(app, s, d),
            s.process_from,
            s.process_until,
            f"target agreement of {s.body} {s.process}",
        ),
        (
            "budget",
            lambda d: q.budget(rm, s.body, s.year, as_of=d),
            lambda d: naive_budget(app, s, d),
            date(s.year, 1, 1),
            date(s.year, 12, 31),
            f"budget overview of {s.body} {s.year}",
        ),
        (
            "certification",
            lambda d: q.certification(rm, s.body, as_of=d),
            lambda d: naive_certification(app, s, d),
            manifest_first_day(manifest, s.body),
            last_day,
            f"certification status of {s.body}",
        ),
    ]
    results = [Latencies(name, detail=detail) for name, *_, detail in kinds]
    dates = [days(rng, start, end, queries + 10) for _, _, _, start, end, _ in kinds]
    rounds = 4
    try:
        for (_, query, *_), some in zip(kinds, dates, strict=True):
            for d in some[:10]:  # warm-up: connections, caches, imports
                query(d)
        # The kinds take turns in rounds, so a burst of load on the shared machine falls on
        # all of them rather than on one.
        for r in range(rounds):
            for (_, query, *_), some, result in zip(kinds, dates, results, strict=True):
                for d in some[10:][r::rounds]:
                    ms, cpu = timed(partial(query, d))
                    result.query_ms.append(ms)
                    result.query_cpu_ms.append(cpu)
        for (_, _, naive, *_), some, result in zip(kinds, dates, results, strict=True):
            for d in some[:naive_repeats]:
                ms, _ = timed(partial(naive, d))
                result.naive_ms.append(ms)
    finally:
        rm.close()
    return results


def manifest_first_day(manifest: Manifest, body: str) -> date:
    """The first day of the body's first process (earlier, nothing is certified)."""
    processes = manifest.processes.get(body) or []
    return processes[0][1] - timedelta(days=180) if processes else date(2014, 1, 1)
