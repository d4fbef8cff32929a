"""Bitemporal rows: each record's valid-time timeline, versioned by transaction time.

A read model keeps, per record (entity), rows carrying a valid-time interval
[valid_from, valid_to) and a transaction-time interval [recorded_from, recorded_to);
NULL ends mean "open". The rows whose recorded_to is NULL are the record's timeline as
known now: the fold of its facts as they now stand (corrections applied, retractions
removed), one row per distinct state, contiguous in valid time, the last one open.

When a new event of a record is recorded at time t, its timeline is recomputed and
diffed against the open rows: rows that no longer hold are closed (recorded_to = t) and
the new ones are inserted (recorded_from = t). A query at (as_of, known_at) therefore
picks, per record, the row with the greatest valid_from <= as_of among the rows known at
known_at (recorded_from <= known_at < recorded_to): one index seek on
(entity, valid_from), whatever the length of the history.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

from ledger.domain.base import Fold, LedgerAggregate, current_facts

S = TypeVar("S")

#: Row ids: BIGINT on PostgreSQL, INTEGER PRIMARY KEY (the rowid) on SQLite.
ROW_ID = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True, eq=False)
class VersionedModel(Generic[S]):
    """A bitemporal read model of one record type: its fold, its state columns, its rows."""

    name: str
    aggregate: type[LedgerAggregate]
    fold: Fold[S]
    #: Fresh state columns (each generation's table gets its own Column objects).
    columns: Callable[[], list[Column[Any]]]
    #: The column values of a state.
    row: Callable[[S], dict[str, Any]]
    #: (body, scope, key) of a record from the event that created it.
    locate: Callable[[Any], tuple[str, str, str]]
    #: Event types whose fold step commutes with every other step (a sum: a payment, a
    #: commitment): a backdated one is applied to each later version as it stands,
    #: instead of folding all the record's facts again (see `advance`).
    commuting: tuple[type, ...] = ()

    def table(self, metadata: MetaData, prefix: str) -> Table:
        """This model's table in one generation of the read model."""
        name = prefix + self.name
        return Table(
            name,
            metadata,
            Column("id", ROW_ID, primary_key=True, autoincrement=True),
            Column("entity", String(32), nullable=False),
            Column("valid_from", Date, nullable=False),
            Column("valid_to", Date),
            Column("recorded_from", DateTime, nullable=False),
            Column("recorded_to", DateTime),
            *self.columns(),
            Index(f"{name}_entity_valid", "entity", "valid_from"),
        )


@dataclass(slots=True)
class Version:
    """One entry of a record's timeline as known now: from valid_from on, this state."""

    valid_from: date
    state: Any
    recorded_from: datetime
    #: The state's column values as the table's INSERT takes them, once computed.
    values: tuple[Any, ...] | None = None


@dataclass(slots=True, eq=False)
class Entity:
    """A record as the projector keeps it: its facts and its timeline as known now.

    Between batches the projector keeps records *compact* (`complete` false): no facts
    and only the last two versions of the timeline, which is all that an event coming
    last in valid time needs (see `advance`). Any other event needs the whole history
    (`needs_history`), which the projector first restores from its tables.
    """

    id: str
    model: VersionedModel[Any]
    body: str
    scope: str
    key: str
    facts: dict[int, Any]
    timeline: list[Version]
    state: Any
    last_effective: date | None
    #: Whether `facts` and `timeline` are whole (false once compacted).
    complete: bool = True
    #: Whether compacting dropped versions from the start of `timeline` (until restored).
    dropped: bool = False

    @classmethod
    def new(cls, entity_id: str, model: VersionedModel[Any], created: Any) -> Entity:
        """A record with no facts yet, located by the event that creates it."""
        body, scope, key = model.locate(created)
        return cls(entity_id, model, body, scope, key, {}, [], model.fold.initial, None)

    @property
    def trail_key(self) -> str:
        """The record's natural key within its body, as the audit trail shows it."""
        return f"{self.scope}/{self.key}" if self.scope and self.scope != self.key else self.key


