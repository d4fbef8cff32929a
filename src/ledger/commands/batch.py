"""A batch: the unit of work of one command file, all or nothing."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.persistence import ApplicationRecorder

from ledger.domain.base import LedgerAggregate
from ledger.domain.body import Body
from ledger.errors import RecordNotFoundError, RuleViolationError
from ledger.store.base import ChainedRecorder

A = TypeVar("A", bound=LedgerAggregate)

# Pages of the scan for records changed by another writer; past this many new events the
# kept records are dropped instead.
_SCAN_PAGE = 1000
_SCAN_LIMIT = 20_000


def replay(
    record: LedgerAggregate | None, events: Iterable[LedgerAggregate.Event]
) -> LedgerAggregate | None:
    """Applies stored events to a record in turn: eventsourcing's `project_aggregate`
    without its assertion per event, an isinstance check against a runtime protocol that
    dominates reading a long record (bench/PROFILES.md, 6.1)."""
    for event in events:
        record = event.mutate(record)
    return record


def read_record(repository: Repository[UUID], record_id: UUID) -> LedgerAggregate:
    """The record with this id, read from the store; AggregateNotFoundError if none."""
    record: LedgerAggregate = repository.get(record_id, projector_func=replay)
    return record


class RecordSource(Protocol):
    """Where a batch loads records from: the application's repository or a RecordCache."""

    def get(self, aggregate_id: UUID) -> LedgerAggregate:
        """The record with this id; AggregateNotFoundError if there is none."""
        ...


class RecordCache:
    """Keeps the records of one application's batches between batches (least recently used).

    A kept record is handed to the next batch as it is, without a read from the store: the
    batch changes it in place, so `saved` keeps it after a successful save and `discard`
    drops every record of a batch that failed. Before each batch `refresh` asks the store
    for its last position; if another writer appended since, the records it changed are
    dropped (they are read again when needed). A store written only by this application
    therefore costs one `max(position)` query per batch instead of one read per record.

    While `assume_absent` is set, a record the batch creates and that is not kept is taken
    to be new without reading it; `existing` then checks all of them in one query before
    the save, and the caller runs the batch again without the assumption if any exists
    (or if anything else goes wrong), so the outcome is the same as reading each one.
    """

    def __init__(
        self, repository: Repository[UUID], recorder: ApplicationRecorder, maxsize: int
    ) -> None:
        self.repository = repository
        self.recorder = recorder
        self.maxsize = maxsize
        self.records: OrderedDict[UUID, LedgerAggregate] = OrderedDict()
        # The store's position up to which the kept records are known to be current.
        self.position: int | None = None
        self.assume_absent = False
        self.assumed: set[UUID] = set()

    def get(self, aggregate_id: UUID) -> LedgerAggregate:
        """The kept record, else the one read from the store."""
        record = self.records.get(aggregate_id)
        if record is not None:
            self.records.move_to_end(aggregate_id)
            return record
        return read_record(self.repository, aggregate_id)

    def get_for_create(self, aggregate_id: UUID) -> LedgerAggregate:
        """Like `get`, for a record about to be created: taken as absent if allowed."""
        if self.assume_absent and aggregate_id not in self.records:
            self.assumed.add(aggregate_id)
            raise AggregateNotFoundError(aggregate_id)
        return self.get(aggregate_id)

    def existing(self, ids: Iterable[UUID]) -> bool:
        """Whether any of these records exists in the store (one query per 500 ids)."""
        ids = list(ids)
        if isinstance(self.recorder, ChainedRecorder):
            return self.recorder.any_created(ids)
        return any(self.recorder.select_events(x, limit=1) for x in ids)

    def refresh(self) -> None:
        """Drops the kept records that another writer changed since the last batch."""
        self.assumed.clear()
        head = self.recorder.max_notification_id() or 0
        if self.position is None or head < self.position or head - self.position > _SCAN_LIMIT:
            self.records.clear()
            self.position = head
            return
        start = self.position + 1
        while start <= head:
            page = self.recorder.select_notifications(start, _SCAN_PAGE, stop=head)
            if not page:
                break
            for notification in page:
                oid = notification.originator_id
                record = self.records.get(oid if isinstance(oid, UUID) else UUID(str(oid)))
                if record is not None and record.version < notification.originator_version:
                    del self.records[record.id]
            start = page[-1].id + 1
        self.position = head

    def saved(self, records: Iterable[LedgerAggregate], positions: Sequence[int]) -> None:
        """Keeps the records of a saved batch; moves on if no other writer came in between."""
        for record in records:
            self.records[record.id] = record
            self.records.move_to_end(record.id)
        while len(self.records) > self.maxsize:
            self.records.popitem(last=False)
        if (
            positions
            and self.position is not None
            and min(positions) == self.position + 1
            and max(positions) == self.position + len(positions)
        ):
            self.position = max(positions)

    def discard(self, records: Iterable[UUID]) -> None:
        """Drops records a failed batch may have changed."""
        for record_id in records:
            self.records.pop(record_id, None)


