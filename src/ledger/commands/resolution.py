"""Commands for resolutions: proposal, vote, decision, execution, amendment, revocation."""

from __future__ import annotations

from dataclasses import field
from datetime import date
from decimal import Decimal
from typing import Annotated

from ledger.commands.batch import Batch
from ledger.commands.fields import (
    parse_bool,
    parse_count,
    parse_free_text,
    parse_money,
    parse_reference,
    parse_text,
    parse_text_list,
    parse_year,
)
from ledger.commands.registry import Command, Parse, Sourced, command
from ledger.domain.committee import Committee
from ledger.domain.resolution import Resolution
from ledger.domain.tally import DECISION_OUTCOMES, OUTCOMES
from ledger.errors import RuleViolationError

Reference = Annotated[str, Parse(parse_reference, help="the reference")]
Reason = Annotated[str, Parse(parse_text, help="why")]


def resolution_of(batch: Batch, body: str, reference: str) -> Resolution:
    """The recorded resolution `reference` of `body`."""
    return batch.get(Resolution, Resolution.id_for(body, reference), "resolution", reference)


@command
class Propose(Sourced):
    """Submits a proposal of a registered committee."""

    record = "proposal"
    summary = "submit a proposal (Beschlussvorlage)"

    resolution: Annotated[str, Parse(parse_reference, help="its reference, e.g. 2018/6/067")]
    title: Annotated[str, Parse(parse_text, help="the subject (Betreff)")]
    committee: Annotated[str, Parse(parse_text, help="the committee that decides")]
    submitter: Annotated[str, Parse(parse_free_text, help="Einreicher")] = ""
    public: Annotated[bool, Parse(parse_bool, help="true: öffentlich; false: nichtöffentlich")]
    items: Annotated[list[str], Parse(parse_text_list, help="the numbered items")] = field(
        default_factory=list
    )
    amount: Annotated[Decimal | None, Parse(parse_money, help="financial effect in EUR")] = None
    year: Annotated[int | None, Parse(parse_year, help="fiscal year of the financial effect")] = (
        None
    )
    line: Annotated[str | None, Parse(parse_text, help="budget line of the financial effect")] = (
        None
    )

    def handle(self, batch: Batch) -> None:
        """Records the proposal; its committee must exist, its line match the body's pattern."""
        body = batch.body(self.body)
        batch.get(
            Committee, Committee.id_for(self.body, self.committee), "committee", self.committee
        )
        if self.line is not None:
            body.check_line_code(self.line)
        batch.create(
            Resolution,
            Resolution.id_for(self.body, self.resolution),
            "resolution",
            self.resolution,
            lambda: Resolution.propose(
                body=self.body,
                reference=self.resolution,
                title=self.title,
                committee=self.committee,
                submitter=self.submitter,
                public=self.public,
                items=self.items,
                financial_effect=self.amount,
                year=self.year,
                line=self.line,
                effective=self.effective,
                source=self.source,
            ),
        )


def meeting(batch: Batch, body_slug: str, slug: str, day: date) -> tuple[int, str]:
    """The voting seats of committee `slug` and the body's majority rule on the meeting
    date; refuses a committee not established then."""
    body = batch.body(body_slug)
    committee = batch.get(Committee, Committee.id_for(body_slug, slug), "committee", slug)
    seats = committee.state_at(day).seats
    if seats == 0:
        raise RuleViolationError("effective", f"committee '{slug}' was not established on {day}")
    return seats, body.state_at(day).majority_rule


