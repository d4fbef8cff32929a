"""The interface common to both chained recorders, and the chain logic they share."""

from __future__ import annotations

import sqlite3
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    OperationalError,
    PersistenceError,
)

from ledger.store.chain import GENESIS, ChainedEvent, ChainError, ChainHead, Digest, StoreError

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence
    from contextlib import AbstractContextManager

    from eventsourcing.persistence import StoredEvent

    from ledger.store.tree import TreeCursor

#: One row of the chain scan: position, recorded_at text, stored hash, and the event's
#: canonical originator_id, originator_version, topic and state (all None if the event
#: row is missing).
ChainRow = tuple[int, str, bytes, str | None, int | None, str | None, bytes | None]


class ChainReader(Protocol):
    """A consistent read-only snapshot of the chain and the events table."""

    def chain_rows(self, after: int, limit: int) -> list[ChainRow]:
        """Chain rows with position > after, in position order, joined to their events."""
        ...

    def first_unchained_event(self, after: int, upto: int | None) -> int | None:
        """The lowest event position in (after, upto] that has no chain row, if any."""
        ...

    @property
    def tree(self) -> TreeCursor:
        """The Merkle tree and the checkpoint history, read in the same snapshot."""
        ...


class CursorChainReader:
    """The ChainReader of both backends: the recorder's two statements over one DB-API cursor.

    The recorder provides `_sql_chain_rows` (after, limit) and `_sql_unchained` (after, upto)
    in its driver's dialect; the cursor must return plain tuples.
    """

    def __init__(self, recorder: Any, cursor: Any) -> None:
        self._recorder = recorder
        self._cursor = cursor

    def chain_rows(self, after: int, limit: int) -> list[ChainRow]:
        """Chain rows with position > after, in position order, joined to their events."""
        self._cursor.execute(self._recorder._sql_chain_rows, (after, limit))
        rows: list[ChainRow] = self._cursor.fetchall()
        return rows

    def first_unchained_event(self, after: int, upto: int | None) -> int | None:
        """The lowest event position in (after, upto] that has no chain row, if any."""
        self._cursor.execute(
            self._recorder._sql_unchained, (after, (1 << 63) - 1 if upto is None else upto)
        )
        row = self._cursor.fetchone()
        return None if row is None else int(row[0])

    @property
    def tree(self) -> TreeCursor:
        """The Merkle tree and the checkpoint history, read in the same snapshot."""
        tree: TreeCursor = self._recorder._tree(self._cursor)
        return tree


