"""The PostgreSQL chained recorder: eventsourcing's PostgreSQL recorder plus the hash chain."""

from __future__ import annotations

import contextlib
from contextlib import contextmanager
from datetime import UTC
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, ProgrammingError, StoredEvent
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.utils import resolve_topic
from psycopg.errors import DuplicateObject
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal

from ledger.store.base import ChainedRecorder, ChainWriter, CursorChainReader
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
    link_hash,
    next_recorded_at,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Sequence

    from psycopg import Cursor
    from psycopg.rows import DictRow

# to_char() pattern producing the canonical recorded_at text (see chain.py).
_ISO = Literal('YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
# Serialises concurrent CREATE TABLE IF NOT EXISTS from processes starting together.
_CREATE_LOCK_KEY = 0x6C6564676572  # "ledger"
# Rows per INSERT ... SELECT FROM unnest(...) when importing.
_INSERT_CHUNK = 5000


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder, ChainedRecorder):
    """PostgreSQL application recorder extending the hash chain in each insert's transaction.

    The chain rows are written after the insert, inside the same transaction and while the
    EXCLUSIVE table lock that eventsourcing takes for every insert is held.
    """

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = EVENTS_TABLE):
        if datastore.enable_db_functions:
            msg = "POSTGRES_ENABLE_DB_FUNCTIONS must be off: its insert function bypasses the chain"
            raise ChainError(msg)
        if datastore.originator_id_type != "uuid":
            msg = "ORIGINATOR_ID_TYPE must be 'uuid' for the chained recorder"
            raise ChainError(msg)
        super().__init__(datastore, events_table_name=events_table_name)
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

    def create_table(self) -> None:
        """Create types and tables in one transaction under an advisory lock.

        Processes that start together on a fresh database (API, projector) then wait
        for each other instead of racing on CREATE TYPE / CREATE TABLE.
        """
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            curs.execute(SQL("SELECT pg_advisory_xact_lock({0})").format(Literal(_CREATE_LOCK_KEY)))
            for statement in self.sql_create_statements:
                if "CREATE TYPE" in statement.as_string():
                    with contextlib.suppress(DuplicateObject), conn.transaction():
                        curs.execute(statement, prepare=False)
            self._create_table(curs)
        self.datastore.register_type_adapters()

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # Runs inside the insert's transaction, after the insert, with the table lock held.
        try:
            rows = curs.fetchall()
        except Exception as e:
            msg = f"Couldn't get the inserted rows (expected {len(stored_events)})"
            raise ProgrammingError(msg) from e
        self._extend_chain(curs, rows, stored_events)
        return [row["notification_id"] for row in rows]

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
        inserted: Sequence[DictRow],
        stored_events: Sequence[StoredEvent],
    ) -> None:
        if not inserted:
            return
        by_key = {
            (canonical_originator_id(e.originator_id), e.originator_version): e
            for e in stored_events
        }
        head, now = self._read_head_and_now(curs)
        previous = head.hash if head else GENESIS
        last = head.position if head else 0
        recorded_at = next_recorded_at(now, head.recorded_at if head else None)
        positions: list[int] = []
        hashes: list[bytes] = []
        for row in sorted(inserted, key=lambda r: int(r["notification_id"])):
            position = row["notification_id"]
            if position <= last:
                msg = (
                    f"new event position {position} is not after the chain head {last}: "
                    "the store is damaged (run verify)"
                )
                raise ChainError(msg)
            event = by_key[(row["oid"], row["originator_version"])]
            previous = link_hash(
                previous,
                position,
                recorded_at,
                row["oid"],
                event.originator_version,
                event.topic,
                event.state,
            )
            positions.append(position)
            hashes.append(previous)
            last = position
        curs.execute(self._sql_insert_chain_batch, (recorded_at, positions, hashes))

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
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            self._lock_table(curs)
            yield _PostgresChainWriter(self, curs)

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

    def append(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        if not stored_events:
            return []
        self._recorder._insert_stored_events(self._curs, stored_events)
        return list(self._recorder._fetch_ids_after_insert_events(self._curs, stored_events) or [])

    def _insert_at(self, events: Sequence[ChainedEvent]) -> None:
        r = self._recorder
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
        r._notify_channel(self._curs)


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
        recorder = cls(datastore=self.datastore, events_table_name=EVENTS_TABLE)
        if self.env_create_table():
            recorder.create_table()
        return recorder
