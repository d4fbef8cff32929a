"""A batch: the unit of work of one command file, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository

from ledger.domain.base import LedgerAggregate
from ledger.domain.body import Body
from ledger.errors import RecordNotFoundError, RuleViolationError

A = TypeVar("A", bound=LedgerAggregate)


class Batch:
    """Loads records once, keeps them for the batch, and hands back what changed to be saved."""

    def __init__(self, repository: Repository[UUID]) -> None:
        self.repository = repository
        self.records: dict[UUID, LedgerAggregate] = {}

    def find(self, cls: type[A], record_id: UUID) -> A | None:
        """The record with this id, from this batch or the store; None if there is none."""
        record = self.records.get(record_id)
        if record is None:
            try:
                record = self.repository.get(record_id)
            except AggregateNotFoundError:
                return None
            self.records[record_id] = record
        if not isinstance(record, cls):
            raise RuleViolationError("id", f"record {record_id} is a {type(record).__name__}")
        return record

    def get(self, cls: type[A], record_id: UUID, field: str, key: str) -> A:
        """The record with this id; refuses, naming the field, if it was never recorded."""
        record = self.find(cls, record_id)
        if record is None:
            raise RecordNotFoundError(field, cls.KIND, key)
        return record

    def add(self, record: LedgerAggregate) -> None:
        """Keeps a new record for saving."""
        self.records[record.id] = record

    def create(
        self, cls: type[A], record_id: UUID, field: str, key: str, make: Callable[[], A]
    ) -> A:
        """Creates a record with `make()`, or keeps the existing one if it has the same values.

        Importing the same document twice changes nothing; a different value for an
        existing record is refused (record a correction instead).
        """
        existing = self.find(cls, record_id)
        candidate = make()
        if existing is None:
            self.add(candidate)
            return candidate
        old = existing.facts[1]
        new = candidate.facts[1]
        for name in type(new).__dataclass_fields__:
            if name in ("timestamp", "originator_topic", "originator_id", "originator_version"):
                continue
            if getattr(old, name) != getattr(new, name):
                raise RuleViolationError(
                    name,
                    f"{cls.KIND} '{key}' is already recorded with {name} = "
                    f"{getattr(old, name)!r}; record a correction to change it",
                )
        return existing

    def body(self, slug: str) -> Body:
        """The registered body `slug`."""
        return self.get(Body, Body.id_for(slug), "body", slug)

    def pending(self) -> list[LedgerAggregate]:
        """The records with new events."""
        return [r for r in self.records.values() if r.pending_events]
