"""The read-model database: engines, the generations of tables, and consistent snapshots.

Generations and the swap
------------------------
Every read-model table exists once per *generation*: generation 3 has rm3_measure,
rm3_budget_line, ..., rm3_event (what the audit trail filters the events by; their stored
bytes and chain hashes stay in the ledger's own tables, see `ledger_tables`) and
rm3_entity (the directory of records). Two control tables hold which
generation readers use and how far each generation is projected:

- ``rm_pointer`` — one row: the generation every query reads;
- ``rm_generation`` — per generation: its position (the last ledger position applied to
  it, written in the same transaction as its rows) and its status (building, current,
  retired);
- ``rm_failure`` — at most one row: the event the projector cannot project into the
  current generation and why (the API's /readyz reads it), until a catch-up gets past it.

``ledger rebuild`` creates a new generation's tables, projects every event into them
from position 0 while queries keep reading the current generation, and then, in one
transaction, brings the new generation up to the current one's position and moves the
pointer. A query reads the pointer and the tables of that generation in one snapshot
transaction, so it sees either the old tables or the complete new ones, never
half-built tables. The replaced generation is kept (retired) until the next rebuild
drops it, so that a query which read the pointer just before the swap can still finish.

Every projector transaction (catch-up batch, rebuild batch, swap, DDL) first takes one
lock — BEGIN IMMEDIATE on SQLite, a transaction-level advisory lock on PostgreSQL — so
projectors in several processes never interleave.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    RowMapping,
    String,
    Table,
    Uuid,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from ledger.store import CHAIN_TABLE, EVENTS_TABLE
from ledger.store.url import POSTGRES_SCHEMA, parse_url, sqlalchemy_url
from projections.engine.axes import Axes
from projections.engine.errors import NotFoundError
from projections.engine.schema import Catalog, Schema
from projections.engine.visible import visible

#: The advisory lock every projector transaction takes on PostgreSQL.
PROJECTOR_LOCK = 0x1ED6E2_0001

CONTROL = MetaData()

POINTER = Table(
    "rm_pointer",
    CONTROL,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", Integer, nullable=False),
)

GENERATIONS = Table(
    "rm_generation",
    CONTROL,
    Column("generation", Integer, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("swapped_at", DateTime),
)


FAILURE = Table(
    "rm_failure",
    CONTROL,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False),
    Column("failing", BigInteger, nullable=False),
    Column("error", String(100), nullable=False),
    Column("reason", String(1000), nullable=False),
    Column("since", DateTime, nullable=False),
)


@dataclass(frozen=True)
class ProjectorFailure:
    """The event the projector cannot project: where the read model stays, and why."""

    position: int
    failing: int
    error: str
    reason: str
    since: Any


#: The generation queries read and its position (prebuilt: every query reads it first).
CURRENT = (
    select(POINTER.c.generation, GENERATIONS.c.position)
    .join(GENERATIONS, GENERATIONS.c.generation == POINTER.c.generation)
    .where(POINTER.c.id == 1)
)


#: The ledger's own tables, as the read side joins them (never created or written here),
#: per dialect: the stored events, keyed by their position (SQLite's rowid, PostgreSQL's
#: notification_id), and the chain links with their hashes. On PostgreSQL they are in
#: the schema the ledger's recorder uses.
_LEDGER: dict[str, tuple[Table, Table]] = {}
for _dialect, _position, _schema in (
    ("sqlite", "rowid", None),
    ("postgresql", "notification_id", POSTGRES_SCHEMA),
):
    _metadata = MetaData(schema=_schema)
    _LEDGER[_dialect] = (
        Table(
            EVENTS_TABLE,
            _metadata,
            Column(_position, BigInteger, key="position", primary_key=True),
            # The recorder's own types: the UUID's hex digits on SQLite, uuid on PostgreSQL.
            Column("originator_id", String if _dialect == "sqlite" else Uuid, nullable=False),
            Column("originator_version", Integer, nullable=False),
            Column("topic", String, nullable=False),
            Column("state", LargeBinary, nullable=False),
        ),
        Table(
            CHAIN_TABLE,
            _metadata,
            Column("position", BigInteger, primary_key=True),
            Column("hash", LargeBinary, nullable=False),
        ),
    )


def ledger_tables(dialect: str) -> tuple[Table, Table]:
    """The ledger's (stored events, chain) tables in a dialect; `position` keys both."""
    return _LEDGER[dialect]