#: A row of the timeline: (valid_from, valid_to, the version it shows).
Row = tuple[date, date | None, Version]


@dataclass(slots=True)
class Change:
    """What one event does to a record's open rows."""

    #: (valid_from, recorded_from) of the open rows that no longer hold.
    closed: list[tuple[date, datetime]]
    #: The new open rows.
    opened: list[Row]


def rows_from(timeline: Sequence[Version], start: int) -> list[Row]:
    """The rows of timeline[start:]."""
    out = []
    last = len(timeline) - 1
    for i in range(start, len(timeline)):
        v = timeline[i]
        out.append((v.valid_from, timeline[i + 1].valid_from if i < last else None, v))
    return out


def is_fix(fact: Any) -> bool:
    """Whether an event corrects or retracts an earlier one."""
    return isinstance(fact, LedgerAggregate.Corrected | LedgerAggregate.Retracted)


def needs_history(entity: Entity, fact: Any) -> bool:
    """Whether applying `fact` needs facts or versions a compact record no longer holds.

    True for a correction or retraction; a backdated event, unless it commutes and the
    versions it changes are kept (see `insertable`); and an event on the date of the only
    version kept when older ones were dropped (it may fold back into an earlier state).
    """
    if entity.complete:
        return False
    if is_fix(fact):
        return True
    last_effective = entity.last_effective
    if last_effective is not None and fact.effective < last_effective:
        return not insertable(entity, fact)
    timeline = entity.timeline
    return (
        entity.dropped
        and len(timeline) < 2
        and bool(timeline)
        and timeline[-1].valid_from == fact.effective
    )


def insertable(entity: Entity, fact: Any) -> bool:
    """Whether a backdated `fact` can be applied to the versions the record holds: it
    commutes, and a version before its date is kept (or none was ever dropped)."""
    timeline = entity.timeline
    day: date = fact.effective
    return (
        isinstance(fact, entity.model.commuting)
        and bool(timeline)
        and (not entity.dropped or timeline[0].valid_from < day)
    )


def compact(entity: Entity) -> None:
    """Drops what only a backdated event or a fix would need: facts and older versions.

    The column values go too (they are half of what a compact record would hold, and
    computing them again costs less than a fold step).
    """
    entity.facts = {}
    timeline = entity.timeline
    if len(timeline) > 2:
        del timeline[:-2]
        entity.dropped = True
    for version in timeline:
        version.values = None
    entity.complete = False


def advance(entity: Entity, fact: Any, recorded_at: datetime) -> Change:
    """Adds a fact to a record and returns how its open rows change.

    The fast path (a plain event effective on or after every standing fact: it comes
    last in valid time) steps the fold once and only the end of the timeline changes.
    A backdated event that commutes is applied to the versions from its date on (their
    number is bounded by the record's distinct dates, not by its events). Any other
    event (backdated, a correction, a retraction) recomputes the timeline from the
    record's facts and diffs it against the open rows; a compact record must be made
    whole first (see `needs_history`).
    """
    if not entity.complete and needs_history(entity, fact):
        raise ValueError(f"record {entity.id} is compact; restore its history first")
    entity.facts[fact.originator_version] = fact
    if not is_fix(fact):
        if entity.last_effective is None or fact.effective >= entity.last_effective:
            return _append(entity, fact, recorded_at)
        if insertable(entity, fact):
            return _insert(entity, fact, recorded_at)
    fold = entity.model.fold
    old = rows_from(entity.timeline, 0)
    facts = current_facts(entity.facts.values())
    entity.timeline = [Version(d, s, recorded_at) for d, s in fold.timeline(facts)]
    entity.state = entity.timeline[-1].state if entity.timeline else fold.initial
    entity.last_effective = max((f.effective for f in facts), default=None)
    return _rebase(entity.timeline, old, recorded_at)


