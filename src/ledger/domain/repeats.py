"""What a command repeats: a record's facts looked up by identity, retracted and corrected ones too.

Recording the same file twice must append nothing, and a fact that was retracted or
corrected must not come back when its file is recorded (or its export imported) again.
So a command is matched against every fact of its kind that the record ever held, as
first recorded and as each correction left it, by the fields that identify a fact of
that kind (`LedgerAggregate.Event.IDENTITY`; by default every field the command gives):

- the same values as the standing fact: already recorded (`standing`);
- the same values as a retracted fact, or as a corrected fact before its correction:
  settled by that retraction or correction (`settled`); nothing is appended;
- the identity of a standing fact with other values: a contradiction, reported naming
  the first field that differs (`contradicts`);
- anything else is new. A retracted fact, or a value a correction replaced, does not
  block a new fact with other values: it was recorded in error.

The index is kept per record and extended as facts come, so a look-up costs the same
however many facts the record has.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["new", "standing", "settled", "contradicts"]
Key = tuple[Hashable, ...]
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


def key_of(fact: Any, names: Names) -> Key:
    """The identity of a fact: its values in `names`."""
    return tuple(frozen(getattr(fact, name)) for name in names)


class Repeats:
    """A record's facts by (event class, identity), with the retracted and corrected versions.

    `sync` takes in the facts appended since it last ran (`facts` maps version to event,
    versions 1..n); indexes for a new (class, names) pair are built once from every fact.
    """

    def __init__(self, is_correction: Callable[[Any], bool], is_retraction: Callable[[Any], bool]):
        self._is_correction = is_correction
        self._is_retraction = is_retraction
        self.seen = 0
        self.fixes = 0
        self.retracted: set[int] = set()
        # version -> the fact as first recorded, then as each correction left it.
        self.variants: dict[int, list[Any]] = {}
        self.indexes: dict[tuple[type, Names], dict[Key, list[int]]] = {}
        self._by_class: dict[type, list[tuple[Names, dict[Key, list[int]]]]] = {}
        self._facts: Mapping[int, Any] = {}

    def sync(self, facts: Mapping[int, Any]) -> None:
        """Takes in the facts with versions above the last one seen."""
        self._facts = facts
        for version in range(self.seen + 1, len(facts) + 1):
            fact = facts[version]
            self._index(fact, version)
            if self._is_retraction(fact):
                self.retracted.add(fact.retracts)
                self.fixes += 1
            elif self._is_correction(fact):
                states = self.states(fact.corrects)
                changed = dataclasses.replace(states[-1], **fact.values)
                self.variants[fact.corrects] = [*states, changed]
                self._index(changed, fact.corrects)
                self.fixes += 1
            self.seen = version

    def states(self, version: int) -> Sequence[Any]:
        """The fact at `version` as first recorded, then as each correction left it."""
        return self.variants.get(version) or (self._facts[version],)

    def find(self, event_class: type, names: Names, fields: dict[str, Any]) -> Repeat:
        """How a command of `event_class` with these values relates to the recorded facts."""
        key = tuple(frozen(fields[name]) for name in names)
        versions = self._index_for(event_class, names).get(key)
        if not versions:
            return NEW
        settled = contradiction = NEW
        for version in versions:
            states = self.states(version)
            retracted = version in self.retracted
            for position, state in enumerate(states):
                if all(getattr(state, name) == value for name, value in fields.items()):
                    if position == len(states) - 1 and not retracted:
                        return Repeat("standing", state, version)
                    if settled is NEW:
                        settled = Repeat("settled", state, version)
            current = states[-1]
            if contradiction is NEW and not retracted and key_of(current, names) == key:
                field = next(n for n, v in fields.items() if getattr(current, n) != v)
                contradiction = Repeat("contradicts", current, version, field)
        return settled if settled is not NEW else contradiction

    def versions(self, event_class: type, names: Names, values: tuple[Any, ...]) -> list[int]:
        """The versions of the facts of `event_class` that had these values in `names`."""
        key = tuple(frozen(v) for v in values)
        return list(self._index_for(event_class, names).get(key, ()))

    def _index_for(self, event_class: type, names: Names) -> dict[Key, list[int]]:
        index = self.indexes.get((event_class, names))
        if index is None:
            index = self.indexes[(event_class, names)] = {}
            self._by_class.setdefault(event_class, []).append((names, index))
            for version in range(1, self.seen + 1):
                if type(self._facts[version]) is event_class:
                    for state in self.states(version):
                        _add(index, key_of(state, names), version)
        return index

    def _index(self, fact: Any, version: int) -> None:
        for names, index in self._by_class.get(type(fact), ()):
            _add(index, key_of(fact, names), version)


def _add(index: dict[Key, list[int]], key: Key, version: int) -> None:
    versions = index.setdefault(key, [])
    if version not in versions:
        versions.append(version)