def is_sqlite(url: str | None) -> bool:
    """Whether a ledger URL is a SQLite file."""
    return parse_url(url).backend == "sqlite"


#: Connections a reader's pool keeps open: one per request an API worker may run at once
#: (its thread pool runs at most as many, see `api.app.route_threads`). A pool smaller than
#: that opens and closes a connection per request beyond it: on PostgreSQL a new server
#: process each time.
READ_CONNECTIONS = 16
#: Connections opened beyond those for other users of a read model (closed on return). On
#: PostgreSQL an API worker holds at most READ_CONNECTIONS + READ_OVERFLOW + LOG_CONNECTIONS
#: + 1 (see `ReadModel.read_log`, `_CurrentReader`): mind max_connections (default 100) when
#: choosing --workers.
READ_OVERFLOW = 4
#: Connections of the reads of the ledger's log tables on PostgreSQL (`ReadModel.read_log`):
#: a proof holds one for two round trips, so a few serve more proofs than a worker computes.
LOG_CONNECTIONS = 4

T = TypeVar("T")


def make_engine(url: str | None, *, writer: bool) -> Engine:
    """An engine on the ledger database; a writer's transactions take the projector lock.

    SQLite: the driver's own transaction handling is off and each transaction begins
    with BEGIN IMMEDIATE (writer: takes the write lock at once, so a batch never fails
    half-way on a lock upgrade) or BEGIN (reader: one WAL snapshot for every statement).
    PostgreSQL: readers use REPEATABLE READ, so all statements of a query see one snapshot.
    """
    target = sqlalchemy_url(url)
    if is_sqlite(url):
        engine = create_engine(
            target,
            connect_args={"timeout": 30, "check_same_thread": False},
            **({} if writer else {"pool_size": READ_CONNECTIONS, "max_overflow": READ_OVERFLOW}),
        )
        begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            if writer:
                # Batches touch many index pages: a larger page cache (32 MiB; why not
                # more: bench/PROFILES.md, 3.4). The projector's checkpointer
                # (projections.engine.checkpoint) checkpoints the WAL after each batch; a
                # commit only does it itself once the WAL passes 256 MiB.
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA cache_size=-32768")
                cursor.execute("PRAGMA wal_autocheckpoint=65536")
                cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql(begin)

        return engine
    if writer:
        return create_engine(target, pool_size=2, max_overflow=2)
    return create_engine(
        target,
        isolation_level="REPEATABLE READ",
        pool_pre_ping=True,
        pool_size=READ_CONNECTIONS,
        max_overflow=READ_OVERFLOW,
    )


