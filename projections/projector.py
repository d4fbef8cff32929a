"""The projector: a catch-up loop over the ledger that keeps the read-model tables.

Each batch of events (`select_chained`, in position order) is decoded outside any lock,
then applied in one transaction that holds the projector lock: the records' bitemporal
rows, the events (facts and audit trail), new records in the directory, and the
generation's position. Commit makes all of it visible at once; a crash before commit
leaves nothing, so a restarted projector resumes from the stored position and applies
every event exactly once.

The projector keeps the records it has seen in memory, compact (their last state and
the last two versions of their timeline), so that a new event coming last in valid time
costs one fold step. A backdated event, a correction or a retraction needs the record's
whole history: its facts are read back from the ledger (the ones this batch decoded are
still in memory) and its open rows from its table (plus this batch's changes).
The cache is only trusted while the position it reflects is the stored one: when another
process has projected in between, or a transaction failed, it is dropped and records are
restored from the tables.
"""

from __future__ import annotations

import gc
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from sqlalchemy import (
    BindParameter,
    Connection,
    Select,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from ledger.errors import LedgerError
from ledger.store import ChainedEvent, ChainedRecorder, open_recorder
from ledger.store.url import parse_url
from projections.bitemporal import (
    Change,
    Entity,
    VersionedModel,
    advance,
    compact,
    needs_history,
    replay,
)
from projections.bulk import (
    VersionRows,
    bulk_insert,
    close_open_rows,
    delete_open_rows,
    inserter,
    time_converters,
    version_rows,
)
from projections.checkpoint import Checkpointer
from projections.registry import BY_TOPIC_PREFIX
from projections.store import (
    CONTROL,
    GENERATIONS,
    POINTER,
    ReadModel,
    Schema,
    is_sqlite,
    lock,
    make_engine,
    schema,
)
from projections.trail import ledger_mapper

#: Events per transaction. Fewer, larger commits make catching up from 0 faster; a batch
#: holds the projector lock (on SQLite the database's write lock) for a fraction of a second.
DEFAULT_BATCH = 5000
#: How many records the projector keeps in memory between batches (compact: ~2 KB each).
CACHE_RECORDS = 150_000


class ProjectionError(LedgerError):
    """The read model is out of step with the ledger (run `ledger rebuild`)."""


#: A row a batch opened and has not closed: (valid_to, recorded_from, state parameters).
_Opened = tuple[date | None, datetime, tuple[Any, ...]]
#: A row a batch opened and closed: (entity, valid_from, valid_to, recorded_from,
#: recorded_to, state parameters).
_Closed = tuple[str, date, date | None, datetime, datetime, tuple[Any, ...]]


@dataclass
class _Pending:
    """The row changes of one model in one batch, written with executemany at the end."""

    rows: VersionRows
    opened: dict[tuple[str, date], _Opened] = field(default_factory=dict)
    closed: list[_Closed] = field(default_factory=list)
    updates: list[tuple[str, date, datetime]] = field(default_factory=list)
    deletes: list[tuple[str, date]] = field(default_factory=list)

    def record(self, model: VersionedModel[Any], entity: str, change: Change, at: datetime) -> None:
        """Adds one event's change of a record's open rows.

        A row opened and closed at the same transaction time was never visible and is
        not written at all (or deleted, if an earlier batch wrote it).
        """
        for valid_from, recorded_from in change.closed:
            pending = self.opened.pop((entity, valid_from), None)
            if pending is not None:
                valid_to, opened_at, values = pending
                if opened_at != at:
                    self.closed.append((entity, valid_from, valid_to, opened_at, at, values))
            elif recorded_from == at:
                self.deletes.append((entity, valid_from))
            else:
                self.updates.append((entity, valid_from, at))
        for valid_from, valid_to, version in change.opened:
            state = version.values
            if state is None:
                state = version.values = self.rows.state(model.row(version.state))
            self.opened[(entity, valid_from)] = (valid_to, at, state)

    def flush(self, conn: Connection, table: Table) -> None:
        """Writes the changes: closes and deletes first, then the new rows."""
        delete_open_rows(conn, table, self.deletes)
        close_open_rows(conn, table, self.updates)
        day, moment = self.rows.date, self.rows.time
        rows = [
            (e, day(vf), day(vt), moment(rf), moment(rt), *values)
            for e, vf, vt, rf, rt, values in self.closed
        ]
        rows.extend(
            (e, day(vf), day(vt), moment(rf), None, *values)
            for (e, vf), (vt, rf, values) in self.opened.items()
        )
        inserter(conn.dialect, table).execute(conn, rows)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pauses the cyclic garbage collector for one batch, and freezes what survived it.

    A batch allocates many objects that live on in the record cache; with the collector
    running, its scans over that growing cache cost a fifth of catch-up time. The batch's
    garbage is acyclic (freed by reference counting). After the batch its survivors are
    frozen (`gc.freeze`: never scanned) and the collector runs again; `catch_up` unfreezes
    them when it returns, so cyclic garbage is only collected later, never kept.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


class Projector:
    """Catches the read model up with the ledger, batch by batch (exactly once)."""

    def __init__(self, url: str | None = None, *, batch_size: int = DEFAULT_BATCH) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be ≥ 1, got {batch_size}")
        self.url = url
        self.batch_size = batch_size
        self.recorder: ChainedRecorder = open_recorder(url)
        self.engine = make_engine(url, writer=True)
        sqlite_file = parse_url(url).path if is_sqlite(url) else None
        self.checkpointer = Checkpointer(sqlite_file) if sqlite_file is not None else None
        self.mapper = ledger_mapper()
        self._entities: OrderedDict[str, Entity] = OrderedDict()
        self._cache_key: tuple[int, int] | None = None
        self._statements: dict[tuple[int, str], Select[Any]] = {}
        self._ready = False

    def close(self) -> None:
        """Closes the recorder and the engine."""
        if self.checkpointer is not None:
            self.checkpointer.close()
        self.recorder.close()
        self.engine.dispose()

    def __enter__(self) -> Projector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- generations -------------------------------------------------------------------

    def ensure(self) -> None:
        """Creates the control tables and generation 1 if the read model is new."""
        if self._ready:
            return
        with self.engine.begin() as conn:
            lock(conn)
            CONTROL.create_all(conn, checkfirst=True)
            if conn.execute(select(POINTER.c.generation)).first() is None:
                _create_generation(conn, 1, "current")
                conn.execute(insert(POINTER).values(id=1, generation=1))
        self._ready = True

    def _state(self, conn: Connection, generation: int | None) -> tuple[int, int]:
        """(generation, position): of `generation`, or of the one queries read."""
        if generation is None:
            found = conn.execute(select(POINTER.c.generation).where(POINTER.c.id == 1)).scalar()
            if found is None:
                raise ProjectionError("the read model has no current generation")
            generation = int(found)
        position = conn.execute(
            select(GENERATIONS.c.position).where(GENERATIONS.c.generation == generation)
        ).scalar()
        if position is None:
            raise ProjectionError(
                f"generation {generation} of the read model is gone (another rebuild replaced it)"
            )
        return generation, int(position)

    # -- catching up -------------------------------------------------------------------

    def catch_up(self, *, until: int | None = None, generation: int | None = None) -> int:
        """Projects every event not yet applied (up to `until`); returns the position."""
        self.ensure()
        try:
            while True:
                done, position = self._step(generation, until)
                if done:
                    return position
        finally:
            gc.unfreeze()

    def follow(self, interval: float = 1.0, *, stop: Callable[[], bool] = lambda: False) -> int:
        """Keeps catching up, polling every `interval` seconds, until `stop()` is true."""
        position = self.catch_up()
        while not stop():
            time.sleep(interval)
            position = self.catch_up()
        return position

    def _step(self, generation: int | None, until: int | None) -> tuple[bool, int]:
        """One batch: (True, position) when nothing was left to apply."""
        with self.engine.connect() as conn:
            target, position = self._state(conn, generation)
            conn.rollback()
        limit = self.batch_size
        if until is not None:
            limit = min(limit, until - position)
            if limit <= 0:
                return True, position
        with _collector_paused():
            chained = self.recorder.select_chained(position + 1, limit)
            if until is not None:
                chained = [c for c in chained if c.position <= until]
            if not chained:
                return True, position
            decoded = [self._decode(c) for c in chained]
            try:
                with self.engine.begin() as conn:
                    lock(conn)
                    if self._state(conn, generation) != (target, position):
                        return False, position  # someone else projected meanwhile: again
                    new_position = self._apply(conn, target, position, chained, decoded)
            except BaseException:
                self._forget()
                raise
        self._cache_key = (target, new_position)
        if self.checkpointer is not None:
            self.checkpointer.request()
        return False, new_position

    def _decode(self, chained: ChainedEvent) -> Any:
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

    def _forget(self) -> None:
        self._entities.clear()
        self._cache_key = None

    def _apply(
        self,
        conn: Connection,
        generation: int,
        position: int,
        chained: Sequence[ChainedEvent],
        decoded: Sequence[Any],
    ) -> int:
        """Applies events after `position` in the caller's locked transaction."""
        if self._cache_key != (generation, position):
            self._forget()
        tables = schema(generation)
        pending: dict[str, _Pending] = {}
        event_rows: list[tuple[Any, ...]] = []
        day, moment = time_converters(conn.dialect)
        entity_rows: list[dict[str, Any]] = []
        #: Per record touched in this batch: its row changes so far, with their time.
        touched: dict[str, list[tuple[datetime, Change]]] = {}
        last = position
        recorded_at: datetime | None = None
        for c, event in zip(chained, decoded, strict=True):
            if c.position <= last:  # positions increase; PostgreSQL's may have gaps
                raise ProjectionError(
                    f"expected a position after {last} next, the ledger gave {c.position}"
                )
            last = c.position
            if c.recorded_at != recorded_at:  # a transaction's events share one time
                recorded_at = c.recorded_at
                at = _naive(recorded_at)
                stamp = moment(at)
            entity_id = c.originator_id.hex
            topic = c.topic
            cut = topic.rfind(".")
            model = BY_TOPIC_PREFIX.get(topic[: cut + 1]) if cut > 0 else None
            type_name = topic.partition(":")[2] or topic
            body: str | None = getattr(event, "body", None)
            key: str | None = None
            if model is not None:
                entity = self._entity(conn, tables, entity_id, model, event, c.position)
                if c.originator_version == 1:
                    entity_rows.append(
                        {
                            "entity": entity_id,
                            "model": model.name,
                            "body": entity.body,
                            "scope": entity.scope,
                            "key": entity.key,
                            "position": c.position,
                        }
                    )
                changes = touched.setdefault(entity_id, [])
                if not entity.complete and needs_history(entity, event):
                    self._make_whole(
                        conn, tables, entity, changes, c.originator_version - 1, c.position
                    )
                change = advance(entity, event, at)
                changes.append((at, change))
                written = pending.get(model.name)
                if written is None:
                    table = tables.table(model)
                    written = pending[model.name] = _Pending(version_rows(conn.dialect, table))
                written.record(model, entity_id, change, at)
                body, key = entity.body, entity.trail_key
            event_rows.append(
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
        for name, rows in pending.items():
            rows.flush(conn, tables.table(name))
        bulk_insert(conn, tables.entities, entity_rows)
        inserter(conn.dialect, tables.events).execute(conn, event_rows)
        conn.execute(
            update(GENERATIONS).where(GENERATIONS.c.generation == generation).values(position=last)
        )
        for entity_id in touched:
            compact(self._entities[entity_id])
        while len(self._entities) > CACHE_RECORDS:
            self._entities.popitem(last=False)
        return last

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
        """A record not in memory, whole, from the ledger and the tables (none of its events
        is pending)."""
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
        self._make_whole(conn, tables, entity, [], event.originator_version - 1, position)
        return entity

    def _make_whole(
        self,
        conn: Connection,
        tables: Schema,
        entity: Entity,
        changes: Sequence[tuple[datetime, Change]],
        before: int,
        position: int,
    ) -> None:
        """Restores a record's facts and timeline from the ledger, its table and this batch.

        Its facts are its events in the ledger up to version `before` (the ones this batch
        already decoded are taken from `entity.facts`); its open rows are those earlier
        batches wrote to its table, with `changes` (this batch's changes of them) applied.
        """
        entity_id, model = entity.id, entity.model
        known = entity.facts
        to_domain_event = self.mapper.to_domain_event
        facts: dict[int, Any] = {}
        for stored in self.recorder.select_events(UUID(entity_id), lte=before):
            fact = known.get(stored.originator_version)
            facts[stored.originator_version] = fact if fact is not None else to_domain_event(stored)
        rows = conn.execute(self._open_rows(tables, model), {"entity": entity_id})
        open_rows: dict[date, datetime] = {row[0]: row[1] for row in rows}
        for at, change in changes:
            for valid_from, _ in change.closed:
                open_rows.pop(valid_from, None)
            for valid_from, _, _ in change.opened:
                open_rows[valid_from] = at
        if len(facts) != before or not replay(entity, facts, open_rows):
            raise ProjectionError(
                f"position {position}: the rows of record {entity_id} ({model.name}) do not "
                "match its facts; run `ledger rebuild`"
            )

    def _open_rows(self, tables: Schema, model: VersionedModel[Any]) -> Select[Any]:
        """The statement for one record's open rows of `model`, built once per generation."""
        key = (tables.generation, model.name)
        found: Select[Any] | None = self._statements.get(key)
        if found is None:
            t = tables.table(model)
            entity: BindParameter[str] = bindparam("entity")
            built: Select[Any] = select(t.c.valid_from, t.c.recorded_from).where(
                t.c.entity == entity, t.c.recorded_to.is_(None)
            )
            found = self._statements[key] = built
        return found

    # -- rebuild -----------------------------------------------------------------------

    def rebuild(self) -> tuple[int, int]:
        """Projects every event into a new generation and swaps it in; (generation, position).

        Generations retired by earlier rebuilds, and unfinished ones, are dropped first.
        """
        generation = self.start_rebuild()
        self.catch_up(generation=generation)
        return generation, self.swap(generation)

    def start_rebuild(self) -> int:
        """Creates a new, empty generation (status building); returns its number.

        Drops every generation but the current one (retired ones and unfinished builds).
        """
        self.ensure()
        with self.engine.begin() as conn:
            lock(conn)
            current, _ = self._state(conn, None)
            # Numbers are never reused: an abandoned build still running must not write
            # into the new one.
            newest = conn.execute(select(func.max(GENERATIONS.c.generation))).scalar() or 0
            generation = int(newest) + 1
            stale = conn.execute(
                select(GENERATIONS.c.generation).where(GENERATIONS.c.generation != current)
            ).scalars()
            for old in list(stale):
                _drop_generation(conn, int(old))
            _create_generation(conn, generation, "building")
        self._forget()
        return generation

    def swap(self, generation: int) -> int:
        """Brings `generation` up to the current one's position and points queries at it.

        One locked transaction: queries see the old generation until it commits and the
        complete new one after. The replaced generation is kept (retired) until the next
        rebuild. Returns the new generation's position.
        """
        try:
            with self.engine.begin() as conn:
                lock(conn)
                current, current_position = self._state(conn, None)
                _, position = self._state(conn, generation)
                while position < current_position:
                    chained = self.recorder.select_chained(
                        position + 1, min(self.batch_size, current_position - position)
                    )
                    if not chained:
                        break
                    decoded = [self._decode(c) for c in chained]
                    position = self._apply(conn, generation, position, chained, decoded)
                    self._cache_key = (generation, position)
                stamp = _naive(datetime.now(UTC))
                conn.execute(
                    update(GENERATIONS)
                    .where(GENERATIONS.c.generation == current)
                    .values(status="retired")
                )
                conn.execute(
                    update(GENERATIONS)
                    .where(GENERATIONS.c.generation == generation)
                    .values(status="current", swapped_at=stamp)
                )
                conn.execute(update(POINTER).where(POINTER.c.id == 1).values(generation=generation))
        except BaseException:
            self._forget()
            raise
        if self.checkpointer is not None:
            self.checkpointer.request()
        return position


def _create_generation(conn: Connection, generation: int, status: str) -> None:
    schema(generation).metadata.create_all(conn)
    conn.execute(
        insert(GENERATIONS).values(
            generation=generation,
            position=0,
            status=status,
            created_at=_naive(datetime.now(UTC)),
        )
    )


def _drop_generation(conn: Connection, generation: int) -> None:
    schema(generation).metadata.drop_all(conn, checkfirst=True)
    conn.execute(delete(GENERATIONS).where(GENERATIONS.c.generation == generation))


def catch_up(target: ReadModel | str | None = None, *, batch_size: int = DEFAULT_BATCH) -> int:
    """Catches the read model up with its ledger; returns the position.

    Given a ReadModel, keeps one projector with it (and its in-memory records) for the
    next call; given a URL (default LEDGER_DATABASE_URL), opens and closes one.
    """
    if isinstance(target, ReadModel):
        with target.projector_lock:
            if target.projector is None:
                target.projector = Projector(target.url, batch_size=batch_size)
            position: int = target.projector.catch_up()
        target.mark_ready()
        return position
    with Projector(target, batch_size=batch_size) as projector:
        return projector.catch_up()
