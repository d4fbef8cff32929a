"""The PostgreSQL chained recorder: eventsourcing's PostgreSQL recorder plus the hash chain."""

from __future__ import annotations

import contextlib
import time
from contextlib import contextmanager
from datetime import UTC
from itertools import pairwise
from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.utils import resolve_topic
from psycopg.errors import DuplicateObject, LockNotAvailable, QueryCanceled
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal
from psycopg_pool import PoolTimeout

from ledger.store.base import (
    ChainedRecorder,
    ChainWriter,
    CursorChainReader,
    StoreTimeoutError,
)
from ledger.store.chain import (
    CHAIN_TABLE,
    EVENTS_TABLE,
    GENESIS,
    ID_CHUNK,
    ChainedEvent,
    ChainError,
    ChainHead,
    Digest,
    canonical_originator_id,
    extend_links,
    next_recorded_at,
)
from ledger.store.tree import (
    CHECKPOINT_TABLE,
    TREE_TABLE,
    TreeCursor,
    TreeKeeper,
    TreeSQL,
    event_leaf,
)
from ledger.store.url import (
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_STATEMENT_TIMEOUT,
    LOCK_TIMEOUT_VAR,
    STATEMENT_TIMEOUT_VAR,
    StoreURL,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Sequence

    from psycopg import Cursor
    from psycopg.rows import DictRow

# to_char() pattern producing the canonical recorded_at text (see chain.py).
_ISO = Literal('YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
# Serialises concurrent CREATE TABLE IF NOT EXISTS from processes starting together.
_CREATE_LOCK_KEY = 0x6C6564676572  # "ledger"
# Rows per INSERT ... SELECT FROM unnest(...): a large batch goes to the server in
# statements of bounded size (one transaction still), each answered before the next is sent.
_INSERT_CHUNK = 5000
# ... and at most about this many bytes of event state per statement.
_INSERT_CHUNK_BYTES = 8 << 20
# Tries of a write whose connection broke (e.g. the server restarted since the pool
# opened it); a timeout or a refused connection is not tried again.
_WRITE_ATTEMPTS = 3


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder, ChainedRecorder):
    """PostgreSQL application recorder extending the hash chain in each insert's transaction.

    The chain rows are written after the insert, inside the same transaction and while the
    EXCLUSIVE table lock that eventsourcing takes for every insert is held.

    Writes do not use psycopg's pipeline mode (eventsourcing's insert_events does): with a
    large batch its sync() could stop sending while libpq's output buffer still held part
    of the INSERT and then wait for an answer, while the server waited for the rest of the
    INSERT (ClientRead) holding the table lock, forever. Here each statement is sent and
    answered in turn, a batch in chunks of bounded size, and every write transaction has a
    lock timeout and a statement timeout (see `set_timeouts`).
    """

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = EVENTS_TABLE):
        if datastore.enable_db_functions:
            msg = "POSTGRES_ENABLE_DB_FUNCTIONS must be off: its insert function bypasses the chain"
            raise ChainError(msg)
        if datastore.originator_id_type != "uuid":
            msg = "ORIGINATOR_ID_TYPE must be 'uuid' for the chained recorder"
            raise ChainError(msg)
        super().__init__(datastore, events_table_name=events_table_name)
        self.set_timeouts(DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT)
        fmt = {
            "schema": Identifier(self.datastore.schema),
            "table": Identifier(self.events_table_name),
            "chain": Identifier(CHAIN_TABLE),
            "iso": _ISO,
            "type": Identifier(self.stored_event_type_name),
        }
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{chain} ("
                "position bigint PRIMARY KEY, "
                "recorded_at timestamptz NOT NULL, "
                "hash bytea NOT NULL)"
            ).format(**fmt)
        )
        # Return the position with the key of each inserted row: the chain links are made
        # in position order, whatever order the rows come back in.
        self.insert_events_statement = SQL(
            "INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state) "
            "SELECT originator_id, originator_version, topic, state "
            "FROM unnest(%s::{schema}.{type}[]) "
            "RETURNING notification_id, replace(originator_id::text, '-', '') AS oid, "
            "originator_version"
        ).format(**fmt)
        self._sql_head_and_now = SQL(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', {iso}) AS now, "
            "h.position, to_char(h.recorded_at AT TIME ZONE 'UTC', {iso}) AS recorded_at, h.hash "
            "FROM (SELECT 1) AS one LEFT JOIN ("
            "SELECT position, recorded_at, hash FROM {schema}.{chain} "
            "ORDER BY position DESC LIMIT 1) AS h ON true"
        ).format(**fmt)
        self._sql_insert_chain_at = SQL(
            "INSERT INTO {schema}.{chain} (position, recorded_at, hash) "
            "SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::bytea[])"
        ).format(**fmt)
        self._sql_insert_chain_batch = SQL(
            "INSERT INTO {schema}.{chain} (position, recorded_at, hash) "
            "SELECT p, %s::timestamptz, h FROM unnest(%s::bigint[], %s::bytea[]) AS u(p, h)"
        ).format(**fmt)
        self._sql_insert_event_at = SQL(
            "INSERT INTO {schema}.{table} "
            "(originator_id, originator_version, topic, state, notification_id) "
            "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[], %s::bigint[])"
        ).format(**fmt)
        self._sql_setval = SQL(
            "SELECT setval(s.seq, GREATEST(%s, COALESCE(pg_sequence_last_value(s.seq), 0))) "
            "FROM (SELECT pg_get_serial_sequence("
            "quote_ident(%s) || '.' || quote_ident(%s), 'notification_id')::regclass AS seq) s"
        )
        self._sql_chain_rows = SQL(
            "SELECT c.position, to_char(c.recorded_at AT TIME ZONE 'UTC', {iso}), c.hash, "
            "replace(e.originator_id::text, '-', ''), e.originator_version, e.topic, e.state "
            "FROM {schema}.{chain} c LEFT JOIN {schema}.{table} e "
            "ON e.notification_id = c.position "
            "WHERE c.position > %s ORDER BY c.position LIMIT %s"
        ).format(**fmt)
        self._sql_unchained = SQL(
            "SELECT e.notification_id FROM {schema}.{table} e "
            "WHERE e.notification_id > %s AND e.notification_id <= %s "
            "AND NOT EXISTS (SELECT 1 FROM {schema}.{chain} c "
            "WHERE c.position = e.notification_id) "
            "ORDER BY e.notification_id LIMIT 1"
        ).format(**fmt)
        self._sql_select_chained = SQL(
            "SELECT c.position, c.recorded_at, e.originator_id, e.originator_version, "
            "e.topic, e.state, c.hash FROM {schema}.{table} e "
            "JOIN {schema}.{chain} c ON c.position = e.notification_id "
            "WHERE e.notification_id >= %s"
        ).format(**fmt)
        self._sql_head = SQL(
            "SELECT position, hash FROM {schema}.{chain} ORDER BY position DESC LIMIT 1"
        ).format(**fmt)
        self._sql_chain_length = SQL("SELECT count(*) FROM {schema}.{chain}").format(**fmt)
        self._sql_existing = SQL(
            "SELECT replace(originator_id::text, '-', '') AS oid, originator_version, topic, state "
            "FROM {schema}.{table} WHERE originator_id = ANY(%s)"
        ).format(**fmt)
        schema = '"' + self.datastore.schema.replace('"', '""') + '".'
        self._tree_sql = TreeSQL("%s", schema, blob="bytea", group_key="bigint")
        self._sql_insert_tree = SQL(
            "INSERT INTO {schema}.{tree} (grp, first_position, positions, hashes) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bytea[], %s::bytea[])"
        ).format(schema=fmt["schema"], tree=Identifier(TREE_TABLE))
        tree_fmt = {
            **fmt,
            "tree": Identifier(TREE_TABLE),
            "index": Identifier(TREE_TABLE + "_position"),
            "checkpoints": Identifier(CHECKPOINT_TABLE),
        }
        self.sql_create_statements.extend(
            SQL(text).format(**tree_fmt)
            for text in (
                "CREATE TABLE IF NOT EXISTS {schema}.{tree} (grp bigint PRIMARY KEY, "
                "first_position bigint NOT NULL, positions bytea NOT NULL, hashes bytea NOT NULL)",
                "CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {schema}.{tree} (first_position)",
                "CREATE TABLE IF NOT EXISTS {schema}.{checkpoints} ("
                "tree_size bigint PRIMARY KEY, root bytea NOT NULL, "
                "signed_at text NOT NULL, note text NOT NULL)",
            )
        )
        self._tree_keeper = TreeKeeper()

    def set_timeouts(self, lock: float, statement: float) -> None:
        """Seconds a write waits for the table lock, and one of its statements may run."""
        self.lock_timeout_seconds = lock
        self.statement_timeout_seconds = statement
        # In whole milliseconds, at least 1 (0 would turn the timeout off).
        self.lock_table_statements = [
            SQL("SET LOCAL lock_timeout = {0}").format(Literal(f"{max(1, round(lock * 1000))}ms")),
            SQL("SET LOCAL statement_timeout = {0}").format(
                Literal(f"{max(1, round(statement * 1000))}ms")
            ),
            SQL("LOCK TABLE {0}.{1} IN EXCLUSIVE MODE").format(
                Identifier(self.datastore.schema), Identifier(self.events_table_name)
            ),
        ]

    def create_table(self) -> None:
        """Create types and tables in one transaction under an advisory lock.

        Processes that start together on a fresh database (API, projector) then wait
        for each other instead of racing on CREATE TYPE / CREATE TABLE. When everything
        exists nothing is run: CREATE INDEX IF NOT EXISTS would wait for a writer's table
        lock, and every reader (verify, the projector, the API) opens a recorder.
        """
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            if not self._tables_exist(curs):
                curs.execute(
                    SQL("SELECT pg_advisory_xact_lock({0})").format(Literal(_CREATE_LOCK_KEY))
                )
                curs.execute(self.lock_table_statements[0])  # lock_timeout
                for statement in self.sql_create_statements:
                    if "CREATE TYPE" in statement.as_string():
                        with contextlib.suppress(DuplicateObject), conn.transaction():
                            curs.execute(statement, prepare=False)
                self._create_table(curs)
        self.datastore.register_type_adapters()
        self._build_tree()

    def _build_tree(self) -> None:
        """Give a store made before the Merkle tree existed its tree, once, from the chain.

        Two reads when the tree is complete; otherwise one write transaction (under the
        table lock) builds the missing leaves (see ledger.store.tree).
        """
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(force_rollback=True),
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            curs.execute(self._sql_head)
            head = curs.fetchone()
            tail = self._tree(curs).tail()
        if (tail.position if tail else 0) == (head[0] if head else 0):
            return
        with self._write_transaction() as curs:
            head_row, _ = self._read_head_and_now(curs)
            self._tree_keeper.catch_up(
                self._tree(curs), self._chain_rows_on(curs), head_row.position if head_row else 0
            )

    def _tree(self, curs: Cursor[Any]) -> _PostgresTreeCursor:
        """The tree through a tuple-row cursor on the connection of `curs`."""
        return _PostgresTreeCursor(self, curs.connection.cursor(row_factory=tuple_row))

    def _chain_rows_on(self, curs: Cursor[Any]) -> Any:
        """Chain rows (position > after, at most limit) read in the transaction of `curs`."""
        tuples = curs.connection.cursor(row_factory=tuple_row)

        def rows(after: int, limit: int) -> list[Any]:
            tuples.execute(self._sql_chain_rows, (after, limit))
            return list(tuples.fetchall())

        return rows

    def _tables_exist(self, curs: Cursor[DictRow]) -> bool:
        """Whether the events table, its index, the chain table and the row type all exist."""
        curs.execute(
            "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = ANY(%s)) "
            "+ (SELECT count(*) FROM pg_type t JOIN pg_namespace n "
            "ON n.oid = t.typnamespace WHERE n.nspname = %s AND t.typname = %s) AS found",
            (
                self.datastore.schema,
                [
                    self.events_table_name,
                    self.notification_id_index_name,
                    CHAIN_TABLE,
                    TREE_TABLE,
                    TREE_TABLE + "_position",
                    CHECKPOINT_TABLE,
                ],
                self.datastore.schema,
                self.stored_event_type_name,
            ),
        )
        row = curs.fetchone()
        return row is not None and int(row["found"]) == 7

    @contextmanager
    def _write_transaction(self) -> Iterator[Cursor[DictRow]]:
        """One transaction with the timeouts set, the table locked and NOTIFY queued.

        Commits when the block ends; a lock or statement timeout becomes StoreTimeoutError.
        """
        try:
            with (
                self.datastore.get_connection() as conn,
                conn.transaction(),
                conn.cursor() as curs,
            ):
                self._lock_table(curs)
                self._notify_channel(curs)
                yield curs
        except OperationalError as exc:
            cause = exc.__cause__
            if isinstance(cause, LockNotAvailable):
                msg = (
                    f"a write waited {self.lock_timeout_seconds:g} s for the lock on the "
                    f"{self.events_table_name} table and gave up (another write holds it; "
                    f"{LOCK_TIMEOUT_VAR} sets the limit); nothing was written"
                )
                raise StoreTimeoutError("lock timeout", msg) from None
            if isinstance(cause, QueryCanceled):
                msg = (
                    f"a statement of a write ran longer than {self.statement_timeout_seconds:g}"
                    f" s and was cancelled ({STATEMENT_TIMEOUT_VAR} sets the limit); "
                    "nothing was written"
                )
                raise StoreTimeoutError("statement timeout", msg) from None
            raise

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert events and extend the chain in one transaction (all or nothing).

        A uniqueness conflict raises IntegrityError (the application runs its batch again).
        """
        if not stored_events:
            return []
        attempt = 1
        while True:
            try:
                with self._write_transaction() as curs:
                    positions = self._insert_rows(curs, stored_events)
                    self._extend_chain(curs, positions, stored_events)
                return positions
            except (OperationalError, InterfaceError) as exc:
                if attempt >= _WRITE_ATTEMPTS or not _connection_broke(exc):
                    raise
            time.sleep(0.2 * attempt)
            attempt += 1

    def _insert_rows(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]
    ) -> list[int]:
        """INSERT the events chunk by chunk; the position of each event, in their order.

        Each returned row is matched to its event by key within its chunk, whatever order
        the rows come back in; only the positions are kept, so a large batch holds one int
        per event instead of a row each (bench/PROFILES.md, 6.4).
        """
        positions: list[int] = []
        tuples = curs.connection.cursor(row_factory=tuple_row)
        construct = self.construct_pg_stored_event
        start = 0
        while start < len(stored_events):
            end, size = start, 0
            while end < len(stored_events) and end - start < _INSERT_CHUNK:
                size += len(stored_events[end].state)
                end += 1
                if size >= _INSERT_CHUNK_BYTES:
                    break
            chunk = stored_events[start:end]
            tuples.execute(
                self.insert_events_statement,
                (
                    [
                        construct(e.originator_id, e.originator_version, e.topic, e.state)
                        for e in chunk
                    ],
                ),
            )
            index = {
                (canonical_originator_id(e.originator_id), e.originator_version): i
                for i, e in enumerate(chunk, start)
            }
            positions.extend([0] * len(chunk))
            for notification_id, oid, originator_version in tuples.fetchall():
                positions[index[(oid, originator_version)]] = notification_id
            start = end
        return positions

    def _read_head_and_now(self, curs: Cursor[DictRow]) -> tuple[ChainHead | None, str]:
        curs.execute(self._sql_head_and_now)
        row = curs.fetchone()
        assert row is not None
        if row["position"] is None:
            return None, str(row["now"])
        return ChainHead(row["position"], row["recorded_at"], bytes(row["hash"])), str(row["now"])

    def _extend_chain(
        self,
        curs: Cursor[DictRow],
        positions: Sequence[int],
        stored_events: Sequence[StoredEvent],
    ) -> None:
        """Chain and tree rows of `stored_events` just written at `positions` (one each)."""
        if not positions:
            return
        head, now = self._read_head_and_now(curs)
        previous = head.hash if head else GENESIS
        before = head.position if head else 0
        recorded_at = next_recorded_at(now, head.recorded_at if head else None)
        if not all(a < b for a, b in pairwise(positions)):
            order = sorted(range(len(positions)), key=positions.__getitem__)
            positions = [positions[i] for i in order]
            stored_events = [stored_events[i] for i in order]
        hashes, leaves = extend_links(
            previous,
            before,
            recorded_at,
            (
                (
                    p,
                    canonical_originator_id(e.originator_id),
                    e.originator_version,
                    e.topic,
                    e.state,
                )
                for p, e in zip(positions, stored_events, strict=True)
            ),
        )
        for i in range(0, len(positions), _INSERT_CHUNK):
            curs.execute(
                self._sql_insert_chain_batch,
                (recorded_at, positions[i : i + _INSERT_CHUNK], hashes[i : i + _INSERT_CHUNK]),
            )
        self._tree_keeper.append(
            self._tree(curs), self._chain_rows_on(curs), before, positions, leaves
        )

    def select_chained(
        self, start: int, limit: int, *, topics: Sequence[str] = ()
    ) -> list[ChainedEvent]:
        """Events with their chain rows, position >= start, in position order."""
        statement: Composed = self._sql_select_chained
        params: list[Any] = [start]
        if topics:
            statement += SQL(" AND e.topic = ANY(%s)")
            params.append(list(topics))
        statement += SQL(" ORDER BY e.notification_id LIMIT %s")
        params.append(limit)
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(statement, params)
            return [
                ChainedEvent(
                    position=row[0],
                    recorded_at=row[1].astimezone(UTC),
                    originator_id=row[2],
                    originator_version=row[3],
                    topic=row[4],
                    state=bytes(row[5]),
                    hash=bytes(row[6]),
                )
                for row in curs.fetchall()
            ]

    def any_created(self, originator_ids: Sequence[UUID]) -> bool:
        """Whether any of these records has its first event stored (one query per 500 ids)."""
        statement = SQL(
            "SELECT 1 FROM {}.{} WHERE originator_version = 1 AND originator_id = ANY(%s) LIMIT 1"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        for i in range(0, len(originator_ids), ID_CHUNK):
            chunk = list(originator_ids[i : i + ID_CHUNK])
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(statement, [chunk])
                if curs.fetchone() is not None:
                    return True
        return False

    def head(self) -> Digest | None:
        """The chain's last (position, hash), or None when the ledger is empty."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self._sql_head)
            row = curs.fetchone()
        return None if row is None else Digest(row[0], bytes(row[1]).hex())

    @contextmanager
    def chain_reader(self) -> Iterator[CursorChainReader]:
        """One REPEATABLE READ, READ ONLY transaction (a snapshot) for scanning the chain."""
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(force_rollback=True),
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            curs.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            # A read-only snapshot blocks no writer: let a slow consumer (export) take its time.
            curs.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
            yield CursorChainReader(self, curs)

    @contextmanager
    def chain_writer(self) -> Iterator[_PostgresChainWriter]:
        """One transaction holding the events table's EXCLUSIVE lock; commits at block end."""
        with self._write_transaction() as curs:
            yield _PostgresChainWriter(self, curs)

    def reconnect(self) -> None:
        """Tests the pooled connections and replaces those that broke (server restarted)."""
        with contextlib.suppress(Exception):
            self.datastore.pool.check()

    def close(self) -> None:
        """Close the datastore's connection pool."""
        self.datastore.close()