class Batch:
    """Loads records once, keeps them for the batch, and hands back what changed to be saved."""

    def __init__(self, repository: RecordSource) -> None:
        self.repository = repository
        self.records: dict[UUID, LedgerAggregate] = {}
        # While watching: each record used since `watch`, with its pending events and
        # settled repeats at that moment.
        self._watched: dict[UUID, tuple[int, int]] | None = None
        # The settled repeats each record read from the source had counted before.
        self._settled_before: dict[UUID, int] = {}

    def watch(self) -> None:
        """Starts watching which records the next commands change (see `watched`)."""
        self._watched = {}

    def watched(self) -> tuple[bool, bool]:
        """Whether the commands since `watch` appended events, and whether any was settled.

        Looks only at the records those commands used, so a trial run costs the same per
        row however many records the batch holds.
        """
        changed = settled = False
        for record_id, (pending, repeats) in (self._watched or {}).items():
            record = self.records.get(record_id)
            if record is None:
                continue
            changed = changed or len(record.pending_events) > pending
            settled = settled or record.settled_repeats > repeats
        return changed, settled

    def _keep(self, record: LedgerAggregate, *, new: bool = False) -> None:
        watched = self._watched
        if watched is not None and record.id not in watched:
            watched[record.id] = (
                (0, 0) if new else (len(record.pending_events), record.settled_repeats)
            )

    def find(self, cls: type[A], record_id: UUID, *, creating: bool = False) -> A | None:
        """The record with this id, from this batch or the store; None if there is none."""
        record = self.records.get(record_id)
        if record is None:
            source = self.repository
            load: Callable[[UUID], LedgerAggregate] = source.get
            if isinstance(source, Repository):
                load = partial(read_record, source)
            elif creating:
                load = getattr(source, "get_for_create", load)
            try:
                record = load(record_id)
            except AggregateNotFoundError:
                return None
            self.records[record_id] = record
            self._settled_before[record_id] = record.settled_repeats
        if self._watched is not None:
            self._keep(record)
        if not isinstance(record, cls):
            raise RuleViolationError("id", f"record {record_id} is a {type(record).__name__}")
        return record

    def get(self, cls: type[A], record_id: UUID, field: str, key: str) -> A:
        """The record with this id; refuses, naming the field, if it was never recorded.

        A record retracted as a whole is returned too: a command that repeats one of its
        retracted facts appends nothing, and the record refuses any new one.
        """
        record = self.find(cls, record_id)
        if record is None:
            raise RecordNotFoundError(field, cls.KIND, key)
        return record

    def add(self, record: LedgerAggregate) -> None:
        """Keeps a new record for saving."""
        self.records[record.id] = record
        self._keep(record, new=True)

    def create(
        self, cls: type[A], record_id: UUID, field: str, key: str, make: Callable[[], A]
    ) -> A:
        """Creates a record with `make()`, or keeps the existing one if it has the same values.

        Importing the same document twice changes nothing, also after the record was
        corrected (its values as first recorded, or as any correction left them, repeat
        it), and whatever its source; a different value is refused, naming the field
        (record a correction instead).
        """
        existing = self.find(cls, record_id, creating=True)
        candidate = make()
        if existing is None:
            self.add(candidate)
            return candidate
        new = candidate.facts[1]
        names = [n for n in type(new).__dataclass_fields__ if n not in _NOT_COMPARED]
        states = existing.variants(1)
        gone = existing.gone
        for position, old in enumerate(states):
            if all(getattr(old, n) == getattr(new, n) for n in names):
                if gone or position < len(states) - 1:
                    existing.note_settled()  # settled by the retraction or correction
                return existing
        if gone:
            raise RuleViolationError(
                field,
                f"{cls.KIND} '{key}' was retracted as a whole (version 1); a record of that "
                "key cannot be recorded again",
            )
        current = states[-1]
        name = next(n for n in names if getattr(current, n) != getattr(new, n))
        raise RuleViolationError(
            name,
            f"{cls.KIND} '{key}' is already recorded with {name} = "
            f"{_shown(getattr(current, name))}; record a correction to change it",
        )

    def body(self, slug: str) -> Body:
        """The registered body `slug`."""
        return self.get(Body, Body.id_for(slug), "body", slug)

    def settled(self) -> int:
        """How many commands of this batch repeated a fact retracted or corrected since."""
        return sum(
            record.settled_repeats - self._settled_before.get(record_id, 0)
            for record_id, record in self.records.items()
        )

    def pending(self) -> list[LedgerAggregate]:
        """The records with new events."""
        return [r for r in self.records.values() if r.pending_events]


#: Fields of a creating event that a repeat is not compared in: bookkeeping, and the
#: source (where the record was taken from is no part of what it states; the source
#: first recorded stands, see ledger.domain.base.check_source).
_NOT_COMPARED = frozenset(
    {"timestamp", "originator_topic", "originator_id", "originator_version", "source"}
)


def _shown(value: object) -> str:
    """A value as a person writes it in a command file."""
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)
