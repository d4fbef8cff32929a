"""A committee's voting seats on a meeting date, from the server's memberships.

The rule: the seats of an Organization on a date are the distinct persons with a
Membership of it that is current on that date (startDate on or before it, endDate absent
or on or after it) and has `votingRight: true`. A server that states `votingRight` on none
of an organization's memberships does not tell voting from advisory members; then every
current membership counts. No current membership (or no memberships at all) means the
seats are unknown on that date; the import then says so (see mapping.committee_commands).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Membership:
    """A membership as the seat count needs it."""

    organization: str
    person: str
    voting: bool | None
    start: date | None
    end: date | None


@dataclass
class Memberships:
    """Every membership the server gave, by organization."""

    known: bool = False  # whether the server gave memberships at all
    by_organization: dict[str, list[Membership]] = field(default_factory=dict)

    def add(self, item: Membership) -> None:
        """Keeps one membership."""
        self.known = True
        self.by_organization.setdefault(item.organization, []).append(item)

    def seats(self, organization: str, day: date) -> int | None:
        """The voting seats of `organization` on `day` (None: unknown)."""
        members = self.by_organization.get(organization, [])
        current = [
            m
            for m in members
            if (m.start is None or m.start <= day) and (m.end is None or m.end >= day)
        ]
        states_voting = any(m.voting is not None for m in members)
        voting = {m.person for m in current if m.voting or not states_voting}
        return len(voting) or None


def membership_of(obj: dict[str, Any], organization: str | None = None) -> Membership | None:
    """A Membership object (or one embedded in a Person) as a Membership; None if unusable."""
    org = obj.get("organization", organization)
    person = obj.get("person") or obj.get("id")
    if not isinstance(org, str) or not isinstance(person, str):
        return None
    voting = obj.get("votingRight")
    return Membership(
        org,
        person,
        voting if isinstance(voting, bool) else None,
        _day(obj.get("startDate")),
        _day(obj.get("endDate")),
    )


def collect(objects: Iterable[tuple[dict[str, Any], str | None]]) -> Memberships:
    """Memberships from (object, person id) pairs; the person id is for embedded ones."""
    out = Memberships()
    for obj, person in objects:
        if obj.get("deleted") is True:
            continue
        item = membership_of({**obj, "person": obj.get("person") or person})
        if item is not None:
            out.add(item)
    return out


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
