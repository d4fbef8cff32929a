"""The projector: a catch-up loop over the ledger that keeps the read-model tables.

Each batch of events (`select_chained`, in position order) is folded into its records
outside any lock (`projections.engine.records`: what each record's rows become), then written
in one transaction that holds the projector lock, after checking that nobody projected
meanwhile: the records' bitemporal rows, the events (for the audit trail), new records
in the directory, and the generation's position. Commit makes all of it visible at once;
a crash before commit leaves nothing, so a restarted projector resumes from the stored
position and applies every event exactly once.

A catch-up far behind the ledger (a rebuild, a first catch-up) folds each batch together
with a worker process (`projections.engine.worker`), each its own share of the records, and
writes both parts in its one transaction; the worker stops when the catch-up returns,
and if it fails, the projector goes on alone.

When a batch fails for a reason other than the store (an event the read model cannot
hold, a fold that raises), the projector applies the events one by one up to the one
that fails and raises EventProjectionError naming it; for the current generation it also
records the failure in the read model (`rm_failure`), so that the API's /readyz says not
ready with the position and the reason until a catch-up gets past it. `Follower` runs
catch-ups for the long-lived processes (`ledger project --follow`, the server's thread):
it retries with backoff and logs each failure and the recovery on one line.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Self

from sqlalchemy import Connection, delete, func, insert, inspect, select, update

from ledger import collector, settings
from ledger.errors import LedgerError
from ledger.store import (
    ChainedEvent,
    ChainedRecorder,
    failure_message,
    open_recorder,
    store_failure,
)
from ledger.store.url import parse_url
from projections.engine import metrics
from projections.engine.bulk import close_open_rows, delete_open_rows, inserter
from projections.engine.checkpoint import Checkpointer
from projections.engine.columns import narrow_columns
from projections.engine.errors import FoldWorkerError, ProjectionError
from projections.engine.records import CACHE_RECORDS, BatchWrites, Records, naive_utc
from projections.engine.schema import Catalog, missing_columns
from projections.engine.store import (
    CONTROL,
    FAILURE,
    GENERATIONS,
    POINTER,
    ReadModel,
    is_sqlite,
    lock,
    make_engine,
)
from projections.engine.worker import FoldWorker, worker_folds

__all__ = [
    "DEFAULT_BATCH",
    "EventProjectionError",
    "Follower",
    "ProjectionError",
    "Projector",
    "catch_up",
]

#: Events per transaction. Fewer, larger commits make catching up from 0 faster; a batch
#: holds the projector lock (on SQLite the database's write lock) while it is written.
DEFAULT_BATCH = 5000
#: A catch-up at least this many events behind folds with a worker process; below it,
#: starting one (a second interpreter) costs more than it saves.
PARALLEL_BACKLOG = 50_000


#: At most this many characters of a failure's reason are kept (in rm_failure and logs).
REASON_LIMIT = 500


class ReadModelStateError(ProjectionError):
    """The read model itself is out of step (no generation, an old layout, positions out of
    order): no single event is at fault, so the projector does not look for one."""


class EventProjectionError(ProjectionError):
    """An event cannot be projected: the read model stays at `position`, before `failing`."""

    def __init__(self, position: int, failing: int, error: str, reason: str) -> None:
        self.position = position
        self.failing = failing
        self.error = error
        self.reason = reason
        super().__init__(
            f"the event at position {failing} cannot be projected ({reason}); "
            f"the read model stays at position {position}"
        )


def _reason(exc: BaseException) -> str:
    """An exception as one line: its type and message, at most REASON_LIMIT characters."""
    text = " ".join(str(exc).split())
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= REASON_LIMIT else line[: REASON_LIMIT - 1] + "…"


def _store_trouble(exc: BaseException) -> bool:
    """Whether a failure lies with the store (unreachable, a timeout), not with an event."""
    failure = store_failure(exc)
    return failure is not None and failure.transient


def default_workers() -> int:
    """Fold workers a projector may start: LEDGER_PROJECTOR_WORKERS (0 or 1), else 1 where
    there is a second core."""
    workers = settings.value(settings.PROJECTOR_WORKERS)
    if workers is None:
        return 1 if (os.cpu_count() or 1) > 1 else 0
    return workers


def _last_position(position: int, chained: Sequence[ChainedEvent]) -> int:
    """The batch's last position, after checking that positions increase from `position`."""
    last = position
    for c in chained:
        if c.position <= last:  # positions increase; PostgreSQL's may have gaps
            raise ReadModelStateError(
                f"expected a position after {last} next, the ledger gave {c.position}"
            )
        last = c.position
    return last


