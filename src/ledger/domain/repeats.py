"""What a command repeats: a record's facts looked up by identity, retracted and corrected ones too.

Recording the same file twice must append nothing, and a fact that was retracted or
corrected must not come back when its file is recorded (or its export imported) again.
So a command is matched against every fact of its kind that the record ever held, as
first recorded and as each correction left it, by the fields that identify a fact of
that kind (`LedgerAggregate.Event.IDENTITY`; by default every field compared), in the
fields compared (`LedgerAggregate.Event.COMPARED`, or those a command states):

- the same values as the standing fact: already recorded (`standing`);
- the same values as a retracted fact, or as a corrected fact before its correction:
  settled by that retraction or correction (`settled`); nothing is appended;
- the identity of a standing fact with other values: a contradiction, reported naming
  the first field that differs (`contradicts`);
- anything else is new. A retracted fact, or a value a correction replaced, does not
  block a new fact with other values: it was recorded in error.

A fact's `source` (where it was taken from, see ledger.domain.base.check_source) is in
neither its identity nor the comparison (`record_once` leaves it out, and the records
that look up some fields only do not pass it), so the same vote taken from an OParl
server and from a protocol file is one fact, whose first recorded source stands (a
correction may replace it).

The index is kept per record and extended as facts come, so a look-up costs the same
however many facts the record has.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from operator import attrgetter
from typing import Any, Literal

Status = Literal["new", "standing", "settled", "contradicts"]
Names = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Repeat:
    """How a command relates to the facts already recorded (see the module docstring).

    `fact` is the matched fact as it stood (first recorded, or as a correction left it),
    `version` its version, and `field` the first field that contradicts it.
    """

    status: Status
    fact: Any = None
    version: int = 0
    field: str = ""


NEW = Repeat("new")


def frozen(value: Any) -> Hashable:
    """A value as a dictionary key: lists become tuples, mappings sorted tuples of items."""
    if isinstance(value, list | tuple):
        return tuple(frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, frozen(v)) for k, v in value.items()))
    hashable: Hashable = value
    return hashable


@cache
def getter(names: Names) -> attrgetter[Any]:
    """Reads the values in `names` of a fact (one value, or a tuple of them) in C."""
    return attrgetter(*names)


class _Index:
    """The facts of one event class by their values in `names`: key -> versions.

    The key is the value itself for one name, else the tuple of the values (attrgetter
    reads them in C); a value that does not hash (a list) is frozen.
    """

    __slots__ = ("by_key", "getter", "single")

    def __init__(self, names: Names) -> None:
        self.getter = getter(names)
        self.single = len(names) == 1
        self.by_key: dict[Any, list[int]] = {}

    def add(self, fact: Any, version: int) -> None:
        """Files `fact` (at `version`) under its values."""
        values = self.getter(fact)
        try:
            versions = self.by_key.setdefault(values, [])
        except TypeError:
            versions = self.by_key.setdefault(frozen(values), [])
        if version not in versions:
            versions.append(version)

    def get(self, values: Any) -> list[int] | None:
        """The versions filed under these values (the value, or a tuple of them)."""
        try:
            return self.by_key.get(values)
        except TypeError:
            return self.by_key.get(frozen(values))


class Repeats:
    """A record's facts by (event class, identity), with the retracted and corrected versions.

    `sync` takes in the facts appended since it last ran (`facts` maps version to event,
    versions 1..n); indexes for a new (class, names) pair are built once from every fact.
    It runs per command on the hot path of recording: kept to few calls per fact.
    """

    def __init__(self, correction: type[Any], retraction: type[Any]) -> None:
        self._fixes = (correction, retraction)
        self._retraction: type[Any] = retraction
        self.seen = 0
        self.fixes = 0
        self.retracted: set[int] = set()
        # version -> the fact as first recorded, then as each correction left it.
        self.variants: dict[int, list[Any]] = {}
        self.indexes: dict[tuple[type, Names], _Index] = {}
        self._by_class: dict[type, list[_Index]] = {}
        self._facts: Mapping[int, Any] = {}

    def sync(self, facts: Mapping[int, Any]) -> None:
        """Takes in the facts with versions above the last one seen."""
        self._facts = facts
        by_class = self._by_class
        for version in range(self.seen + 1, len(facts) + 1):
            fact = facts[version]
            for index in by_class.get(type(fact), ()):
                index.add(fact, version)
            if isinstance(fact, self._fixes):
                self._fixed(fact)
            self.seen = version

    def _fixed(self, fact: Any) -> None:
        self.fixes += 1
        if isinstance(fact, self._retraction):
            self.retracted.add(fact.retracts)
            return
        states = self.states(fact.corrects)
        changed = dataclasses.replace(states[-1], **fact.values)
        self.variants[fact.corrects] = [*states, changed]
        for index in self._by_class.get(type(changed), ()):
            index.add(changed, fact.corrects)

    def states(self, version: int) -> Sequence[Any]:
        """The fact at `version` as first recorded, then as each correction left it."""
        return self.variants.get(version) or (self._facts[version],)

    def find(self, event_class: type, names: Names, compared: Names, given: Any) -> Repeat:
        """How a command of `event_class` relates to the recorded facts: `given` holds its
        values (as attributes: the new fact, or the values a command states), `names` the
        fields that identify a fact, `compared` those a repeat must agree in."""
        index = self.indexes.get((event_class, names)) or self._index_for(event_class, names)
        wanted = index.getter(given)
        versions = index.get(wanted)
        if not versions:
            return NEW
        same = getter(compared)
        values = same(given)
        settled = contradiction = NEW
        for version in versions:
            states = self.states(version)
            retracted = version in self.retracted
            for position, state in enumerate(states):
                if same(state) == values:
                    if position == len(states) - 1 and not retracted:
                        return Repeat("standing", state, version)
                    if settled is NEW:
                        settled = Repeat("settled", state, version)
            current = states[-1]
            if contradiction is NEW and not retracted and index.getter(current) == wanted:
                field = next(n for n in compared if getattr(current, n) != getattr(given, n))
                contradiction = Repeat("contradicts", current, version, field)
        return settled if settled is not NEW else contradiction

    def versions(self, event_class: type, names: Names, values: tuple[Any, ...]) -> list[int]:
        """The versions of the facts of `event_class` that had these values in `names`."""
        index = self._index_for(event_class, names)
        return list(index.get(values[0] if index.single else values) or ())

    def _index_for(self, event_class: type, names: Names) -> _Index:
        index = self.indexes.get((event_class, names))
        if index is None:
            index = self.indexes[(event_class, names)] = _Index(names)
            self._by_class.setdefault(event_class, []).append(index)
            for version in range(1, self.seen + 1):
                if type(self._facts[version]) is event_class:
                    for state in self.states(version):
                        index.add(state, version)
        return index
