"""Committee (Gremium): a body's committee and its voting seats over time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from ledger.domain.base import Fold, LedgerAggregate, check_source, evolve, record_id
from ledger.domain.body import check_slug
from ledger.errors import RuleViolationError


@dataclass(frozen=True, slots=True)
class CommitteeState:
    """A committee as it stands at a date; seats 0 means not yet established."""

    body: str = ""
    slug: str = ""
    name: str = ""
    seats: int = 0


class Committee(LedgerAggregate):
    """A committee of a body (Ausschuss, Kreistag) with its number of voting seats."""

    KIND = "committee"

    class Established(LedgerAggregate.Created):
        """The committee was established with its name and voting seats."""

        body: str
        slug: str
        name: str
        seats: int
        #: Where it comes from (see base.check_source); None: not stated.
        source: str | None = None

    class SeatsChanged(LedgerAggregate.Event):
        """The number of voting seats changed from `effective` on."""

        seats: int
        #: Where it comes from (see base.check_source); None: not stated.
        source: str | None = None

    @staticmethod
    def id_for(body: str, slug: str) -> UUID:
        """The id of the committee `slug` of `body`."""
        return record_id("committee", body, slug)

    @classmethod
    def establish(
        cls,
        body: str,
        slug: str,
        name: str,
        seats: int,
        effective: date,
        source: str | None = None,
    ) -> Committee:
        """Establishes a committee; it needs a name and at least one voting seat."""
        check_slug("committee", slug)
        _check_seats(seats)
        check_source(source)
        if not name.strip():
            raise RuleViolationError("name", "must not be empty")
        return cls.created_by(
            cls.Established(
                **cls.creation_envelope(cls.id_for(body, slug)),
                body=body,
                slug=slug,
                name=name,
                seats=seats,
                effective=effective,
                source=source,
            )
        )

    def change_seats(self, seats: int, effective: date, source: str | None = None) -> None:
        """Records a new number of voting seats from `effective` on (`source`: where it
        comes from; not compared when the change is recorded again)."""
        _check_seats(seats)
        check_source(source)
        self.record_once(
            self.SeatsChanged(**self.envelope(), seats=seats, effective=effective, source=source)
        )

    def check_fact(self, fact: LedgerAggregate.Event) -> None:
        """A corrected seat count must still be a whole number ≥ 1."""
        if isinstance(fact, Committee.Established | Committee.SeatsChanged):
            _check_seats(fact.seats)

    def state_at(self, as_of: date | None = None) -> CommitteeState:
        """The committee at the end of `as_of`."""
        return self.fold(COMMITTEE, as_of)


def _check_seats(seats: int) -> None:
    if seats < 1:
        raise RuleViolationError("seats", f"must be a whole number ≥ 1, got {seats}")


def _step(state: CommitteeState, fact: Any) -> CommitteeState:
    if isinstance(fact, Committee.Established):
        return CommitteeState(body=fact.body, slug=fact.slug, name=fact.name, seats=fact.seats)
    if isinstance(fact, Committee.SeatsChanged):
        return evolve(state, seats=fact.seats)
    return state


COMMITTEE = Fold(CommitteeState(), _step)
