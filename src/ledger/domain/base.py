"""Shared machinery of every record: deterministic ids, facts, corrections, retractions, folds."""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property, lru_cache
from types import SimpleNamespace
from typing import (
    Any,
    ClassVar,
    Concatenate,
    Generic,
    ParamSpec,
    Self,
    TypedDict,
    TypeVar,
    dataclass_transform,
)
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, datetime_now_with_tzinfo
from eventsourcing.utils import get_topic

from ledger.domain.repeats import NEW, Repeat, Repeats, getter
from ledger.errors import RuleViolationError

S = TypeVar("S")
T = TypeVar("T")
P = ParamSpec("P")

# The fields of a creating event that make up a record's natural key (and so its id).
KEY_FIELDS = frozenset(
    {"body", "slug", "reference", "year", "code", "programme", "cycle", "process", "number"}
)

LEDGER_NAMESPACE = UUID("6f1c7a52-3b7e-4c1a-9d55-2f0a3c1b8e61")


#: The most characters of a fact's `source` (an OParl id URL, a file and page).
MAX_SOURCE = 1_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_source(source: str | None, field: str = "source") -> None:
    """Refuses a `source` that is empty, longer than MAX_SOURCE or holds control characters.

    A fact's source says where it was taken from (provenance: an OParl object's id URL, a
    protocol's file name). It is not part of what the fact states: recording the same fact
    again from another source (or without one) repeats it (see ledger.domain.repeats), and
    the source first recorded stands until a correction replaces it.
    """
    if source is None:
        return
    if not source.strip():
        raise RuleViolationError(field, "must not be empty (leave it out when there is none)")
    if len(source) > MAX_SOURCE:
        raise RuleViolationError(
            field, f"must be at most {MAX_SOURCE:,} characters long, got {len(source):,}"
        )
    if _CONTROL.search(source):
        raise RuleViolationError(field, "must not contain control characters (one line)")


@lru_cache(maxsize=200_000)
def record_id(kind: str, body: str, *key: object) -> UUID:
    """The deterministic id of a record: uuid5 over kind, body and natural key."""
    return uuid5(LEDGER_NAMESPACE, "/".join([kind, body, *(str(k) for k in key)]))


_SHAPES: dict[type, tuple[tuple[str, ...], frozenset[str]]] = {}
_new = object.__new__
_set = object.__setattr__


def evolve(state: S, **changes: Any) -> S:
    """A copy of a frozen dataclass with some fields changed: `dataclasses.replace`, faster.

    Folds make one copy per fact, and `replace` (which builds the keyword arguments and
    calls `__init__`) was a tenth of the projector's time. The states have no
    `__post_init__`, so setting each field is the same thing; a field name the class does
    not have is refused as `replace` would.
    """
    cls = type(state)
    shape = _SHAPES.get(cls)
    if shape is None:
        names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        shape = _SHAPES[cls] = (names, frozenset(names))
    names, known = shape
    if not known.issuperset(changes):
        unknown = sorted(set(changes) - known)
        raise TypeError(f"{cls.__name__} has no field {', '.join(unknown)}")
    new = _new(cls)
    for name in names:
        _set(new, name, changes[name] if name in changes else getattr(state, name))
    return new


class Envelope(TypedDict):
    """What eventsourcing puts on every event of a record: its id, version and time.

    `**record.envelope()` in an event's constructor leaves mypy the event's own fields
    to check (their names, their types, none missing).
    """

    originator_id: UUID
    originator_version: int
    timestamp: datetime


class CreationEnvelope(Envelope):
    """The envelope of the event that creates a record: also the record's class (topic)."""

    originator_topic: str


