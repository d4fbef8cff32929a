"""The vocabulary of event types (Ereignisarten) the trail filters by: `--type`, `?type=`."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import ledger.domain
from ledger.domain.base import LedgerAggregate


@cache
def event_types() -> frozenset[str]:
    """Every event type a record can store, as the trail names it ("Measure.StatusUpdated")."""
    for module in pkgutil.iter_modules(ledger.domain.__path__):
        importlib.import_module(f"ledger.domain.{module.name}")
    found: set[str] = set()
    pending: list[type[LedgerAggregate]] = [LedgerAggregate]
    while pending:
        record = pending.pop()
        pending.extend(record.__subclasses__())
        for name in dir(record):
            value = getattr(record, name)
            # "Event" and "Created" are the bases eventsourcing makes for each record kind.
            if (
                isinstance(value, type)
                and issubclass(value, LedgerAggregate.Event)
                and value.__qualname__ == f"{record.__qualname__}.{value.__name__}"
                and value.__name__ not in ("Event", "Created")
                and record is not LedgerAggregate
            ):
                found.add(value.__qualname__)
    return frozenset(found)


def event_type_names() -> list[str]:
    """What `--type` and `?type=` accept: each event type in full and by its last part."""
    known = event_types()
    return sorted(known | {name.split(".")[-1] for name in known})


def check_event_type(type_: str) -> str | None:
    """None if `type_` names an event type (in full or its last part), else why not."""
    known = event_types()
    if type_ in known or any(name.endswith("." + type_) for name in known):
        return None
    names = ", ".join(sorted({name.split(".")[-1] for name in known}))
    return f"unknown event type {type_!r}; known types: {names}"