def lock(conn: Connection) -> None:
    """Takes the projector lock for the rest of the transaction (PostgreSQL; SQLite has it)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PROJECTOR_LOCK})


@dataclass
class View:
    """One consistent snapshot of the read model, as queries see it."""

    conn: Connection
    schema: Schema | None
    position: int

    def rows(
        self,
        model: str,
        axes: Axes,
        *,
        body: str | None = None,
        scope: str | None = None,
        keys: Sequence[str] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[RowMapping]:
        """The rows of a model's records at the query's axes (see `visible.visible`)."""
        if self.schema is None:
            return []
        return visible(
            self.conn,
            self.schema.table(model),
            self.schema.entities,
            model,
            axes,
            body=body,
            scope=scope,
            keys=keys,
            ids=ids,
        )

    def known(
        self, model: str, body: str, key: str | None = None, *, scope: str | None = None
    ) -> bool:
        """Whether a record of this model (scope, key) of this body has been projected."""
        if self.schema is None:
            return False
        e = self.schema.entities
        statement = select(e.c.entity).where(e.c.model == model, e.c.body == body)
        if scope is not None:
            statement = statement.where(e.c.scope == scope)
        if key is not None:
            statement = statement.where(e.c.key == key)
        return self.conn.execute(statement.limit(1)).first() is not None

    def scopes(self, model: str, body: str) -> list[str]:
        """The scopes (e.g. fiscal years) under which records of this model of this body have
        been projected, in order."""
        if self.schema is None:
            return []
        e = self.schema.entities
        statement = select(e.c.scope).where(e.c.model == model, e.c.body == body).distinct()
        return sorted(str(scope) for scope in self.conn.execute(statement).scalars())

    def require_body(self, body: str) -> None:
        """Refuses an unknown body."""
        if not self.known("body", body):
            raise NotFoundError(f"no body '{body}' is in the ledger (position {self.position})")


class _CurrentReader:
    """Reads (generation, position) in one statement, for `ReadModel.current`.

    On PostgreSQL every cached answer starts with this read, so it has a connection of its
    own, taken out of the pool and in autocommit: one round trip, without the pool's
    checkout (its ping), a BEGIN and a COMMIT. A connection that fails is dropped and the
    read is tried once more on a new one. On SQLite (no network) it goes through the pool.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.own = engine.dialect.name == "postgresql"
        self.sql = str(
            CURRENT.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
        )
        self._lock = threading.Lock()
        self._conn: Any = None
        self._closed = False

    def read(self) -> tuple[int, int] | None:
        """The current (generation, position), or None before the first swap."""
        if not self.own:
            with self.engine.connect() as conn:
                row = conn.execute(CURRENT).first()
            return (int(row[0]), int(row[1])) if row is not None else None
        failure: type[Exception] = self.engine.dialect.loaded_dbapi.Error
        with self._lock:
            if self._closed:
                raise RuntimeError("the read model is closed")
            for attempt in (1, 2):
                try:
                    if self._conn is None:
                        self._conn = self._connect()
                    found = self._conn.execute(self.sql).fetchone()
                    return (int(found[0]), int(found[1])) if found is not None else None
                except failure as error:
                    self._close()
                    if attempt == 2:
                        # As SQLAlchemy raises it (the API answers 503 to OperationalError).
                        raise DBAPIError.instance(self.sql, None, error, failure) from error
        raise AssertionError("unreachable")  # pragma: no cover

    def _connect(self) -> Any:
        """A connection of the engine's, taken out of its pool, in autocommit."""
        pooled = self.engine.raw_connection()
        driver: Any = pooled.driver_connection
        pooled.detach()  # this connection is ours now, not the pool's
        try:
            driver.autocommit = True
        except BaseException:
            driver.close()
            raise
        return driver

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(Exception):
                conn.close()

    def close(self) -> None:
        """Closes its connection, if it opened one (it opens none afterwards)."""
        with self._lock:
            self._closed = True
            self._close()


