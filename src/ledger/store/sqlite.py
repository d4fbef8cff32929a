"""The SQLite chained recorder: eventsourcing's SQLite recorder plus the hash chain."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, OperationalError, StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
    SQLiteTransaction,
)
from eventsourcing.utils import resolve_topic

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
    extend_links,
    next_recorded_at,
    now_recorded_at,
)
from ledger.store.tree import TreeCursor, TreeKeeper, TreeSQL, event_leaf

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Sequence

_SQLITE_MAX_VARIABLES = 500

#: A BLOB parameter as the appends pass it to sqlite3: a bytearray holds the same bytes and
#: is bound the same way (sqlite3_bind_blob), but sqlite3 binds it as it is, while it looks
#: up an adapter for every bytes value, asking the protocol class for `__adapt__`, which
#: raises and discards an AttributeError per value (CPython 3.11; bench/PROFILES.md, 1.5).
#: Made row by row as executemany reads its rows, so a large batch holds no second copy.
_blob = bytearray


class ImmediateTransaction(SQLiteTransaction):
    """A SQLite transaction that takes the database write lock at once (BEGIN IMMEDIATE)."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            cursor.sqlite_cursor.close()
            raise OperationalError(e) from e
        return cursor


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder, ChainedRecorder):
    """SQLite application recorder extending the hash chain in each insert's transaction."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = EVENTS_TABLE):
        if datastore.originator_id_type != "uuid":
            msg = "ORIGINATOR_ID_TYPE must be 'uuid' for the chained recorder"
            raise ChainError(msg)
        # Before the base class asks for the create statements.
        self._tree_sql = TreeSQL("?", blob="BLOB", group_key="INTEGER")
        self._tree_keeper = TreeKeeper()
        super().__init__(datastore, events_table_name)
        t, c = self.events_table_name, CHAIN_TABLE
        self._sql_head = (
            f"SELECT position, recorded_at, hash FROM {c} ORDER BY position DESC LIMIT 1"
        )
        self._sql_insert_chain = f"INSERT INTO {c} (position, recorded_at, hash) VALUES (?,?,?)"
        self._sql_max_rowid = f"SELECT max(rowid) FROM {t}"
        self._sql_insert_event_at = (
            f"INSERT INTO {t} (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?,?,?,?,?)"
        )
        self._sql_chain_rows = (
            f"SELECT c.position, c.recorded_at, c.hash, "
            f"e.originator_id, e.originator_version, e.topic, e.state "
            f"FROM {c} c LEFT JOIN {t} e ON e.rowid = c.position "
            f"WHERE c.position > ? ORDER BY c.position LIMIT ?"
        )
        self._sql_unchained = (
            f"SELECT e.rowid FROM {t} e WHERE e.rowid > ? AND e.rowid <= ? "
            f"AND NOT EXISTS (SELECT 1 FROM {c} c WHERE c.position = e.rowid) "
            f"ORDER BY e.rowid LIMIT 1"
        )
        self._sql_select_chained = (
            f"SELECT c.position, c.recorded_at, e.originator_id, e.originator_version, "
            f"e.topic, e.state, c.hash FROM {t} e JOIN {c} c ON c.position = e.rowid "
            f"WHERE e.rowid >= ? "
        )

    def construct_create_table_statements(self) -> list[str]:
        """The events table (eventsourcing's) plus the chain table."""
        statements = super().construct_create_table_statements()
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} ("
            "position INTEGER PRIMARY KEY, "
            "recorded_at TEXT NOT NULL, "
            "hash BLOB NOT NULL)"
        )
        statements.extend(self._tree_sql.create)
        return statements

    def create_table(self) -> None:
        """Create the tables under the write lock, so that processes may start together.

        A store made before the Merkle tree existed gets its tree here, once, from the
        chain (see ledger.store.tree); afterwards this finds it complete in two reads.
        """
        with self._write_transaction() as c:
            self._create_table(c)
            head = self._read_head(c)
            self._tree_keeper.catch_up(
                self._tree(c), self._chain_rows_on(c), head.position if head else 0
            )

    def _tree(self, c: Any) -> TreeCursor:
        return TreeCursor(self._tree_sql, c)

    def _chain_rows_on(self, c: Any) -> Any:
        """Chain rows (position > after, at most limit) read through an open cursor."""

        def rows(after: int, limit: int) -> list[Any]:
            c.execute(self._sql_chain_rows, (after, limit))
            return [tuple(r) for r in c.fetchall()]

        return rows

    @contextmanager
    def _write_transaction(self) -> Iterator[SQLiteCursor]:
        connection = self.datastore.get_connection(commit=True)
        with connection as conn, ImmediateTransaction(conn, commit=True) as curs, curs:
            yield curs

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert events and their chain links in one BEGIN IMMEDIATE transaction."""
        with self._write_transaction() as c:
            return self._insert_events(c, stored_events, **kwargs)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # Store every id as UUID.hex (eventsourcing would store a str id as given).
        rows = [
            (
                (
                    e.originator_id if isinstance(e.originator_id, UUID) else UUID(e.originator_id)
                ).hex,
                e.originator_version,
                e.topic,
                e.state,
            )
            for e in stored_events
        ]
        if not rows:
            return []
        # One executemany instead of eventsourcing's execute per event: under the write
        # lock each row gets the largest rowid + 1, so the batch's positions follow the
        # largest rowid before it; checked against the largest after it.
        before = self._max_rowid(c)
        c.executemany(self.insert_events_statement, ((o, v, t, _blob(s)) for o, v, t, s in rows))
        positions = range(before + 1, before + 1 + len(rows))
        after = self._max_rowid(c)
        if after != positions[-1]:
            msg = (
                f"the events written got positions up to {after}, not {before + 1}.."
                f"{positions[-1]}: the store is damaged (run verify)"
            )
            raise ChainError(msg)
        self._extend_chain(c, positions, rows)
        return list(positions)

    def _max_rowid(self, c: SQLiteCursor) -> int:
        c.execute(self._sql_max_rowid)
        row = c.fetchone()
        return int(row[0]) if row is not None and row[0] is not None else 0

    def _read_head(self, c: SQLiteCursor) -> ChainHead | None:
        c.execute(self._sql_head)
        row = c.fetchone()
        if row is None:
            return None
        return ChainHead(row[0], row[1], bytes(row[2]))

    def _extend_chain(
        self,
        c: SQLiteCursor,
        positions: Sequence[int],
        rows: Sequence[tuple[str, int, str, bytes]],
    ) -> None:
        """Chain and tree rows of events just written at `positions` (ascending), given as
        (originator id hex, version, topic, state)."""
        head = self._read_head(c)
        previous = head.hash if head else GENESIS
        before = head.position if head else 0
        recorded_at = next_recorded_at(now_recorded_at(), head.recorded_at if head else None)
        hashes, leaves = extend_links(
            previous,
            before,
            recorded_at,
            ((p, *row) for p, row in zip(positions, rows, strict=True)),
        )
        c.executemany(
            self._sql_insert_chain,
            ((p, recorded_at, _blob(h)) for p, h in zip(positions, hashes, strict=True)),
        )
        self._tree_keeper.append(self._tree(c), self._chain_rows_on(c), before, positions, leaves)

    def select_chained(
        self, start: int, limit: int, *, topics: Sequence[str] = ()
    ) -> list[ChainedEvent]:
        """Events with their chain rows, position >= start, in position order."""
        statement = self._sql_select_chained
        params: list[Any] = [start]
        if topics:
            statement += f"AND e.topic IN ({','.join('?' * len(topics))}) "
            params.extend(topics)
        statement += "ORDER BY e.rowid LIMIT ?"
        params.append(limit)
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            # The store wrote recorded_at itself in canonical form: no need to re-check it.
            return [
                ChainedEvent(
                    position=row[0],
                    recorded_at=datetime.fromisoformat(row[1]),
                    originator_id=UUID(row[2]),
                    originator_version=row[3],
                    topic=row[4],
                    state=bytes(row[5]),
                    hash=bytes(row[6]),
                )
                for row in c.fetchall()
            ]

    def any_created(self, originator_ids: Sequence[UUID]) -> bool:
        """Whether any of these records has its first event stored (one query per 500 ids)."""
        for i in range(0, len(originator_ids), ID_CHUNK):
            chunk = [x.hex for x in originator_ids[i : i + ID_CHUNK]]
            with self.datastore.transaction(commit=False) as c:
                c.execute(
                    f"SELECT 1 FROM {self.events_table_name} WHERE originator_version = 1 "
                    f"AND originator_id IN ({','.join('?' * len(chunk))}) LIMIT 1",
                    chunk,
                )
                if c.fetchone() is not None:
                    return True
        return False

    def head(self) -> Digest | None:
        """The chain's last (position, hash), or None when the ledger is empty."""
        with self.datastore.transaction(commit=False) as c:
            head = self._read_head(c)
        return head.digest if head else None

    @contextmanager
    def chain_reader(self) -> Iterator[CursorChainReader]:
        """One read transaction (a WAL snapshot) for scanning the chain."""
        with self.datastore.transaction(commit=False) as c:
            cursor = c.sqlite_cursor
            cursor.row_factory = None  # plain tuples: much cheaper than sqlite3.Row for a scan
            yield CursorChainReader(self, cursor)

    @contextmanager
    def chain_writer(self) -> Iterator[_SQLiteChainWriter]:
        """One BEGIN IMMEDIATE transaction; commits when the block ends without error."""
        with self._write_transaction() as c:
            yield _SQLiteChainWriter(self, c)

    def close(self) -> None:
        """Close the datastore's connections."""
        self.datastore.close()


