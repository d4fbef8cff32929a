"""The interface common to both chained recorders, and the chain logic they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Protocol, Self
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder

from ledger.store.chain import GENESIS, ChainedEvent, ChainError, ChainHead, Digest

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence
    from contextlib import AbstractContextManager

    from eventsourcing.persistence import StoredEvent

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

    def insert_chained(self, events: Sequence[ChainedEvent]) -> None:
        """Insert events at given positions/recorded_at/hashes (see ChainWriter.insert_chained)."""
        with self.chain_writer() as writer:
            writer.insert_chained(events)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