class LedgerAggregate(Aggregate):
    """Base of every record: keeps its events as facts, takes corrections and retractions."""

    KIND: ClassVar[str] = ""
    #: Whether the event that created a record of this kind may be retracted: the record
    #: is then gone as known now, and still there as known before (see `retract`). Not for
    #: a kind other records are built on (a body, a committee, a process).
    CREATION_RETRACTABLE: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Works out what a repeat of each event of a new record kind is compared in (see
        `record_once`) when the kind is defined: its first command costs no more than the
        next one (tests/test_linear_time.py counts the calls of one)."""
        super().__init_subclass__(**kwargs)
        for value in list(vars(cls).values()):
            if isinstance(value, type) and issubclass(value, LedgerAggregate.Event):
                _comparison(value)

    @cached_property
    def facts(self) -> dict[int, LedgerAggregate.Event]:
        """Every event of the record by version (not an annotation: those become fields)."""
        return {}

    # eventsourcing makes each event class a frozen dataclass in its metaclass, which mypy
    # does not read: `dataclass_transform` tells mypy that every subclass is one, and
    # `dataclass` (a no-op at run time: eventsourcing skips a class it has processed)
    # that this one is, so `effective` is a field of every event mypy sees.
    @dataclass_transform(frozen_default=True)
    @dataclass(frozen=True)
    class Event(Aggregate.Event):
        """An event of a record; `effective` is the date on which it holds in the world."""

        effective: date
        #: The fields that identify a fact of this kind on its record: a command with the
        #: same values in them repeats the fact and must agree with it in the others (see
        #: ledger.domain.repeats). None: every compared field.
        IDENTITY: ClassVar[tuple[str, ...] | None] = None
        #: The fields a repeat of a fact of this kind is compared in (`record_once`).
        #: None: every field but `source` (see check_source), `effective` last.
        COMPARED: ClassVar[tuple[str, ...] | None] = None
        #: How a message names a fact of this kind, formatted with its fields.
        NOUN: ClassVar[str] = ""

        def apply(self, aggregate: Any) -> None:
            aggregate.facts[self.originator_version] = self

    class Created(Event, Aggregate.Created):
        """The event that creates a record."""

    class Corrected(Event):
        """A correction: replaces values of the event at version `corrects`, with a reason."""

        corrects: int
        values: dict[str, Any]
        reason: str

    class Retracted(Event):
        """A retraction: the event at version `retracts` was recorded in error."""

        IDENTITY = ("retracts",)
        # A retraction recorded again on another date, or from another source, repeats it.
        COMPARED = ("retracts", "reason")
        NOUN = "the retraction of version {retracts}"

        retracts: int
        reason: str
        #: Where the retraction comes from (see `check_source`); None: not stated.
        source: str | None = None

    def envelope(self) -> Envelope:
        """The envelope of the record's next event: `self.Happened(**self.envelope(), ...)`."""
        return {
            "originator_id": self.id,
            "originator_version": self.version + 1,
            "timestamp": datetime_now_with_tzinfo(),
        }

    @classmethod
    def creation_envelope(cls, id: UUID) -> CreationEnvelope:
        """The envelope of the event that creates the record `id` of this class."""
        return {
            "originator_id": id,
            "originator_version": 1,
            "timestamp": datetime_now_with_tzinfo(),
            "originator_topic": get_topic(cls),
        }

    @classmethod
    def created_by(cls, fact: LedgerAggregate.Created) -> Self:
        """The new record `fact` creates (built on `creation_envelope`), with it pending."""
        record: Self | None = fact.mutate(None)
        assert record is not None
        record._pending_events.append(fact)
        return record

    def append(self, fact: LedgerAggregate.Event) -> None:
        """Appends a new fact (built on `envelope`); no fact may take effect before the record
        itself existed, and a record retracted as a whole takes none."""
        if 1 in self.facts and not isinstance(fact, _FIXES):
            if self.gone:
                raise self.gone_error()
            since = self._since()
            if since is not None and fact.effective < since:
                raise RuleViolationError(
                    "effective", f"{fact.effective} is before the {self.KIND} existed ({since})"
                )
        fact.mutate(self)
        self._pending_events.append(fact)

    def record_once(
        self, fact: LedgerAggregate.Event, check: Callable[[], object] | None = None
    ) -> bool:
        """Appends `fact` unless it repeats a recorded one; whether it was appended.

        A repeat (see ledger.domain.repeats) of a standing fact, or of a retracted or corrected
        one, appends nothing; one that contradicts a standing fact is refused, naming the
        first field that differs. Only for a new fact `check` runs (the rules a repeat need
        not meet again) before it is appended. Check the values themselves before: an
        invalid value is refused even when the rest repeats a fact.
        """
        kind = type(fact)
        identity, compared = _comparison(kind)
        repeat = self._repeats().find(kind, identity, compared, fact)
        if repeat is not NEW:
            self._repeated(kind, repeat, fact)
            return False
        if check is not None:
            check()
        self.append(fact)
        return True

    # The library's untyped `trigger_event(event_class, **kwargs)`, typed: mypy checks the
    # fields against the event class (an override that narrows the library's signature).
    def trigger_event(  # type: ignore[override]
        self,
        event_class: Callable[Concatenate[UUID, int, datetime, P], LedgerAggregate.Event],
        /,
        *args: P.args,
        **fields: P.kwargs,
    ) -> None:
        """Appends a new event of `event_class` with these fields (see `append`)."""
        self.append(
            event_class(self.id, self.version + 1, datetime_now_with_tzinfo(), *args, **fields)
        )

    def collect_events(self) -> list[Any]:
        """The pending events, taken out at once (eventsourcing pops them one by one from the
        front of the list, which costs the square of their number for a large batch)."""
        pending = self._pending_events
        collected = list(pending)
        pending.clear()
        return collected

    def _since(self) -> date | None:
        """The effective date of the earliest standing fact.

        A new ordinary fact is never earlier (`append` refuses it), so the date is kept
        until a correction or retraction, instead of reading the standing facts per event.
        """
        repeats = self._repeats()
        kept = self.__dict__.get("_kept_since")
        if kept is not None and kept[0] == repeats.fixes:
            since: date | None = kept[1]
            return since
        standing = self.current_facts()
        since = standing[0].effective if standing else None
        self.__dict__["_kept_since"] = (repeats.fixes, since)
        return since

    def _repeats(self) -> Repeats:
        """The record's facts by identity, brought up to date with the facts appended."""
        repeats: Repeats | None = self.__dict__.get("_repeat_index")
        if repeats is None:
            repeats = self.__dict__["_repeat_index"] = Repeats(
                LedgerAggregate.Corrected, LedgerAggregate.Retracted
            )
        facts = self.facts
        if repeats.seen != len(facts):
            repeats.sync(facts)
        return repeats

    def find_repeat(self, event_class: type[Any], **fields: Any) -> Repeat:
        """How a command of `event_class` with these values relates to the facts recorded.

        See ledger.domain.repeats: new, standing (already recorded), settled (a retracted
        fact, or a corrected one as it was before its correction) or contradicts. The values
        given are compared; for a command that appends a fact, see `record_once`.
        """
        return self._find(event_class, fields)[0]

    def repeat_of(self, event_class: type[Any], **fields: Any) -> Repeat:
        """`find_repeat`, refusing a contradiction and counting a settled repeat.

        For a command that compares only some of the fields of the fact it appends (what a
        protocol leaves out, a value worked out only for a new fact); else `record_once`.
        """
        repeat, given = self._find(event_class, fields)
        if repeat is not NEW:
            self._repeated(event_class, repeat, given)
        return repeat

    def _find(self, event_class: type[Any], fields: dict[str, Any]) -> tuple[Repeat, Any]:
        """The repeat a command with these values is, and the values as attributes."""
        compared = tuple(fields)
        given = SimpleNamespace(**fields)
        identity = event_class.IDENTITY or compared
        return self._repeats().find(event_class, identity, compared, given), given

    def _repeated(self, event_class: type[Any], repeat: Repeat, given: Any) -> None:
        if repeat.status == "contradicts":
            raise self.contradiction(event_class, repeat, getattr(given, repeat.field))
        if repeat.status == "settled":
            self.note_settled()

    def note_settled(self) -> None:
        """Counts a command that repeated a retracted or corrected fact (see settled_repeats)."""
        self.__dict__["_settled"] = self.settled_repeats + 1

    @property
    def settled_repeats(self) -> int:
        """How many commands repeated a retracted or corrected fact since the record was read."""
        count: int = self.__dict__.get("_settled", 0)
        return count

    def contradiction(
        self, event_class: type[Any], repeat: Repeat, given: Any
    ) -> RuleViolationError:
        """The error for a command that contradicts the standing fact `repeat` found."""
        fact = repeat.fact
        noun = (
            event_class.NOUN.format(**vars(fact))
            if event_class.NOUN
            else (f"the {event_class.__name__} of {fact.effective}")
        )
        return RuleViolationError(
            repeat.field,
            f"{noun} is already recorded on this {self.KIND} (version {repeat.version}) with "
            f"{repeat.field} = {shown(getattr(fact, repeat.field))}, not {shown(given)}; "
            "record a correction to change it",
        )

    def variants(self, version: int) -> Sequence[LedgerAggregate.Event]:
        """The event at `version` as first recorded, then as each correction left it."""
        return self._repeats().states(version)

    # -- corrections -------------------------------------------------------------------------

    def correctable(self, version: int) -> LedgerAggregate.Event:
        """The event at `version` if it may be corrected or retracted; refuses otherwise."""
        original = self.facts.get(version)
        if original is None:
            raise RuleViolationError(
                "version",
                f"{self.KIND} has no event at version {version} (it has 1..{self.version})",
            )
        if isinstance(original, LedgerAggregate.Corrected | LedgerAggregate.Retracted):
            raise RuleViolationError(
                "version", "a correction or retraction cannot itself be corrected; record a new one"
            )
        if version in self._repeats().retracted:
            raise RuleViolationError("version", f"the event at version {version} is retracted")
        return original

    def correct(self, version: int, values: dict[str, Any], reason: str, effective: date) -> None:
        """Records a correction of the event at `version` (values are already typed)."""
        if not values:
            raise RuleViolationError("values", "a correction must replace at least one value")
        if not reason.strip():
            raise RuleViolationError("reason", "a correction needs a reason")
        fact = self.Corrected(
            **self.envelope(), corrects=version, values=values, reason=reason, effective=effective
        )
        self.record_once(fact, check=lambda: self._check_correction(version, values))

    def _check_correction(self, version: int, values: dict[str, Any]) -> None:
        """Refuses a correction of a key field, of a field the event has not, or one that
        leaves the event against the record's rules."""
        original = self.correctable(version)
        names = correctable_fields(type(original))
        for name in values:
            if version == 1 and name in KEY_FIELDS:
                raise RuleViolationError(
                    f"values.{name}",
                    f"is part of the {self.KIND}'s key and cannot be corrected; "
                    "retract its events and record the right one instead",
                )
            if name not in names:
                raise RuleViolationError(
                    f"values.{name}",
                    f"is not a field of {type(original).__name__} (fields: {', '.join(names)})",
                )
        candidate = dataclasses.replace(self.variants(version)[-1], **values)
        self.check_fact(candidate)

    def retract(
        self, version: int, reason: str, effective: date, source: str | None = None
    ) -> None:
        """Records that the event at `version` was recorded in error (`source`: where the
        retraction comes from; not compared when it is recorded again).

        Version 1, the event that created the record, only of a kind that allows it
        (CREATION_RETRACTABLE) and once no other fact of the record stands: its later facts
        are retracted first (earlier in the same file will do), each on its own, as a
        record that was never there has none. The record is then gone as known now (no
        fact stands, it takes no new one, its key is not recorded again) and there as known
        before: nothing is deleted.
        """
        if not reason.strip():
            raise RuleViolationError("reason", "a retraction needs a reason")
        check_source(source)
        fact = self.Retracted(
            **self.envelope(), retracts=version, reason=reason, effective=effective, source=source
        )
        self.record_once(fact, check=lambda: self._check_retractable(version))

    def _check_retractable(self, version: int) -> None:
        """Refuses to retract a version that may not be (see `correctable`, `retract`)."""
        self.correctable(version)
        if version == 1:
            self._check_creation_retractable()

    def _check_creation_retractable(self) -> None:
        """Refuses to retract version 1 of a kind that does not allow it, or while other
        facts of the record stand."""
        if not self.CREATION_RETRACTABLE:
            raise RuleViolationError(
                "version",
                f"the event that created the {self.KIND} cannot be retracted: other records "
                f"are built on a {self.KIND}; correct its values instead",
            )
        standing = [f.originator_version for f in self.current_facts() if f.originator_version != 1]
        if standing:
            shown_versions = ", ".join(str(v) for v in standing[:10])
            more = f" and {len(standing) - 10} more" if len(standing) > 10 else ""
            raise RuleViolationError(
                "version",
                f"the {self.KIND}'s later facts stand (versions {shown_versions}{more}): retract "
                f"them first (before this retraction, in the same file or an earlier one); "
                "a record retracted as a whole has no facts left",
            )

    def gone_error(self) -> RuleViolationError:
        """The refusal of a new fact on a record retracted as a whole."""
        created = self.facts[1]
        key = "/".join(
            str(getattr(created, name))
            for name in ("reference", "slug", "code", "number")
            if hasattr(created, name)
        )
        return RuleViolationError(
            self.KIND,
            f"{self.KIND} '{key}' was retracted as a whole (the event that created it, "
            "version 1, was recorded in error): it is not in the ledger as known now and "
            "takes no new fact",
        )

    @property
    def gone(self) -> bool:
        """Whether the event that created the record is retracted: gone as known now."""
        return 1 in self._repeats().retracted

    def check_fact(self, fact: LedgerAggregate.Event) -> None:
        """Checks a corrected event against the record's rules; records override it."""

    def retracted_versions(self) -> set[int]:
        """Versions named by a retraction."""
        return set(self._repeats().retracted)

    def current_facts(self) -> Sequence[LedgerAggregate.Event]:
        """The facts as they now stand, in valid-time order (kept, and extended as facts come).

        A new ordinary fact goes in at its place in valid time (at the end, unless it is
        backdated); the fold states kept from that place on are dropped. A correction or
        a retraction recomputes the list and drops every kept fold state. The list is the
        record's own: read it, never change it.
        """
        kept = self.__dict__.get("_current")
        version = self.version
        if kept is not None and kept[0] == version:
            facts: list[LedgerAggregate.Event] = kept[1]
            return facts
        if kept is not None:
            facts = kept[1]
            for number in range(kept[0] + 1, version + 1):
                new = self.facts[number]
                if isinstance(new, LedgerAggregate.Corrected | LedgerAggregate.Retracted):
                    break
                if not facts or facts[-1].effective <= new.effective:
                    facts.append(new)
                else:
                    # It has the highest version, so it goes after the facts of its date.
                    place = bisect_right(facts, new.effective, key=_effective)
                    facts.insert(place, new)
                    self._reordered(place)
                kept[0] = number
            else:
                return facts
        facts = current_facts(self.facts.values())
        self.__dict__["_current"] = [version, facts]
        self._reordered(0)
        return facts

    def _reordered(self, place: int) -> None:
        """Drops what was kept about the standing facts from `place` on."""
        for dates, states in self.__dict__.get("_folds", {}).values():
            del dates[place:]
            del states[place:]
        self.__dict__.pop("_tallies", None)

    def tally(self, name: str, start: Callable[[], T], add: Callable[[T, Any], None]) -> T:
        """An accumulation over the standing facts, kept and extended as facts are appended.

        Like `fold` without a state per fact: for a question asked of all facts at once,
        answered without a scan per command. Anything that reorders the standing facts
        (see `current_facts`) starts it again.
        """
        facts = self.current_facts()
        tallies: dict[str, list[Any]] = self.__dict__.setdefault("_tallies", {})
        kept = tallies.get(name)
        if kept is None:
            kept = tallies[name] = [0, start()]
        value: T = kept[1]
        for fact in facts[kept[0] :]:
            add(value, fact)
        kept[0] = len(facts)
        return value

    def fold(self, fold: Fold[S], as_of: date | None) -> S:
        """The state `fold` gives at the end of `as_of`, from states kept after each fact."""
        facts = self.current_facts()
        folds: dict[int, tuple[list[date], list[Any]]] = self.__dict__.setdefault("_folds", {})
        dates, states = folds.setdefault(id(fold), ([], []))
        for fact in facts[len(states) :]:
            states.append(fold.step(states[-1] if states else fold.initial, fact))
            dates.append(fact.effective)
        count = len(states) if as_of is None else bisect_right(dates, as_of)
        state: S = states[count - 1] if count else fold.initial
        return state


