"""The records a projector keeps in memory, and what folding a batch of events writes.

`Records` folds events into their records' timelines and returns the row changes as
`BatchWrites`, without writing anything: the projector writes them in its transaction.
One projector folds a whole batch itself, or splits it by record with a worker process
(`projections.engine.worker`) that keeps the other records; records never share events, so
the two parts of a batch are independent.

Records are kept compact between batches (their last state and the last two versions of
their timeline), so that a new event coming last in valid time costs one fold step. A
backdated event, a correction or a retraction needs the record's whole history: its
facts are read back from the ledger (the ones this batch decoded are still in memory)
and its open rows from its table (plus this batch's changes); a batch reads those of the
records it will restore together, before folding (`Records._read_histories`). The kept
records are only trusted while the position they reflect is the one the batch starts
from: otherwise (another process projected, a transaction failed) they are dropped and
restored from the tables.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from sqlalchemy import Connection, select

from ledger.store import ChainedEvent
from projections.engine.bitemporal import (
    Change,
    Entity,
    Version,
    VersionedModel,
    advance,
    compact,
    insertable,
    is_fix,
    needs_history,
    replay,
)
from projections.engine.bulk import VersionRows, time_converters, version_rows
from projections.engine.decoding import ledger_mapper
from projections.engine.errors import ProjectionError
from projections.engine.schema import Catalog, Schema
from projections.engine.store import ledger_tables

#: How many records are kept in memory between batches (compact: ~2 KB each).
CACHE_RECORDS = 150_000
#: At most this many records' histories are read back in one statement.
HISTORY_CHUNK = 500
#: Before any effective date.
DAY_ONE = date.min


#: What a batch did to one record's open rows, net: valid_from -> the recorded_from of
#: the row now open there, or None (closed). Kept instead of every Change: a backdated
#: event changes many rows, and a record may take thousands of them in one batch.
_RowDelta = dict[date, datetime | None]
#: A row a batch opened and has not closed: (valid_to, recorded_from, version).
_Opened = tuple[date | None, datetime, Version]
#: A row a batch opened and closed: (entity, valid_from, valid_to, recorded_from,
#: recorded_to, version).
_Closed = tuple[str, date, date | None, datetime, datetime, Version]


@dataclass
class TableWrites:
    """One table's row changes from one batch: rows to delete, rows to close, new rows."""

    #: Open rows to delete: (entity, valid_from).
    deletes: list[tuple[str, date]] = field(default_factory=list)
    #: Open rows to close: (entity, valid_from, recorded_to).
    closes: list[tuple[str, date, datetime]] = field(default_factory=list)
    #: New rows as the table's bulk INSERT takes them (every column but the row id).
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def extend(self, other: TableWrites) -> None:
        """Adds another part's changes of the same table (other records)."""
        self.deletes.extend(other.deletes)
        self.closes.extend(other.closes)
        self.rows.extend(other.rows)


@dataclass
class BatchWrites:
    """Everything one batch (or one part of it) writes to the read model."""

    #: Per model name, its table's row changes.
    tables: dict[str, TableWrites] = field(default_factory=dict)
    #: New records for the directory: (entity, model, body, scope, key, position).
    entities: list[tuple[Any, ...]] = field(default_factory=list)
    #: The audit trail's rows: (position, entity, version, recorded_at, effective, body,
    #: record, key, type), converted for the driver.
    events: list[tuple[Any, ...]] = field(default_factory=list)

    def extend(self, other: BatchWrites) -> None:
        """Adds another part of the same batch."""
        for name, writes in other.tables.items():
            mine = self.tables.get(name)
            if mine is None:
                self.tables[name] = writes
            else:
                mine.extend(writes)
        self.entities.extend(other.entities)
        self.events.extend(other.events)