class _SQLiteChainWriter(ChainWriter):
    """The import primitives inside one BEGIN IMMEDIATE transaction (see ChainWriter)."""

    def __init__(self, recorder: ChainedSQLiteApplicationRecorder, cursor: SQLiteCursor):
        self._recorder = recorder
        self._c = cursor

    def head(self) -> ChainHead | None:
        return self._recorder._read_head(self._c)

    def chain_length(self) -> int:
        self._c.execute(f"SELECT count(*) FROM {CHAIN_TABLE}")
        return int(self._c.fetchone()[0])

    def existing(self, originator_ids: Collection[str]) -> dict[tuple[str, int], tuple[str, bytes]]:
        ids = list(originator_ids)
        found: dict[tuple[str, int], tuple[str, bytes]] = {}
        table = self._recorder.events_table_name
        for i in range(0, len(ids), _SQLITE_MAX_VARIABLES):
            chunk = ids[i : i + _SQLITE_MAX_VARIABLES]
            self._c.execute(
                f"SELECT originator_id, originator_version, topic, state FROM {table} "
                f"WHERE originator_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for row in self._c.fetchall():
                found[(row[0], row[1])] = (row[2], bytes(row[3]))
        return found

    def append(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        return list(self._recorder._insert_events(self._c, stored_events) or [])

    def tree(self) -> TreeCursor:
        return self._recorder._tree(self._c)

    def catch_up_tree(self) -> int:
        head = self.head()
        r = self._recorder
        return r._tree_keeper.prepare(
            self.tree(), r._chain_rows_on(self._c), head.position if head else 0
        ).size

    def _insert_at(self, events: Sequence[ChainedEvent]) -> None:
        head = self.head()
        self._c.executemany(
            self._recorder._sql_insert_event_at,
            [
                (e.position, e.originator_id.hex, e.originator_version, e.topic, e.state)
                for e in events
            ],
        )
        self._c.executemany(
            self._recorder._sql_insert_chain,
            [(e.position, e.recorded_at_text, e.hash) for e in events],
        )
        r = self._recorder
        r._tree_keeper.append(
            self.tree(),
            r._chain_rows_on(self._c),
            head.position if head else 0,
            [e.position for e in events],
            [event_leaf(e) for e in events],
        )


class ChainedSQLiteFactory(SQLiteFactory):
    """eventsourcing's SQLite factory whose application recorder is the chained one."""

    application_recorder_class = ChainedSQLiteApplicationRecorder

    def application_recorder(self) -> ApplicationRecorder:
        """Construct (and create the tables of) the chained application recorder."""
        topic = self.env.get(self.APPLICATION_RECORDER_TOPIC)
        cls: type[ChainedSQLiteApplicationRecorder] = (
            resolve_topic(topic) if topic else self.application_recorder_class
        )
        if not (isinstance(cls, type) and issubclass(cls, ChainedSQLiteApplicationRecorder)):
            msg = f"APPLICATION_RECORDER_TOPIC {topic!r} is not a chained SQLite recorder"
            raise ChainError(msg)
        recorder = cls(datastore=self.datastore)
        if self.env_create_table():
            recorder.create_table()
        return recorder


__all__ = [
    "ChainedSQLiteApplicationRecorder",
    "ChainedSQLiteFactory",
    "ImmediateTransaction",
]
