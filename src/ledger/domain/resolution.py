"""Resolution (Vorlage / Beschluss): proposal, votes, execution, amendment and revocation.

The vote rules live here: counts are whole numbers ≥ 0, their sum fits the committee's
voting seats on the meeting date, and the outcome follows the body's majority rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.domain.base import Fold, LedgerAggregate, evolve, record_id
from ledger.domain.body import outcome_of
from ledger.errors import RuleViolationError

REFERENCE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*(?:/[0-9A-Za-z._-]+)*$")
OUTCOMES = ("adopted", "rejected")


@dataclass(frozen=True, slots=True)
class Vote:
    """One vote in a committee meeting."""

    committee: str
    meeting_date: date
    yes: int
    no: int
    abstentions: int
    recused: int
    outcome: str


@dataclass(frozen=True, slots=True)
class ResolutionState:
    """A resolution as it stands at a date."""

    reference: str = ""
    title: str = ""
    committee: str = ""
    submitter: str = ""
    public: bool = True
    items: tuple[str, ...] = ()
    financial_effect: Decimal | None = None
    year: int | None = None
    line: str | None = None
    proposed_on: date | None = None
    votes: tuple[Vote, ...] = ()
    executed_on: date | None = None
    amendments: tuple[str, ...] = ()
    revoked_on: date | None = None

    @property
    def status(self) -> str:
        """proposed, adopted, rejected or revoked (the last vote decides)."""
        if self.revoked_on is not None:
            return "revoked"
        if not self.votes:
            return "proposed"
        return self.votes[-1].outcome


class Resolution(LedgerAggregate):
    """A committee resolution, from proposal to vote, execution, amendment or revocation."""

    KIND = "resolution"

    class Proposed(LedgerAggregate.Created):
        """The proposal (Beschlussvorlage) was submitted."""

        body: str
        reference: str
        title: str
        committee: str
        submitter: str
        public: bool
        items: list[str]
        financial_effect: Decimal | None
        year: int | None
        line: str | None

    class VoteRecorded(LedgerAggregate.Event):
        """A committee voted on the resolution; `effective` is the meeting date.

        A committee votes once on a resolution in a meeting: committee and date identify it.
        """

        IDENTITY = ("committee", "effective")
        NOUN = "the vote of '{committee}' on {effective}"

        committee: str
        yes: int
        no: int
        abstentions: int
        recused: int
        outcome: str

    class Executed(LedgerAggregate.Event):
        """The resolution was executed (ausgefertigt)."""

    class Amended(LedgerAggregate.Event):
        """The resolution was amended: new title and/or items, with a reason."""

        title: str | None
        items: list[str] | None
        reason: str

    class Revoked(LedgerAggregate.Event):
        """The resolution was revoked (aufgehoben)."""

        reason: str

    @staticmethod
    def id_for(body: str, reference: str) -> UUID:
        """The id of resolution `reference` of `body`."""
        return record_id("resolution", body, reference)

    @classmethod
    def propose(
        cls,
        *,
        body: str,
        reference: str,
        title: str,
        committee: str,
        submitter: str,
        public: bool,
        items: list[str],
        financial_effect: Decimal | None,
        year: int | None,
        line: str | None,
        effective: date,
    ) -> Resolution:
        """Records a proposal; the reference, title and items are checked."""
        if not REFERENCE.match(reference):
            raise RuleViolationError(
                "reference", f"'{reference}' is not a resolution reference such as 2018/6/067"
            )
        if not title.strip():
            raise RuleViolationError("title", "must not be empty")
        if (financial_effect is None) != (line is None) or (line is None) != (year is None):
            raise RuleViolationError(
                "financial_effect",
                "a financial effect needs all of amount, year and line (or none of them)",
            )
        return cls._create(
            cls.Proposed,
            id=cls.id_for(body, reference),
            body=body,
            reference=reference,
            title=title,
            committee=committee,
            submitter=submitter,
            public=public,
            items=items,
            financial_effect=financial_effect,
            year=year,
            line=line,
            effective=effective,
        )

    def record_vote(
        self,
        *,
        committee: str,
        yes: int,
        no: int,
        abstentions: int,
        recused: int,
        outcome: str | None,
        seats: int,
        majority_rule: str,
        effective: date,
    ) -> str:
        """Records a vote after checking counts, seats and outcome; returns the outcome.

        Repeating a vote (same committee and meeting date) appends nothing; its counts and a
        given outcome must agree with the vote recorded.
        """
        check_counts(yes, no, abstentions, recused)
        check_outcome(outcome)
        values: dict[str, Any] = {"yes": yes, "no": no, "abstentions": abstentions}
        values["recused"] = recused
        if outcome is not None:
            values["outcome"] = outcome
        repeat = self.repeat_of(
            self.VoteRecorded, committee=committee, effective=effective, **values
        )
        if repeat.status != "new":
            repeated: str = repeat.fact.outcome
            return repeated
        self._check_not_revoked(effective)
        decided = check_vote(yes, no, abstentions, recused, outcome, seats, majority_rule)
        self.trigger_event(
            self.VoteRecorded,
            committee=committee,
            yes=yes,
            no=no,
            abstentions=abstentions,
            recused=recused,
            outcome=decided,
            effective=effective,
        )
        return decided

    def execute(self, effective: date) -> None:
        """Records the execution (Ausfertigung); only an adopted resolution is executed."""
        if self.already_recorded(self.Executed, effective=effective):
            return
        state = self.state_at(effective)
        if state.status != "adopted":
            raise RuleViolationError(
                "resolution",
                f"{state.reference or self.state_at().reference} is {state.status} on "
                f"{effective}; only an adopted resolution can be executed",
            )
        self.trigger_event(self.Executed, effective=effective)

    def amend(
        self, title: str | None, items: list[str] | None, reason: str, effective: date
    ) -> None:
        """Records an amendment of the title and/or items."""
        if title is None and items is None:
            raise RuleViolationError("title", "an amendment changes the title or the items")
        if not reason.strip():
            raise RuleViolationError("reason", "an amendment needs a reason")
        if self.already_recorded(
            self.Amended, title=title, items=items, reason=reason, effective=effective
        ):
            return
        self._check_not_revoked(effective)
        self.trigger_event(
            self.Amended, title=title, items=items, reason=reason, effective=effective
        )

    def revoke(self, reason: str, effective: date) -> None:
        """Records the revocation of the resolution."""
        if not reason.strip():
            raise RuleViolationError("reason", "a revocation needs a reason")
        if self.already_recorded(self.Revoked, reason=reason, effective=effective):
            return
        self._check_not_revoked(effective)
        self.trigger_event(self.Revoked, reason=reason, effective=effective)

    def _check_not_revoked(self, effective: date) -> None:
        state = self.state_at(effective)
        if state.revoked_on is not None:
            raise RuleViolationError(
                "resolution", f"{state.reference} was revoked on {state.revoked_on}"
            )

    def state_at(self, as_of: date | None = None) -> ResolutionState:
        """The resolution at the end of `as_of`."""
        return self.fold(RESOLUTION, as_of)


def check_vote(
    yes: int,
    no: int,
    abstentions: int,
    recused: int,
    outcome: str | None,
    seats: int,
    majority_rule: str,
) -> str:
    """Checks a vote against the seats and the majority rule; returns the outcome."""
    check_counts(yes, no, abstentions, recused)
    check_outcome(outcome)
    total = yes + no + abstentions + recused
    if total > seats:
        raise RuleViolationError(
            "yes",
            f"yes + no + abstentions + recused = {total} exceeds the committee's "
            f"{seats} voting seats on the meeting date",
        )
    decided = outcome_of(majority_rule, yes, no, abstentions, seats)
    if outcome is not None and outcome != decided:
        raise RuleViolationError(
            "outcome",
            f"'{outcome}' contradicts the {majority_rule} majority rule: "
            f"{yes} yes / {no} no gives '{decided}'",
        )
    return decided


def check_counts(yes: int, no: int, abstentions: int, recused: int) -> None:
    """Refuses a negative count."""
    counts = {"yes": yes, "no": no, "abstentions": abstentions, "recused": recused}
    for name, value in counts.items():
        if value < 0:
            raise RuleViolationError(name, f"must be a whole number ≥ 0, got {value}")


def check_outcome(outcome: str | None) -> None:
    """Refuses an outcome other than adopted or rejected (None: decided by the rule)."""
    if outcome is not None and outcome not in OUTCOMES:
        raise RuleViolationError(
            "outcome", f"must be one of {', '.join(OUTCOMES)}, got '{outcome}'"
        )


def _step(state: ResolutionState, fact: Any) -> ResolutionState:
    if isinstance(fact, Resolution.Proposed):
        return evolve(
            state,
            reference=fact.reference,
            title=fact.title,
            committee=fact.committee,
            submitter=fact.submitter,
            public=fact.public,
            items=tuple(fact.items),
            financial_effect=fact.financial_effect,
            year=fact.year,
            line=fact.line,
            proposed_on=fact.effective,
        )
    if isinstance(fact, Resolution.VoteRecorded):
        vote = Vote(
            committee=fact.committee,
            meeting_date=fact.effective,
            yes=fact.yes,
            no=fact.no,
            abstentions=fact.abstentions,
            recused=fact.recused,
            outcome=fact.outcome,
        )
        return evolve(state, votes=(*state.votes, vote))
    if isinstance(fact, Resolution.Executed):
        return evolve(state, executed_on=fact.effective)
    if isinstance(fact, Resolution.Amended):
        return evolve(
            state,
            title=fact.title if fact.title is not None else state.title,
            items=tuple(fact.items) if fact.items is not None else state.items,
            amendments=(*state.amendments, fact.reason),
        )
    if isinstance(fact, Resolution.Revoked):
        return evolve(state, revoked_on=fact.effective)
    return state


RESOLUTION = Fold(ResolutionState(), _step)