@dataclass
class _Pending:
    """The row changes of one model in one batch, collected event by event.

    A row's column values are computed when the batch's writes are taken, and only for
    the rows written: a row opened and closed within one transaction never is (a
    backdated event may reopen every later row of its record).
    """

    model: VersionedModel[Any]
    rows: VersionRows
    opened: dict[tuple[str, date], _Opened] = field(default_factory=dict)
    closed: list[_Closed] = field(default_factory=list)
    updates: list[tuple[str, date, datetime]] = field(default_factory=list)
    deletes: list[tuple[str, date]] = field(default_factory=list)

    def record(self, entity: str, change: Change, at: datetime) -> None:
        """Adds one event's change of a record's open rows.

        A row opened and closed at the same transaction time was never visible and is
        not written at all (or deleted, if an earlier batch wrote it).
        """
        for valid_from, recorded_from in change.closed:
            pending = self.opened.pop((entity, valid_from), None)
            if pending is not None:
                valid_to, opened_at, version = pending
                if opened_at != at:
                    self.closed.append((entity, valid_from, valid_to, opened_at, at, version))
            elif recorded_from == at:
                self.deletes.append((entity, valid_from))
            else:
                self.updates.append((entity, valid_from, at))
        for valid_from, valid_to, version in change.opened:
            self.opened[(entity, valid_from)] = (valid_to, at, version)

    def _values(self, version: Version) -> tuple[Any, ...]:
        """A version's state columns, converted (once: versions keep them)."""
        values = version.values
        if values is None:
            values = version.values = self.rows.state(self.model.row(version.state))
        return values

    def writes(self) -> TableWrites:
        """The changes as the table takes them: closed and new rows converted."""
        day, moment, values = self.rows.date, self.rows.time, self._values
        rows = [
            (e, day(vf), day(vt), moment(rf), moment(rt), *values(v))
            for e, vf, vt, rf, rt, v in self.closed
        ]
        rows.extend(
            (e, day(vf), day(vt), moment(rf), None, *values(v))
            for (e, vf), (vt, rf, v) in self.opened.items()
        )
        return TableWrites(self.deletes, self.updates, rows)


@dataclass
class _History:
    """What restoring one record reads back, up to the start of a batch."""

    #: (version, topic, stored state) of its events in the ledger, by version.
    stored: list[tuple[int, str, bytes]] = field(default_factory=list)
    #: valid_from -> recorded_from of its open rows in its table.
    open_rows: dict[date, datetime] = field(default_factory=dict)


def naive_utc(moment: datetime) -> datetime:
    """A moment as the read-model tables store it: UTC without a time zone."""
    return moment.astimezone(UTC).replace(tzinfo=None)