class ChainWriter(ABC):
    """A write transaction holding the store's write lock; commits when the block ends."""

    @abstractmethod
    def head(self) -> ChainHead | None:
        """The last chain row, or None when the chain is empty."""

    @abstractmethod
    def chain_length(self) -> int:
        """The number of chain rows."""

    @abstractmethod
    def existing(self, originator_ids: Collection[str]) -> dict[tuple[str, int], tuple[str, bytes]]:
        """Stored (topic, state) by (canonical originator_id, version) for these originators."""

    @abstractmethod
    def tree(self) -> TreeCursor:
        """The Merkle tree and the checkpoint history, in this write transaction."""

    @abstractmethod
    def catch_up_tree(self) -> int:
        """Build the leaves the tree lacks up to the chain's head; the tree size."""

    @abstractmethod
    def append(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        """Append events as new chain links (new positions, recorded_at now); their positions."""

    @abstractmethod
    def _insert_at(self, events: Sequence[ChainedEvent]) -> None:
        """Insert already validated events and chain rows at their given positions."""

    def insert_chained(self, events: Sequence[ChainedEvent]) -> None:
        """Insert events at their positions with their recorded_at and hashes, extending the head.

        Each event must come after the head (position and recorded_at) and its hash must
        follow from the previous link; otherwise ChainError and nothing is written.
        """
        if not events:
            return
        head = self.head()
        previous = head.hash if head else GENESIS
        last_position = head.position if head else 0
        last_recorded_at = head.recorded_at if head else ""
        for event in events:
            recorded_at = event.recorded_at_text
            if event.position <= last_position:
                msg = (
                    f"position {event.position} does not come after position {last_position}"
                    " (chain positions must increase)"
                )
                raise ChainError(msg)
            if recorded_at < last_recorded_at:
                msg = (
                    f"position {event.position}: recorded_at {recorded_at} is before "
                    f"{last_recorded_at} (recorded_at must not decrease)"
                )
                raise ChainError(msg)
            expected = event.expected_hash(previous)
            if expected != event.hash:
                msg = (
                    f"position {event.position}: hash {event.hash.hex()} does not follow from "
                    f"the previous link (expected {expected.hex()})"
                )
                raise ChainError(msg)
            previous = event.hash
            last_position = event.position
            last_recorded_at = recorded_at
        self._insert_at(events)


class ChainedRecorder(ApplicationRecorder, ABC):
    """An application recorder that extends one global SHA-256 chain with every insert."""

    @abstractmethod
    def select_chained(
        self, start: int, limit: int, *, topics: Sequence[str] = ()
    ) -> list[ChainedEvent]:
        """Events with their chain rows, position >= start, in position order, at most limit."""

    @abstractmethod
    def head(self) -> Digest | None:
        """The chain's last (position, hash), or None when the ledger is empty."""

    @abstractmethod
    def chain_reader(self) -> AbstractContextManager[ChainReader]:
        """Open a consistent read-only snapshot for scanning the chain (verify, export)."""

    @abstractmethod
    def chain_writer(self) -> AbstractContextManager[ChainWriter]:
        """Open one write transaction under the write lock (import)."""

    @abstractmethod
    def close(self) -> None:
        """Close the recorder's connections."""

    @abstractmethod
    def any_created(self, originator_ids: Sequence[UUID]) -> bool:
        """Whether any of these records has its first event stored (one query per 500 ids)."""

    def reconnect(self) -> None:
        """Drops pooled connections that broke (after a server restart); a no-op by default."""

    def insert_chained(self, events: Sequence[ChainedEvent]) -> None:
        """Insert events at given positions/recorded_at/hashes (see ChainWriter.insert_chained)."""
        with self.chain_writer() as writer:
            writer.insert_chained(events)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# -- failures of the store itself ------------------------------------------------------


FailureKind = Literal["unreachable", "lock timeout", "statement timeout", "failed"]


class StoreTimeoutError(StoreError):
    """A write waited longer than its lock or statement timeout; the message names which."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        self.kind = kind
        super().__init__(message)


@dataclass(frozen=True)
class StoreFailure:
    """What went wrong with the database itself (not with the ledger's data), in one line."""

    kind: FailureKind
    reason: str

    @property
    def transient(self) -> bool:
        """Whether trying again later may work (the store was unreachable or busy)."""
        return self.kind != "failed"

    def message(self, store: str) -> str:
        """One line naming the store (its URL without the password) and what went wrong."""
        if self.kind == "unreachable":
            return f"cannot reach the store {store}: {self.reason}"
        if self.kind == "lock timeout":
            return f"the store {store} timed out waiting for a lock: {self.reason}"
        if self.kind == "statement timeout":
            return f"the store {store} cancelled a statement that ran too long: {self.reason}"
        return f"the store {store} failed: {self.reason}"


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and the exceptions it was raised from or while handling (and a SQLAlchemy
    error's driver error), first to last."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        orig = getattr(current, "orig", None)
        todo.extend(
            [
                orig if isinstance(orig, BaseException) else None,
                current.__cause__,
                current.__context__,
            ]
        )
    return seen


def _driver_failure(error: BaseException) -> StoreFailure | None:
    """The failure a database driver's error (psycopg, psycopg_pool, sqlite3) stands for."""
    psycopg = sys.modules.get("psycopg")  # not imported: no psycopg error can exist
    if psycopg is not None and isinstance(error, psycopg.Error):
        errors = psycopg.errors
        if isinstance(error, errors.LockNotAvailable):
            return StoreFailure("lock timeout", _one_line(error))
        if isinstance(error, errors.QueryCanceled):
            return StoreFailure("statement timeout", _one_line(error))
        if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
            return StoreFailure("unreachable", _one_line(error))
        return StoreFailure("failed", _one_line(error))
    if isinstance(error, sqlite3.Error):
        text = _one_line(error)
        if "locked" in text or "busy" in text:
            return StoreFailure("lock timeout", text)
        if isinstance(error, sqlite3.OperationalError | sqlite3.InterfaceError):
            return StoreFailure("unreachable", text)
        return StoreFailure("failed", text)
    return None


def store_failure(exc: BaseException) -> StoreFailure | None:
    """What went wrong with the store if `exc` is (or was raised from) a database error:
    unreachable (no connection, or it broke), a lock or statement timeout, or another
    failure of the database; None for any other exception."""
    chain = _chain(exc)
    for error in chain:
        if isinstance(error, StoreTimeoutError):
            return StoreFailure(error.kind, _one_line(error))
    for error in chain:
        found = _driver_failure(error)
        if found is not None:
            return found
    for error in chain:
        if isinstance(error, OperationalError | InterfaceError):
            return StoreFailure("unreachable", _one_line(error))
        if isinstance(error, PersistenceError):
            return StoreFailure("failed", _one_line(error))
    return None