class ReadModel:
    """Opens the read-model tables on LEDGER_DATABASE_URL (SQLAlchemy engine), thread-safe.

    `catalog` holds the read models whose tables it reads (this ledger's record types:
    `projections.registry.ReadModel` passes them)."""

    def __init__(self, url: str | None, catalog: Catalog) -> None:
        self.url = url
        self.catalog = catalog
        self.engine = make_engine(url, writer=False)
        self._current = _CurrentReader(self.engine)
        self._log_engine: Engine | None = None
        self._log_lock = threading.Lock()
        self._ready = False
        self._has_failure_table = False
        #: The projector `catch_up(rm)` keeps for this read model (see `projector.catch_up`).
        self.projector: Any = None
        self.projector_lock = threading.Lock()

    def _has_tables(self) -> bool:
        if not self._ready:
            self._ready = inspect(self.engine).has_table(POINTER.name)
        return self._ready

    def mark_ready(self) -> None:
        """Notes that the read-model tables exist (a projector has created them)."""
        self._ready = True

    @contextmanager
    def view(self) -> Iterator[View]:
        """A snapshot: the current generation's tables and position, read in one transaction."""
        if not self._has_tables():
            with self.engine.connect() as conn:
                yield View(conn, None, 0)
            return
        with self.engine.connect() as conn, conn.begin():
            row = conn.execute(CURRENT).first()
            if row is None:
                yield View(conn, None, 0)
            else:
                yield View(conn, self.catalog.schema(int(row[0])), int(row[1]))

    def current(self) -> tuple[int, int] | None:
        """(generation, position) queries read now, in one statement; None before anything
        was projected."""
        if not self._has_tables():
            return None
        return self._current.read()

    def read_log(self, read: Callable[[Connection], T]) -> T:
        """Runs `read`, statements on the ledger's append-only log tables (tree, checkpoints)
        that need no snapshot shared with the read model, and returns what it returns.

        On PostgreSQL on a connection in autocommit, checked out without the pool's ping: a
        read of two statements is two round trips instead of five (ping, BEGIN, the two,
        COMMIT). `read` must therefore be safe to run again and right without a snapshot
        across its statements (see `projections.models.proofs`): a read that finds its
        connection dropped (the server restarted) is run once more on a new connection,
        which is what the ping does for the other reads. On SQLite in one read transaction
        (no network to save).
        """
        if self.engine.dialect.name != "postgresql":
            with self.engine.connect() as conn, conn.begin():
                return read(conn)
        engine = self._log_reads()
        for attempt in (1, 2):
            try:
                with engine.connect() as conn:
                    return read(conn)
            except DBAPIError as error:
                # A dropped connection invalidates the pool: the next try gets a new one.
                if attempt == 2 or not error.connection_invalidated:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _log_reads(self) -> Engine:
        """The engine of `read_log` on PostgreSQL, opened on first use."""
        with self._log_lock:
            if self._log_engine is None:
                self._log_engine = create_engine(
                    sqlalchemy_url(self.url),
                    isolation_level="AUTOCOMMIT",
                    pool_size=LOG_CONNECTIONS,
                    max_overflow=0,
                )
            return self._log_engine

    def _dispose_log_reads(self) -> None:
        with self._log_lock:
            if self._log_engine is not None:
                self._log_engine.dispose()

    def position(self) -> int:
        """The projector's position: the last ledger position the read model reflects."""
        with self.view() as view:
            return view.position

    def projector_failure(self) -> ProjectorFailure | None:
        """The event a projector could not project into the current generation, if any."""
        if not self._has_tables():
            return None
        with self.engine.connect() as conn:
            if not self._has_failure_table:  # a read model older than rm_failure has none
                self._has_failure_table = inspect(conn).has_table(FAILURE.name)
                if not self._has_failure_table:
                    return None
            row = conn.execute(select(FAILURE).where(FAILURE.c.id == 1)).first()
        if row is None:
            return None
        return ProjectorFailure(
            int(row.position), int(row.failing), str(row.error), str(row.reason), row.since
        )

    def reconnect(self) -> None:
        """Drops pooled connections and the projector's (after the store restarted)."""
        with self.projector_lock:
            if self.projector is not None:
                self.projector.reconnect()
        self.engine.dispose()
        self._dispose_log_reads()

    def generation(self) -> int | None:
        """The generation queries read (None before anything was projected)."""
        with self.view() as view:
            return view.schema.generation if view.schema else None

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the current generation's tables without row ids, sorted: to compare
        two projections of the same ledger (a rebuild must equal incremental catch-up)."""
        out: dict[str, list[tuple[Any, ...]]] = {}
        with self.view() as view:
            if view.schema is None:
                return out
            tables = [*view.schema.models.values(), view.schema.events, view.schema.entities]
            for table in tables:
                columns = [c for c in table.columns if c.name != "id"]
                rows = view.conn.execute(select(*columns))
                name = table.name.split("_", 1)[1]
                out[name] = sorted((tuple(r) for r in rows), key=repr)
        return out

    def close(self) -> None:
        """Closes the engine's connections (and the projector of `catch_up(rm)`, if any)."""
        with self.projector_lock:
            if self.projector is not None:
                self.projector.close()
                self.projector = None
        self._current.close()
        self.engine.dispose()
        self._dispose_log_reads()