class Records:
    """The records one process keeps, and the fold of a batch's events into them (the
    read models of `catalog`)."""

    def __init__(
        self, catalog: Catalog, *, cache_records: int = CACHE_RECORDS, overlapped: bool = False
    ) -> None:
        self.catalog = catalog
        self.cache_records = cache_records
        #: Whether a batch may be folded before the previous one is committed (the
        #: worker's case): restores then apply the previous batch's changes of a record
        #: too. Applying them to tables that already hold them changes nothing.
        self.overlapped = overlapped
        self.mapper = ledger_mapper()
        self._entities: OrderedDict[str, Entity] = OrderedDict()
        #: (generation, position) the kept records reflect, or None.
        self._key: tuple[int, int] | None = None
        #: Per record, the row changes of the last batch folded (see `overlapped`).
        self._previous: dict[str, _RowDelta] = {}
        #: The position the batch being folded starts from.
        self._start = 0
        #: Per record this batch will probably restore: its history, read up front.
        self._histories: dict[str, _History] = {}

    def forget(self) -> None:
        """Drops every kept record (they are restored from the tables when needed)."""
        self._entities.clear()
        self._previous = {}
        self._key = None

    def decode(self, chained: ChainedEvent) -> Any:
        """The domain event of a stored event."""
        try:
            return self.mapper.to_domain_event(
                StoredEvent(
                    originator_id=chained.originator_id,
                    originator_version=chained.originator_version,
                    topic=chained.topic,
                    state=chained.state,
                )
            )
        except Exception as exc:
            raise ProjectionError(
                f"position {chained.position}: cannot decode event {chained.topic}: {exc}"
            ) from exc

    def fold(
        self,
        conn: Connection,
        generation: int,
        position: int,
        last: int,
        chained: Sequence[ChainedEvent],
        decoded: Sequence[Any],
    ) -> BatchWrites:
        """Folds events after `position` (a batch ending at `last`, or this process's part
        of it) into their records; returns what to write. `conn` reads the tables as of
        `position` (`overlapped`: possibly still without the previous batch). The kept
        records then reflect `last`, until `forget` (call it when the batch is not
        committed)."""
        if self._key != (generation, position):
            self.forget()
        self._key = None  # until the fold is through
        tables = self.catalog.schema(generation)
        model_of = self.catalog.model_of
        day, moment = time_converters(conn.dialect)
        pending: dict[str, _Pending] = {}
        out = BatchWrites()
        #: Per record touched in this batch: its row changes so far.
        touched: dict[str, _RowDelta] = {}
        recorded_at: datetime | None = None
        at = stamp = None
        self._start = position
        self._histories = self._read_histories(conn, tables, position, chained, decoded)
        for c, event in zip(chained, decoded, strict=True):
            if c.recorded_at != recorded_at:  # a transaction's events share one time
                recorded_at = c.recorded_at
                at = naive_utc(recorded_at)
                stamp = moment(at)
            assert at is not None
            entity_id = c.originator_id.hex
            topic = c.topic
            model = model_of(topic)
            type_name = topic.partition(":")[2] or topic
            body: str | None = getattr(event, "body", None)
            key: str | None = None
            if model is not None:
                entity = self._entity(conn, tables, entity_id, model, event, c.position)
                if c.originator_version == 1:
                    out.entities.append(
                        (entity_id, model.name, entity.body, entity.scope, entity.key, c.position)
                    )
                delta = touched.setdefault(entity_id, {})
                if not entity.complete and needs_history(entity, event):
                    self._make_whole(
                        conn, tables, entity, delta, c.originator_version - 1, c.position
                    )
                change = advance(entity, event, at)
                for valid_from, _ in change.closed:
                    delta[valid_from] = None
                for valid_from, _, _ in change.opened:
                    delta[valid_from] = at
                written = pending.get(model.name)
                if written is None:
                    table = tables.table(model)
                    written = pending[model.name] = _Pending(
                        model, version_rows(conn.dialect, table)
                    )
                written.record(entity_id, change, at)
                body, key = entity.body, entity.trail_key
            out.events.append(
                (
                    c.position,
                    entity_id,
                    c.originator_version,
                    stamp,
                    day(getattr(event, "effective", None)),
                    body,
                    type_name.partition(".")[0],
                    key,
                    type_name,
                )
            )
        self._histories = {}
        out.tables = {name: rows.writes() for name, rows in pending.items()}
        entities = self._entities
        for entity_id in touched:
            compact(entities[entity_id])
        # The batch's records stay (they are the newest): the next batch may need them
        # before this one is committed.
        while len(entities) > self.cache_records and next(iter(entities)) not in touched:
            entities.popitem(last=False)
        if self.overlapped:
            self._previous = touched
        self._key = (generation, last)
        return out

    def _entity(
        self,
        conn: Connection,
        tables: Schema,
        entity_id: str,
        model: VersionedModel[Any],
        event: Any,
        position: int,
    ) -> Entity:
        """The record an event belongs to: from memory, new, or restored from the tables."""
        entity = self._entities.get(entity_id)
        if entity is not None:
            self._entities.move_to_end(entity_id)
            return entity
        if event.originator_version == 1:
            entity = Entity.new(entity_id, model, event)
        else:
            entity = self._restore(conn, tables, entity_id, model, event, position)
        self._entities[entity_id] = entity
        return entity

    def _restore(
        self,
        conn: Connection,
        tables: Schema,
        entity_id: str,
        model: VersionedModel[Any],
        event: Any,
        position: int,
    ) -> Entity:
        """A record not in memory, whole, from the ledger and the tables (this batch has not
        changed it yet: it would be in memory)."""
        e = tables.entities
        found = conn.execute(
            select(e.c.body, e.c.scope, e.c.key).where(e.c.entity == entity_id)
        ).first()
        if found is None:
            raise ProjectionError(
                f"position {position}: event of record {entity_id} whose creation was never "
                "projected"
            )
        entity = Entity(
            entity_id, model, found[0], found[1], found[2], {}, [], model.fold.initial, None
        )
        self._make_whole(conn, tables, entity, {}, event.originator_version - 1, position)
        return entity

    def _make_whole(
        self,
        conn: Connection,
        tables: Schema,
        entity: Entity,
        delta: _RowDelta,
        before: int,
        position: int,
    ) -> None:
        """Restores a record's facts and timeline from the ledger, its table and this batch.

        Its facts are its events in the ledger up to version `before` (the ones this batch
        already decoded are taken from `entity.facts`); its open rows are those earlier
        batches wrote to its table, with `delta` (this batch's changes of them) applied,
        after the previous batch's if that one may not be committed yet (`overlapped`).
        """
        entity_id, model = entity.id, entity.model
        known = entity.facts
        to_domain_event = self.mapper.to_domain_event
        facts: dict[int, Any] = {}
        history = self._histories.pop(entity_id, None)
        if history is None:  # not read up front: read now, likewise up to the batch's start
            history = self._histories_of(conn, tables, {entity_id: model}, self._start)[entity_id]
        originator_id = UUID(entity_id)
        for version, topic, state in history.stored:
            if version <= before:
                fact = known.get(version)
                facts[version] = (
                    fact
                    if fact is not None
                    else to_domain_event(StoredEvent(originator_id, version, topic, state))
                )
        # The rest are this batch's, which `advance` added to the record's facts.
        for version, fact in known.items():
            if version <= before:
                facts.setdefault(version, fact)
        open_rows = dict(history.open_rows)
        deltas = [self._previous.get(entity_id, {}), delta] if self.overlapped else [delta]
        for changed in deltas:
            for valid_from, at in changed.items():
                if at is None:
                    open_rows.pop(valid_from, None)
                else:
                    open_rows[valid_from] = at
        if len(facts) != before or not replay(entity, facts, open_rows):
            raise ProjectionError(
                f"position {position}: the rows of record {entity_id} ({model.name}) do not "
                "match its facts; run `ledger rebuild`"
            )

    def _likely_restored(
        self, chained: Sequence[ChainedEvent], decoded: Sequence[Any]
    ) -> dict[str, VersionedModel[Any]]:
        """The records this batch will restore, as far as can be told before folding it:
        kept ones (compact) with a backdated event or a fix, and ones not kept at all.

        A record missed here (an event on the date of its only kept version, after other
        events of the batch) has its history read when it is restored.
        """
        wanted: dict[str, VersionedModel[Any]] = {}
        #: Per record not (yet) wanted: the latest effective date so far, or None when
        #: the record is whole this batch (created here).
        latest: dict[str, date | None] = {}
        #: The compact records kept, by id (a backdated event may fit the versions kept).
        kept: dict[str, Entity] = {}
        model_of = self.catalog.model_of
        for c, event in zip(chained, decoded, strict=True):
            model = model_of(c.topic)
            if model is None:
                continue
            entity_id = c.originator_id.hex
            if entity_id in wanted:
                continue
            if entity_id not in latest:
                entity = self._entities.get(entity_id)
                if entity is None:
                    if c.originator_version > 1:
                        wanted[entity_id] = model
                    else:
                        latest[entity_id] = None
                    continue
                if entity.complete:
                    latest[entity_id] = None
                elif needs_history(entity, event):
                    wanted[entity_id] = model
                else:
                    kept[entity_id] = entity
                    latest[entity_id] = max(event.effective, entity.last_effective or DAY_ONE)
                continue
            seen = latest[entity_id]
            if seen is None:
                continue
            if is_fix(event) or (event.effective < seen and not insertable(kept[entity_id], event)):
                wanted[entity_id] = model
                del latest[entity_id]
            else:
                latest[entity_id] = max(seen, event.effective)
        return wanted

    def _read_histories(
        self,
        conn: Connection,
        tables: Schema,
        position: int,
        chained: Sequence[ChainedEvent],
        decoded: Sequence[Any],
    ) -> dict[str, _History]:
        """The histories of the records this batch will restore, read together before it
        is folded: a few statements per batch instead of two per restore (decoding waits
        until a restore needs it)."""
        wanted = self._likely_restored(chained, decoded)
        return self._histories_of(conn, tables, wanted, position) if wanted else {}

    def _histories_of(
        self,
        conn: Connection,
        tables: Schema,
        wanted: dict[str, VersionedModel[Any]],
        position: int,
    ) -> dict[str, _History]:
        """Per record, its events in the ledger up to `position` (by version) and its open
        rows, in `conn`'s snapshot, 500 records a statement."""
        histories = {entity_id: _History() for entity_id in wanted}
        stored = ledger_tables(conn.dialect.name)[0]
        sqlite = conn.dialect.name == "sqlite"
        ids = list(wanted)
        for i in range(0, len(ids), HISTORY_CHUNK):
            chunk = ids[i : i + HISTORY_CHUNK]
            rows = conn.execute(
                select(
                    stored.c.originator_id,
                    stored.c.originator_version,
                    stored.c.topic,
                    stored.c.state,
                ).where(
                    stored.c.originator_id.in_(chunk if sqlite else [UUID(x) for x in chunk]),
                    stored.c.position <= position,
                )
            )
            for originator_id, version, topic, state in rows:
                key = originator_id if sqlite else originator_id.hex
                histories[key].stored.append((version, topic, bytes(state)))
        by_model: dict[str, list[str]] = {}
        for entity_id, model in wanted.items():
            by_model.setdefault(model.name, []).append(entity_id)
        for name, model_ids in by_model.items():
            t = tables.table(name)
            for i in range(0, len(model_ids), HISTORY_CHUNK):
                open_rows = conn.execute(
                    select(t.c.entity, t.c.valid_from, t.c.recorded_from).where(
                        t.c.entity.in_(model_ids[i : i + HISTORY_CHUNK]),
                        t.c.recorded_to.is_(None),
                    )
                )
                for entity_id, valid_from, recorded_from in open_rows:
                    histories[entity_id].open_rows[valid_from] = recorded_from
        for history in histories.values():
            history.stored.sort()
        return histories