def _append(entity: Entity, fact: Any, at: datetime) -> Change:
    """One step of Fold.timeline at the end of the timeline, with its effect on the rows."""
    state = entity.model.fold.step(entity.state, fact)
    entity.state = state
    day = fact.effective
    entity.last_effective = day
    timeline = entity.timeline
    if not timeline:
        version = Version(day, state, at)
        timeline.append(version)
        return Change([], [(day, None, version)])
    last = timeline[-1]
    if last.state == state:
        return Change([], [])  # nothing the rows show changed
    if last.valid_from == day:
        # Another fact on the last row's date: that row is replaced ...
        timeline.pop()
        closed = [(last.valid_from, last.recorded_from)]
        if timeline and timeline[-1].state == state:
            # ... and the state is back to the previous row's, which now runs open.
            previous = timeline[-1]
            closed.append((previous.valid_from, previous.recorded_from))
            previous.recorded_from = at
            return Change(closed, [(previous.valid_from, None, previous)])
        version = Version(day, state, at)
        timeline.append(version)
        return Change(closed, [(day, None, version)])
    # A later date: the open last row ends at `day`, a new one starts.
    closed = [(last.valid_from, last.recorded_from)]
    last.recorded_from = at
    version = Version(day, state, at)
    timeline.append(version)
    return Change(closed, [(last.valid_from, day, last), (day, None, version)])


def _insert(entity: Entity, fact: Any, at: datetime) -> Change:
    """A backdated fact that commutes with every step (see `VersionedModel.commuting`).

    The versions before its date stand; the state at its date and at every later version
    is the old one stepped by the fact (folding it among the others, in any order, gives
    the same). As in Fold.timeline, the first version always stands and a version equal
    to the one before it is dropped. Unchanged rows keep their times (see `_rebase`).
    """
    step = entity.model.fold.step
    timeline = entity.timeline
    day = fact.effective
    i = bisect_left(timeline, day, key=lambda v: v.valid_from)
    start = max(i - 1, 0)
    old = rows_from(timeline, start)
    stepped = [Version(v.valid_from, step(v.state, fact), at) for v in timeline[i:]]
    if i == len(timeline) or timeline[i].valid_from != day:
        before = timeline[i - 1].state if i > 0 else entity.model.fold.initial
        stepped.insert(0, Version(day, step(before, fact), at))
    # The version before the fact's date, if any, stands; a copy, since its row ends
    # at the fact's date now if a version is inserted there (`_rebase` keeps the time
    # of a row that did not change).
    tail = [Version(v.valid_from, v.state, at, v.values) for v in timeline[start:i]]
    for version in stepped:
        if not tail or tail[-1].state != version.state:
            tail.append(version)
    del timeline[start:]
    timeline.extend(tail)
    entity.state = timeline[-1].state
    return _rebase(tail, old, at)


def replay(entity: Entity, facts: dict[int, Any], open_rows: dict[date, datetime]) -> bool:
    """Restores a record from its stored facts and the recorded_from of its open rows.

    Returns False when the open rows are not the timeline of the facts (a damaged read model).
    """
    entity.facts = dict(facts)
    fold = entity.model.fold
    standing = current_facts(entity.facts.values())
    timeline = fold.timeline(standing)
    if {d for d, _ in timeline} != set(open_rows):
        return False
    entity.timeline = [Version(d, s, open_rows[d]) for d, s in timeline]
    entity.state = entity.timeline[-1].state if entity.timeline else fold.initial
    entity.last_effective = max((f.effective for f in standing), default=None)
    entity.complete = True
    entity.dropped = False
    return True


def _rebase(timeline: list[Version], old: list[Row], recorded_at: datetime) -> Change:
    """Diffs the new timeline against the old rows; unchanged rows keep their times."""
    before = {(r[0], r[1]): r[2] for r in old}
    kept: set[tuple[date, date | None]] = set()
    opened: list[Row] = []
    for row in rows_from(timeline, 0):
        key = (row[0], row[1])
        previous = before.get(key)
        version = row[2]
        if previous is not None and previous.state == version.state:
            kept.add(key)
            version.recorded_from = previous.recorded_from
            version.values = previous.values
        else:
            opened.append(row)
    closed = [(r[0], r[2].recorded_from) for r in old if (r[0], r[1]) not in kept]
    return Change(closed, opened)
