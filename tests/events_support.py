"""Domain events built directly in tests, typed for mypy."""

from __future__ import annotations

from typing import Any, TypeVar

from ledger.domain.base import LedgerAggregate

E = TypeVar("E", bound=LedgerAggregate.Event)


def built(cls: type[E], **fields: Any) -> E:
    """An event of `cls` from its fields.

    eventsourcing turns each event class into a dataclass at run time, through a metaclass
    mypy does not read, so mypy sees only the base fields in `cls(...)`; the event returned
    still has the type of its class.
    """
    return cls(**fields)
