"""Shared machinery of every record: deterministic ids, facts, corrections, retractions, folds."""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from functools import cached_property, lru_cache
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.domain.repeats import NEW, Repeat, Repeats
from ledger.errors import RuleViolationError

S = TypeVar("S")
T = TypeVar("T")

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


class LedgerAggregate(Aggregate):
    """Base of every record: keeps its events as facts, takes corrections and retractions."""

    KIND: ClassVar[str] = ""
    #: Whether the event that created a record of this kind may be retracted: the record
    #: is then gone as known now, and still there as known before (see `retract`). Not for
    #: a kind other records are built on (a body, a committee, a process).
    CREATION_RETRACTABLE: ClassVar[bool] = False

    @cached_property
    def facts(self) -> dict[int, LedgerAggregate.Event]:
        """Every event of the record by version (not an annotation: those become fields)."""
        return {}

    class Event(Aggregate.Event):
        """An event of a record; `effective` is the date on which it holds in the world."""

        effective: date
        #: The fields that identify a fact of this kind on its record: a command with the
        #: same values in them repeats the fact and must agree with it in the others (see
        #: ledger.domain.repeats). None: every field the command gives.
        IDENTITY: ClassVar[tuple[str, ...] | None] = None
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
        NOUN = "the retraction of version {retracts}"

        retracts: int
        reason: str
        #: Where the retraction comes from (see `check_source`); None: not stated.
        source: str | None = None

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Appends an event; no fact may take effect before the record itself existed."""
        effective = kwargs.get("effective")
        if isinstance(effective, date) and 1 in self.facts and not issubclass(event_class, _FIXES):
            if self.gone:
                raise self.gone_error()
            since = self._since()
            if since is not None and effective < since:
                raise RuleViolationError(
                    "effective", f"{effective} is before the {self.KIND} existed ({since})"
                )
        super().trigger_event(event_class, **kwargs)

    def collect_events(self) -> list[Any]:
        """The pending events, taken out at once (eventsourcing pops them one by one from the
        front of the list, which costs the square of their number for a large batch)."""
        pending = self._pending_events
        collected = list(pending)
        pending.clear()
        return collected

    def _since(self) -> date | None:
        """The effective date of the earliest standing fact.

        A new ordinary fact is never earlier (trigger_event refuses it), so the date is kept
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
        fact, or a corrected one as it was before its correction) or contradicts.
        """
        return self._repeats().find(event_class, event_class.IDENTITY or tuple(fields), fields)

    def already_recorded(self, event_class: type[Any], **fields: Any) -> bool:
        """Whether a command with these values repeats a recorded fact (nothing to append).

        Recording the same document twice must change nothing, and must not bring back a
        fact that was retracted or corrected since: both are repeats. A command with the
        identity of a standing fact but other values is refused, naming the first field
        that differs. Check the values themselves before: an invalid value is refused even
        when the rest repeats a fact.
        """
        repeat = self._repeats().find(event_class, event_class.IDENTITY or tuple(fields), fields)
        if repeat is NEW:
            return False
        self._repeated(event_class, repeat, fields)
        return True

    def repeat_of(self, event_class: type[Any], **fields: Any) -> Repeat:
        """`find_repeat`, refusing a contradiction and counting a settled repeat."""
        repeat = self._repeats().find(event_class, event_class.IDENTITY or tuple(fields), fields)
        if repeat is not NEW:
            self._repeated(event_class, repeat, fields)
        return repeat

    def _repeated(self, event_class: type[Any], repeat: Repeat, fields: dict[str, Any]) -> None:
        if repeat.status == "contradicts":
            raise self.contradiction(event_class, repeat, fields[repeat.field])
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
        if self.already_recorded(
            self.Corrected, corrects=version, values=values, reason=reason, effective=effective
        ):
            return
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
        self.trigger_event(
            self.Corrected, corrects=version, values=values, reason=reason, effective=effective
        )

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
        if self.already_recorded(self.Retracted, retracts=version, reason=reason):
            return
        self.correctable(version)
        if version == 1:
            self._check_creation_retractable()
        self.trigger_event(
            self.Retracted, retracts=version, reason=reason, effective=effective, source=source
        )

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


def correctable_fields(event_class: type[Any]) -> list[str]:
    """The fields of an event that a correction may replace."""
    skip = {"originator_id", "originator_version", "timestamp", "originator_topic"}
    return [f.name for f in dataclasses.fields(event_class) if f.name not in skip]


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