class _PostgresChainWriter(ChainWriter):
    """The import primitives inside one locked write transaction (see ChainWriter)."""

    def __init__(self, recorder: ChainedPostgresApplicationRecorder, curs: Cursor[DictRow]):
        self._recorder = recorder
        self._curs = curs

    def head(self) -> ChainHead | None:
        return self._recorder._read_head_and_now(self._curs)[0]

    def chain_length(self) -> int:
        self._curs.execute(self._recorder._sql_chain_length)
        row = self._curs.fetchone()
        assert row is not None
        return int(row["count"])

    def existing(self, originator_ids: Collection[str]) -> dict[tuple[str, int], tuple[str, bytes]]:
        if not originator_ids:
            return {}
        self._curs.execute(self._recorder._sql_existing, ([UUID(i) for i in originator_ids],))
        found: dict[tuple[str, int], tuple[str, bytes]] = {}
        for row in self._curs.fetchall():
            found[(row["oid"], row["originator_version"])] = (row["topic"], bytes(row["state"]))
        return found

    def tree(self) -> TreeCursor:
        return self._recorder._tree(self._curs)

    def catch_up_tree(self) -> int:
        head = self.head()
        r = self._recorder
        return r._tree_keeper.prepare(
            self.tree(), r._chain_rows_on(self._curs), head.position if head else 0
        ).size

    def append(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        if not stored_events:
            return []
        positions = self._recorder._insert_rows(self._curs, stored_events)
        self._recorder._extend_chain(self._curs, positions, stored_events)
        return positions

    def _insert_at(self, events: Sequence[ChainedEvent]) -> None:
        r = self._recorder
        head = self.head()
        for i in range(0, len(events), _INSERT_CHUNK):
            chunk = events[i : i + _INSERT_CHUNK]
            positions = [e.position for e in chunk]
            self._curs.execute(
                r._sql_insert_event_at,
                (
                    [e.originator_id for e in chunk],
                    [e.originator_version for e in chunk],
                    [e.topic for e in chunk],
                    [e.state for e in chunk],
                    positions,
                ),
            )
            self._curs.execute(
                r._sql_insert_chain_at,
                (positions, [e.recorded_at_text for e in chunk], [e.hash for e in chunk]),
            )
        self._curs.execute(
            r._sql_setval,
            (max(e.position for e in events), r.datastore.schema, r.events_table_name),
        )
        r._tree_keeper.append(
            self.tree(),
            r._chain_rows_on(self._curs),
            head.position if head else 0,
            [e.position for e in events],
            [event_leaf(e) for e in events],
        )


class _PostgresTreeCursor(TreeCursor):
    """The tree on PostgreSQL: new groups are inserted as arrays, chunk by chunk (no
    pipeline mode, see the recorder)."""

    def __init__(self, recorder: ChainedPostgresApplicationRecorder, cursor: Any) -> None:
        super().__init__(recorder._tree_sql, cursor)
        self._insert_rows = recorder._sql_insert_tree

    def insert_groups(self, groups: Sequence[tuple[int, int, bytes, bytes]]) -> None:
        """INSERT new group rows as unnest() arrays."""
        chunk_size = _INSERT_CHUNK // 16
        for i in range(0, len(groups), chunk_size):
            chunk = groups[i : i + chunk_size]
            self.cursor.execute(self._insert_rows, tuple(list(c) for c in zip(*chunk, strict=True)))


class ChainedPostgresFactory(PostgresFactory):
    """eventsourcing's PostgreSQL factory whose application recorder is the chained one.

    The events table is always `stored_events`, whatever the application's name, so that
    every process (API, projector, CLI) finds the same events and the same chain.
    """

    application_recorder_class = ChainedPostgresApplicationRecorder

    def application_recorder(self) -> ApplicationRecorder:
        """Construct (and create the tables of) the chained application recorder."""
        topic = self.env.get(self.APPLICATION_RECORDER_TOPIC)
        cls: type[ChainedPostgresApplicationRecorder] = (
            resolve_topic(topic) if topic else ChainedPostgresApplicationRecorder
        )
        if not (isinstance(cls, type) and issubclass(cls, ChainedPostgresApplicationRecorder)):
            msg = f"APPLICATION_RECORDER_TOPIC {topic!r} is not a chained PostgreSQL recorder"
            raise ChainError(msg)
        self._check_reachable()
        recorder = cls(datastore=self.datastore, events_table_name=EVENTS_TABLE)
        recorder.set_timeouts(
            _seconds(self.env.get(LOCK_TIMEOUT_VAR), DEFAULT_LOCK_TIMEOUT),
            _seconds(self.env.get(STATEMENT_TIMEOUT_VAR), DEFAULT_STATEMENT_TIMEOUT),
        )
        if self.env_create_table():
            recorder.create_table()
        return recorder

    def _check_reachable(self) -> None:
        """Connects once, directly, before the pool's first connection: a store that cannot
        be reached fails at once with the server's reason (the pool would wait its whole
        timeout and then only say that it got no connection)."""
        kwargs = self.datastore.pool.kwargs
        kwargs = kwargs() if callable(kwargs) else kwargs or {}
        params = {k: kwargs.get(k) for k in ("host", "port", "user", "password", "dbname")}
        error = _connect_once(params, int(self.env.get(self.POSTGRES_CONNECT_TIMEOUT) or 5))
        if error is not None:
            raise OperationalError(_one_line(error)) from error


def _seconds(text: str | None, default: float) -> float:
    """A timeout from the environment (application_env checked it), else the default."""
    try:
        value = float(text or "")
    except ValueError:
        return default
    return value if 0 < value < float("inf") else default


def _connection_broke(exc: BaseException) -> bool:
    """Whether a write failed because its pooled connection broke (worth one more try on a
    new one), not because no connection could be made or the server refused the work."""
    cause = exc.__cause__
    return isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError) and not isinstance(
        cause, PoolTimeout | LockNotAvailable | QueryCanceled
    )


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _connect_once(params: dict[str, Any], timeout: int) -> psycopg.Error | None:
    """Opens and closes one connection; the error if that failed."""
    try:
        psycopg.connect(**params, connect_timeout=timeout).close()
    except psycopg.Error as exc:
        return exc
    return None


def connection_problem(url: StoreURL, timeout: int = 5) -> str | None:
    """Connects once, directly, to say why the store cannot be reached (None: it can).

    The connection pool only says that it got no connection in time; this asks the server.
    """
    params = {
        "host": url.host,
        "port": url.port,
        "user": url.user,
        "password": url.password,
        "dbname": url.dbname,
    }
    error = _connect_once(params, timeout)
    return None if error is None else _one_line(error)
