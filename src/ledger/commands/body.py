"""Commands for bodies and committees: body, committee, seats."""

from __future__ import annotations

from typing import Annotated

from ledger.commands.batch import Batch
from ledger.commands.fields import parse_free_text, parse_positive, parse_text
from ledger.commands.registry import Parse, Sourced, command
from ledger.domain.body import DEFAULT_LINE_PATTERN, MAJORITY_RULES, Body
from ledger.domain.committee import Committee

Slug = Annotated[str, Parse(parse_text, help="the committee's slug")]


@command
class RegisterBody(Sourced):
    """Registers a body (Körperschaft)."""

    record = "body"
    summary = "register a body (Landkreis, Stadt, Gemeinde)"

    name: Annotated[str, Parse(parse_text, help="its official name")]
    land: Annotated[str, Parse(parse_free_text, help="the Land, e.g. Thüringen")] = ""
    line_pattern: Annotated[
        str, Parse(parse_text, help="regular expression every budget-line code must match")
    ] = DEFAULT_LINE_PATTERN
    majority_rule: Annotated[
        str, Parse(parse_text, help="simple, absolute or two_thirds", choices=MAJORITY_RULES)
    ] = "simple"

    def handle(self, batch: Batch) -> None:
        """Registers the body."""
        batch.create(
            Body,
            Body.id_for(self.body),
            "body",
            self.body,
            lambda: Body.register(
                self.body,
                self.name,
                self.land,
                self.line_pattern,
                self.majority_rule,
                self.effective,
                self.source,
            ),
        )


@command
class EstablishCommittee(Sourced):
    """Establishes a committee (Gremium) of a registered body."""

    record = "committee"
    summary = "establish a committee (Gremium) with its voting seats"

    committee: Slug
    name: Annotated[str, Parse(parse_text, help="its name")]
    seats: Annotated[int, Parse(parse_positive, help="number of voting seats")]

    def handle(self, batch: Batch) -> None:
        """Establishes the committee."""
        batch.body(self.body)
        batch.create(
            Committee,
            Committee.id_for(self.body, self.committee),
            "committee",
            self.committee,
            lambda: Committee.establish(
                self.body, self.committee, self.name, self.seats, self.effective, self.source
            ),
        )


@command
class ChangeSeats(Sourced):
    """Changes the voting seats of a committee from a date on."""

    record = "seats"
    summary = "change a committee's number of voting seats from a date on"

    committee: Slug
    seats: Annotated[int, Parse(parse_positive, help="the new number of voting seats")]

    def handle(self, batch: Batch) -> None:
        """Changes the seats."""
        committee = batch.get(
            Committee, Committee.id_for(self.body, self.committee), "committee", self.committee
        )
        committee.change_seats(self.seats, self.effective, self.source)