@command
class RecordVote(Sourced):
    """Records a vote: the seats on the meeting date and the body's majority rule decide."""

    record = "vote"
    summary = "record a committee's vote on a resolution (effective: the meeting date)"

    resolution: Reference
    committee: Annotated[str, Parse(parse_text, help="the committee that voted")]
    yes: Annotated[int, Parse(parse_count, help="Ja")]
    no: Annotated[int, Parse(parse_count, help="Nein")]
    abstentions: Annotated[int, Parse(parse_count, help="Enthaltungen")]
    recused: Annotated[int, Parse(parse_count, help="befangen (Bef)")]
    outcome: Annotated[
        str | None,
        Parse(
            parse_text,
            help="adopted or rejected; checked against the majority rule",
            choices=OUTCOMES,
        ),
    ] = None

    def handle(self, batch: Batch) -> None:
        """Records the vote."""
        seats, majority_rule = meeting(batch, self.body, self.committee, self.effective)
        resolution_of(batch, self.body, self.resolution).record_vote(
            committee=self.committee,
            yes=self.yes,
            no=self.no,
            abstentions=self.abstentions,
            recused=self.recused,
            outcome=self.outcome,
            seats=seats,
            majority_rule=majority_rule,
            effective=self.effective,
            source=self.source,
        )


@command
class RecordDecision(Sourced):
    """Records a decision: stated counts fit the seats; a full tally follows the majority rule."""

    record = "decision"
    summary = (
        "record a committee's decision as its protocol states it: outcome, wording and the "
        "counts stated, at least one of them (effective: the meeting date)"
    )

    resolution: Reference
    committee: Annotated[str, Parse(parse_text, help="the committee that decided")]
    outcome: Annotated[
        str | None,
        Parse(
            parse_text,
            help=f"{', '.join(DECISION_OUTCOMES)}; with all four counts, adopted or rejected "
            "is checked against the majority rule",
            choices=DECISION_OUTCOMES,
        ),
    ] = None
    wording: Annotated[
        str | None, Parse(parse_text, help="the protocol's sentence(s), verbatim")
    ] = None
    yes: Annotated[
        int | None,
        Parse(parse_count, help="Ja, if stated; the counts stated must together fit the seats"),
    ] = None
    no: Annotated[int | None, Parse(parse_count, help="Nein, if stated")] = None
    abstentions: Annotated[int | None, Parse(parse_count, help="Enthaltungen, if stated")] = None
    recused: Annotated[int | None, Parse(parse_count, help="befangen (Bef), if stated")] = None

    def handle(self, batch: Batch) -> None:
        """Records the decision."""
        seats, majority_rule = meeting(batch, self.body, self.committee, self.effective)
        resolution_of(batch, self.body, self.resolution).record_decision(
            committee=self.committee,
            outcome=self.outcome,
            wording=self.wording,
            counts={
                "yes": self.yes,
                "no": self.no,
                "abstentions": self.abstentions,
                "recused": self.recused,
            },
            seats=seats,
            majority_rule=majority_rule,
            effective=self.effective,
            source=self.source,
        )


@command
class Execute(Command):
    """Records the execution (Ausfertigung) of an adopted resolution."""

    record = "execution"
    summary = "record the execution (Ausfertigung) of an adopted resolution"

    resolution: Reference

    def handle(self, batch: Batch) -> None:
        """Records the execution."""
        resolution_of(batch, self.body, self.resolution).execute(self.effective)


@command
class Amend(Command):
    """Amends a resolution's title or items."""

    record = "amendment"
    summary = "amend a resolution's title or items"

    resolution: Reference
    title: Annotated[str | None, Parse(parse_text, help="the new title")] = None
    items: Annotated[list[str] | None, Parse(parse_text_list, help="the new items")] = None
    reason: Reason

    def handle(self, batch: Batch) -> None:
        """Records the amendment."""
        resolution_of(batch, self.body, self.resolution).amend(
            self.title, self.items, self.reason, self.effective
        )


@command
class Revoke(Command):
    """Revokes a resolution."""

    record = "revocation"
    summary = "revoke a resolution"

    resolution: Reference
    reason: Reason

    def handle(self, batch: Batch) -> None:
        """Records the revocation."""
        resolution_of(batch, self.body, self.resolution).revoke(self.reason, self.effective)