class Projector:
    """Catches the read models of `catalog` up with the ledger, batch by batch (exactly
    once)."""

    def __init__(
        self,
        url: str | None,
        catalog: Catalog,
        *,
        batch_size: int = DEFAULT_BATCH,
        workers: int | None = None,
        parallel_backlog: int = PARALLEL_BACKLOG,
        cache_records: int = CACHE_RECORDS,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be ≥ 1, got {batch_size}")
        self.workers = default_workers() if workers is None else workers
        if self.workers not in (0, 1):
            raise ValueError(f"workers must be 0 or 1, got {self.workers}")
        if self.workers and catalog.origin is None:
            raise ValueError("a fold worker needs a catalog with an origin (module:NAME)")
        self.url = url
        self.catalog = catalog
        self.batch_size = batch_size
        self.parallel_backlog = parallel_backlog
        self.cache_records = cache_records
        self.recorder: ChainedRecorder = open_recorder(url)
        self.engine = make_engine(url, writer=True)
        #: Folds read the tables outside the projector lock, in a snapshot of their own.
        self.reader = make_engine(url, writer=False)
        sqlite_file = parse_url(url).path if is_sqlite(url) else None
        self.checkpointer = Checkpointer(sqlite_file) if sqlite_file is not None else None
        self.records = Records(catalog, cache_records=cache_records)
        #: The fold worker while a catch-up far behind runs.
        self.worker: FoldWorker | None = None
        #: Of the workers this projector ran: the highest peak RSS (KB), the batches they
        #: had a share of, the events they were sent.
        self.worker_peak_rss_kb = 0
        self.worker_batches = 0
        self.worker_events = 0
        self._layout_checked: set[int] = set()
        self._ready = False
        #: Whether rm_failure may hold a failure to clear after the next catch-up.
        self._failure_stored = False
        #: Called with the new position after each batch is committed (progress).
        self.on_commit: Callable[[int], None] | None = None

    def reconnect(self) -> None:
        """Drops every pooled connection (after the store restarted or one broke), so that
        the next catch-up opens new ones instead of failing on each broken one in turn."""
        self.recorder.reconnect()
        self.engine.dispose()
        self.reader.dispose()

    def close(self) -> None:
        """Stops the fold worker, closes the recorder and the engines."""
        try:
            self._let_worker_go()
            if self.checkpointer is not None:
                self.checkpointer.close()
        finally:
            self.recorder.close()
            self.engine.dispose()
            self.reader.dispose()

    def __enter__(self) -> Self:
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
                _create_generation(conn, self.catalog, 1, "current")
                conn.execute(insert(POINTER).values(id=1, generation=1))
            self._failure_stored = conn.execute(select(FAILURE.c.id)).first() is not None
        self._ready = True

    def positions(self, generation: int | None = None) -> tuple[int, int]:
        """(the read model's position, the ledger's head): how far a catch-up has to go."""
        self.ensure()
        with self.engine.connect() as conn:
            _, position = self._state(conn, generation)
            conn.rollback()
        return position, self.recorder.max_notification_id() or 0

    def _state(self, conn: Connection, generation: int | None) -> tuple[int, int]:
        """(generation, position): of `generation`, or of the one queries read."""
        if generation is None:
            found = conn.execute(select(POINTER.c.generation).where(POINTER.c.id == 1)).scalar()
            if found is None:
                raise ReadModelStateError("the read model has no current generation")
            generation = int(found)
        position = conn.execute(
            select(GENERATIONS.c.position).where(GENERATIONS.c.generation == generation)
        ).scalar()
        if position is None:
            raise ReadModelStateError(
                f"generation {generation} of the read model is gone (another rebuild replaced it)"
            )
        return generation, int(position)

    # -- catching up -------------------------------------------------------------------

    def catch_up(self, *, until: int | None = None, generation: int | None = None) -> int:
        """Projects every event not yet applied (up to `until`); returns the position.

        A fold worker started for a long backlog is stopped when this returns. An event
        that cannot be projected raises EventProjectionError (the events before it are
        applied); a failure of the store itself is raised as it is.
        """
        self.ensure()
        try:
            position = self._catch_up(until, generation)
        except Exception as exc:
            if _store_trouble(exc) or isinstance(exc, ReadModelStateError):
                raise
            error = self._find_failing_event(exc, until, generation)
            if error is None:  # one by one every event went in: nothing to report
                return self._catch_up(until, generation)
            if generation is None:
                self._store_failure(error)
            raise error from exc
        if generation is None and self._failure_stored:
            self._clear_failure()
        return position

    def _catch_up(self, until: int | None, generation: int | None) -> int:
        try:
            self._start_worker_if_behind(generation, until)
            while True:
                done, position = self._run(generation, until)
                if done:
                    return position
        finally:
            self._let_worker_go()
            gc.unfreeze()

    def _find_failing_event(
        self, exc: Exception, until: int | None, generation: int | None
    ) -> EventProjectionError | None:
        """After a batch failed: applies the events one by one up to the one that fails,
        and names it (None if every one went in). A store failure meanwhile is raised."""
        batch_size, workers = self.batch_size, self.workers
        self.batch_size, self.workers = 1, 0
        failure: Exception = exc
        try:
            while True:
                try:
                    done, _ = self._run(generation, until)
                except Exception as single:
                    if _store_trouble(single) or isinstance(single, ReadModelStateError):
                        raise
                    failure = single
                    break
                if done:
                    return None
        finally:
            self.batch_size, self.workers = batch_size, workers
        # One event per transaction: every event before the failing one is committed.
        with self.engine.connect() as conn:
            _, position = self._state(conn, generation)
            conn.rollback()
        following = self.recorder.select_chained(position + 1, 1)
        failing = following[0].position if following else position + 1
        return EventProjectionError(position, failing, type(failure).__name__, _reason(failure))

    def _store_failure(self, error: EventProjectionError) -> None:
        """Records why the current generation is stuck, for /readyz (best effort)."""
        with suppress(Exception), self.engine.begin() as conn:
            conn.execute(delete(FAILURE))
            conn.execute(
                insert(FAILURE).values(
                    id=1,
                    position=error.position,
                    failing=error.failing,
                    error=error.error,
                    reason=error.reason,
                    since=naive_utc(datetime.now(UTC)),
                )
            )
            self._failure_stored = True

    def _clear_failure(self) -> None:
        """Forgets a recorded failure once a catch-up went through."""
        with self.engine.begin() as conn:
            conn.execute(delete(FAILURE))
        self._failure_stored = False

    def follow(self, interval: float = 1.0, *, stop: Callable[[], bool] = lambda: False) -> int:
        """Keeps catching up, polling every `interval` seconds, until `stop()` is true."""
        position = self.catch_up()
        while not stop():
            time.sleep(interval)
            position = self.catch_up()
        return position

    def _start_worker_if_behind(self, generation: int | None, until: int | None) -> None:
        """Starts the fold worker when the ledger is at least `parallel_backlog` ahead."""
        if self.worker is not None or not self.workers:
            return
        with self.engine.connect() as conn:
            _, position = self._state(conn, generation)
            conn.rollback()
        head = self.recorder.max_notification_id() or 0
        if until is not None:
            head = min(head, until)
        if head - position >= self.parallel_backlog:
            self._forget()  # the worker's share of the records is the worker's from now on
            self.worker = FoldWorker(self.url, self.catalog, cache_records=self.cache_records)

    def _run(self, generation: int | None, until: int | None) -> tuple[bool, int]:
        """Projects batch after batch; (True, position) when nothing is left to apply, or
        (False, position) when another projector moved the position meanwhile.

        Batch k is folded while batch k-1 is written: the worker starts on its share of k,
        then the projector commits k-1 and folds its own share of k (which reads the tables
        as k-1 left them), then it waits for the worker's share.
        """
        with self.engine.connect() as conn:
            target, position = self._state(conn, generation)
            self._check_layout(conn, target)
            conn.rollback()
        #: The batch folded and not yet written: (its start, its last position, writes).
        pending: tuple[int, int, BatchWrites] | None = None
        #: When the pending batch was read (for its duration in the metrics).
        pending_read = read = 0.0
        try:
            while True:
                # A batch's survivors live on in the record cache: frozen after it, they are
                # not scanned again; `catch_up` unfreezes them when it returns, so cyclic
                # garbage is only collected later, never kept (a fifth of catch-up time).
                with collector.paused(freeze=True):
                    read = time.perf_counter()
                    limit = self.batch_size
                    if until is not None:
                        limit = min(limit, until - position)
                    chained = self.recorder.select_chained(position + 1, limit) if limit > 0 else []
                    if until is not None:
                        chained = [c for c in chained if c.position <= until]
                    if not chained:
                        break
                    last = _last_position(position, chained)
                    mine = self._submit(target, position, last, chained)
                    if pending is not None:
                        if not self._commit(generation, target, *pending, read=pending_read):
                            self._forget()
                            return False, pending[0]
                        pending = None
                    decoded = [self.records.decode(c) for c in mine]
                    with self.reader.connect() as reading, reading.begin():
                        writes = self.records.fold(reading, target, position, last, mine, decoded)
                    if self.worker is not None:
                        writes.extend(self.worker.result())
                        writes.events.sort()  # by position
                    pending, pending_read = (position, last, writes), read
                    position = last
            if pending is not None and not self._commit(
                generation, target, *pending, read=pending_read
            ):
                self._forget()
                return False, pending[0]
        except FoldWorkerError:
            # The batch is not written; the projector goes on without the worker.
            self._let_worker_go()
            self._forget()
            return False, position
        except BaseException:
            self._forget()
            raise
        return True, position

    def _check_layout(self, conn: Connection, generation: int) -> None:
        """Refuses a generation an older ledger made: an event table with copies of the
        events' bytes, a read-model table without a column this version writes, or 64-bit
        amount columns on PostgreSQL (which cannot hold every sum): it needs a rebuild."""
        if generation in self._layout_checked:
            return
        name = self.catalog.schema(generation).events.name
        if "state" in {c["name"] for c in inspect(conn).get_columns(name)}:
            raise ReadModelStateError(
                f"generation {generation} of the read model was built by an older version "
                "(its event table copies the events); run `ledger rebuild`"
            )
        tables = self.catalog.schema(generation).models.values()
        missing = missing_columns(conn, tables)
        if missing:
            raise ReadModelStateError(
                f"generation {generation} of the read model was built by an older version "
                f"(it lacks {', '.join(missing[:5])}); run `ledger rebuild`"
            )
        narrow = narrow_columns(conn, tables)
        if narrow:
            raise ReadModelStateError(
                f"generation {generation} of the read model was built by an older version "
                f"(64-bit amounts in {', '.join(narrow[:5])}); run `ledger rebuild`"
            )
        self._layout_checked.add(generation)

    def _let_worker_go(self) -> None:
        """Stops the fold worker, if one runs (its share of the records goes with it)."""
        if self.worker is not None:
            worker, self.worker = self.worker, None
            worker.close()
            self.worker_peak_rss_kb = max(self.worker_peak_rss_kb, worker.peak_rss_kb)
            self.worker_batches += worker.batches
            self.worker_events += worker.events

    def _submit(
        self, generation: int, position: int, last: int, chained: Sequence[ChainedEvent]
    ) -> Sequence[ChainedEvent]:
        """Sends the worker (if any) its share of a batch; returns the projector's share."""
        if self.worker is None:
            return chained
        theirs: list[ChainedEvent] = []
        mine: list[ChainedEvent] = []
        for c in chained:
            (theirs if worker_folds(c.originator_id) else mine).append(c)
        self.worker.submit(generation, position, last, theirs)
        return mine

    def _commit(
        self,
        generation: int | None,
        target: int,
        start: int,
        last: int,
        writes: BatchWrites,
        *,
        read: float,
    ) -> bool:
        """Writes a folded batch in one locked transaction, if the position is still `start`
        (False: another projector moved it, nothing is written). `read`: when the batch
        was read (perf_counter), for the batch duration metric."""
        with self.engine.begin() as conn:
            lock(conn)
            if self._state(conn, generation) != (target, start):
                return False
            self._write(conn, target, last, writes)
        metrics.observe_batch(time.perf_counter() - read)
        if self.on_commit is not None:
            self.on_commit(last)
        if self.checkpointer is not None:
            self.checkpointer.request()
        return True

    def _forget(self) -> None:
        """Drops the kept records, here and in the worker (after a batch not committed)."""
        self.records.forget()
        if self.worker is not None:
            self.worker.discard()

    def _fold_here(
        self, conn: Connection, generation: int, position: int, chained: Sequence[ChainedEvent]
    ) -> tuple[int, BatchWrites]:
        """Folds a batch in this process alone (`conn` sees the tables as of `position`,
        uncommitted writes included); (last position, writes)."""
        if self.worker is not None:
            self.worker.discard()  # its records miss this batch from now on
        last = _last_position(position, chained)
        decoded = [self.records.decode(c) for c in chained]
        return last, self.records.fold(conn, generation, position, last, chained, decoded)

    def _write(self, conn: Connection, generation: int, last: int, writes: BatchWrites) -> None:
        """Writes a batch's changes and moves the generation's position to `last`."""
        tables = self.catalog.schema(generation)
        for name, changes in writes.tables.items():
            table = tables.table(name)
            delete_open_rows(conn, table, changes.deletes)
            close_open_rows(conn, table, changes.closes)
            inserter(conn.dialect, table).execute(conn, changes.rows)
        inserter(conn.dialect, tables.entities).execute(conn, writes.entities)
        inserter(conn.dialect, tables.events).execute(conn, writes.events)
        conn.execute(
            update(GENERATIONS).where(GENERATIONS.c.generation == generation).values(position=last)
        )

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
                _drop_generation(conn, self.catalog, int(old))
            _create_generation(conn, self.catalog, generation, "building")
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
                    # Without the worker: it reads committed tables, and this
                    # transaction's own batches are not committed yet.
                    last, writes = self._fold_here(conn, generation, position, chained)
                    self._write(conn, generation, last, writes)
                    position = last
                stamp = naive_utc(datetime.now(UTC))
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
                # The new generation got past every event: a failure recorded is no more.
                conn.execute(delete(FAILURE))
        except BaseException:
            self._forget()
            raise
        self._failure_stored = False
        if self.checkpointer is not None:
            self.checkpointer.request()
        return position


def _create_generation(conn: Connection, catalog: Catalog, generation: int, status: str) -> None:
    catalog.schema(generation).metadata.create_all(conn)
    conn.execute(
        insert(GENERATIONS).values(
            generation=generation,
            position=0,
            status=status,
            created_at=naive_utc(datetime.now(UTC)),
        )
    )


def _drop_generation(conn: Connection, catalog: Catalog, generation: int) -> None:
    catalog.schema(generation).metadata.drop_all(conn, checkfirst=True)
    conn.execute(delete(GENERATIONS).where(GENERATIONS.c.generation == generation))


def catch_up(
    target: ReadModel | str | None,
    catalog: Catalog | None = None,
    *,
    batch_size: int = DEFAULT_BATCH,
) -> int:
    """Catches the read model up with its ledger; returns the position.

    Given a ReadModel, keeps one projector of its catalog with it (and its in-memory
    records) for the next call; given a URL (None: LEDGER_DATABASE_URL), opens and closes
    a projector of `catalog`.
    """
    if isinstance(target, ReadModel):
        with target.projector_lock:
            if target.projector is None:  # the server's: no second process
                target.projector = Projector(
                    target.url, target.catalog, batch_size=batch_size, workers=0
                )
            position: int = target.projector.catch_up()
        target.mark_ready()
        return position
    if catalog is None:
        raise ValueError("catching up a URL needs the catalog of the read models to keep")
    with Projector(target, catalog, batch_size=batch_size) as projector:
        return projector.catch_up()


class Follower:
    """Runs catch-ups for a long-lived process, outliving failures of the store and events.

    After a failed catch-up the next one waits FIRST_WAIT seconds, doubling up to
    MAX_WAIT; a success resets it. Each failure of the store (unreachable, a timeout) is
    logged on one line, an event that cannot be projected once (per event and reason),
    and the recovery once. Its state says whether the read model is current, for /readyz.
    """

    FIRST_WAIT = 0.5
    MAX_WAIT = 10.0

    def __init__(
        self,
        catch_up: Callable[[], object],
        log: Callable[[str], None],
        *,
        reconnect: Callable[[], None] = lambda: None,
        url: str | None = None,
    ) -> None:
        self._catch_up = catch_up
        self._log = log
        self._reconnect = reconnect
        self._url = url
        self._wait = 0.0
        self._logged: str | None = None
        #: What the last successful catch-up returned (the position).
        self.result: object = None
        #: Why the last catch-up failed (one line), None when it went through.
        self.problem: str | None = None
        #: The store could not be reached (or timed out) on the last try.
        self.unreachable = False
        #: The event that cannot be projected, and where the read model stays.
        self.failure: EventProjectionError | None = None
        #: The type of the last failure's exception.
        self.error: str | None = None

    def step(self) -> float | None:
        """One catch-up: None when it went through, else the seconds to wait before the next."""
        try:
            result = self._catch_up()
        except Exception as exc:
            return self._failed(exc)
        if self.problem is not None:
            self._log(f"recovered: the read model is current again (position {result})")
        self.result = result
        self.problem = None
        self.unreachable = False
        self.failure = None
        self.error = None
        self._wait = 0.0
        self._logged = None
        return None

    def _failed(self, exc: Exception) -> float:
        self._wait = min(self._wait * 2, self.MAX_WAIT) if self._wait else self.FIRST_WAIT
        self.error = exc.error if isinstance(exc, EventProjectionError) else type(exc).__name__
        failure = store_failure(exc)
        if failure is not None and failure.transient:
            self.unreachable = True
            self.failure = None
            self.problem = failure_message(failure, self._url)
            self._logged = None
            self._log(f"{self.problem}; trying again in {self._wait:g} s")
            with suppress(Exception):
                self._reconnect()
            return self._wait
        self.unreachable = False
        self.failure = exc if isinstance(exc, EventProjectionError) else None
        self.problem = str(exc) if isinstance(exc, LedgerError) else _reason(exc)
        if self.problem != self._logged:
            self._logged = self.problem
            self._log(f"{self.problem}; trying again, at most every {self.MAX_WAIT:g} s")
        return self._wait