# The events that fix others (a tuple: issubclass with a union type is slower).
_FIXES = (LedgerAggregate.Corrected, LedgerAggregate.Retracted)


def _effective(fact: LedgerAggregate.Event) -> date:
    return fact.effective


# The most characters of a text quoted in a refusal (a decision's wording may be long).
SHOWN = 60


def shown(value: object) -> str:
    """A value as a person writes it in a command file; a long text shortened, None as none."""
    if value is None:
        return "none"
    if isinstance(value, str):
        if len(value) > SHOWN:
            return f"'{value[:SHOWN]}'... ({len(value):,} characters)"
        return f"'{value}'"
    return str(value)


#: The fields eventsourcing gives every event (see `Envelope`): no command states them.
ENVELOPE_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic"}
)


def correctable_fields(event_class: type[Any]) -> list[str]:
    """The fields of an event that a correction may replace."""
    return [f.name for f in dataclasses.fields(event_class) if f.name not in ENVELOPE_FIELDS]


_COMPARISONS: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _comparison(
    event_class: type[LedgerAggregate.Event],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The identity and the compared fields of an event class (see `Event.COMPARED`)."""
    known = _COMPARISONS.get(event_class)
    if known is None:
        compared = event_class.COMPARED
        if compared is None:
            skip = ENVELOPE_FIELDS | {"source", "effective"}
            own = (name for name in correctable_fields(event_class) if name not in skip)
            compared = (*own, "effective")
        identity = event_class.IDENTITY or compared
        known = _COMPARISONS[event_class] = (identity, compared)
        getter(identity)  # the readers of both are made once too (see `__init_subclass__`)
        getter(compared)
    return known


def current_facts(events: Iterable[LedgerAggregate.Event]) -> list[LedgerAggregate.Event]:
    """Applies corrections and drops retracted events; returns the rest by (effective, version).

    Corrections and retractions act on transaction time only: once recorded they replace
    the original fact on every valid date; before they were recorded the original stood.
    """
    originals: list[LedgerAggregate.Event] = []
    corrections: dict[int, list[LedgerAggregate.Corrected]] = {}
    retracted: set[int] = set()
    for event in sorted(events, key=lambda e: e.originator_version):
        if isinstance(event, LedgerAggregate.Corrected):
            corrections.setdefault(event.corrects, []).append(event)
        elif isinstance(event, LedgerAggregate.Retracted):
            retracted.add(event.retracts)
        else:
            originals.append(event)
    result = []
    for event in originals:
        if event.originator_version in retracted:
            continue
        fixed: Any = event
        for correction in corrections.get(event.originator_version, ()):
            fixed = dataclasses.replace(fixed, **correction.values)
        result.append(fixed)
    result.sort(key=lambda e: (e.effective, e.originator_version))
    return result


class Fold(Generic[S]):
    """How a record's state evolves: an initial state and a step per fact."""

    def __init__(self, initial: S, step: Callable[[S, Any], S]) -> None:
        self.initial = initial
        self.step = step

    def state_at(self, facts: Sequence[LedgerAggregate.Event], as_of: date | None) -> S:
        """The state at the end of `as_of` (None: after every fact)."""
        state = self.initial
        for fact in facts:
            if as_of is not None and fact.effective > as_of:
                break
            state = self.step(state, fact)
        return state

    def timeline(self, facts: Sequence[LedgerAggregate.Event]) -> list[tuple[date, S]]:
        """The distinct states in valid time: (valid_from, state) at each date a fact changes it."""
        out: list[tuple[date, S]] = []
        state = self.initial
        for fact in facts:
            state = self.step(state, fact)
            if out and out[-1][0] == fact.effective:
                out.pop()
            if not out or out[-1][1] != state:
                out.append((fact.effective, state))
        return out
