"""Resolution (Vorlage / Beschluss): proposal, votes, decisions, execution, amendment, revocation.

A vote states all four counts and its outcome follows the body's majority rule; a decision
states what the protocol states (outcome, wording, some counts). Their rules live in
ledger.domain.tally. A committee decides once on a resolution in a meeting: one vote or one
decision per committee and meeting date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.domain.base import Fold, LedgerAggregate, check_source, evolve, record_id
from ledger.domain.tally import (
    check_counts,
    check_outcome,
    check_statement,
    check_tally,
    check_vote,
)
from ledger.errors import RuleViolationError

#: A resolution reference as council systems write them: "2018/6/067", "V 123/2018",
#: "20-26 / V 01234", "DS 18/0815". Letters (with umlauts), digits, single spaces and
#: . _ - / ( ) , : — starting with a letter or digit; no part between slashes is empty or
#: dots only (a URL path would drop or resolve it).
REFERENCE = re.compile(r"[0-9A-Za-zÄÖÜäöüß][0-9A-Za-zÄÖÜäöüß ._(),:/-]*")
#: Control characters (C0, DEL, C1): a reference is one line of visible text.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: The most characters of a reference (real ones have a few dozen).
MAX_REFERENCE = 100


def normalize_reference(reference: str) -> str:
    """A reference as the ledger keeps it: trimmed, each run of spaces (also no-break and
    other Unicode spaces) one space.

    A reference without whitespace is unchanged, so the ids of existing resolutions (a
    uuid5 of the reference) stay what they were.
    """
    return " ".join(reference.split())


def check_reference(reference: str, field: str = "reference") -> str:
    """The reference normalized (see `normalize_reference`); refuses one that is too long,
    has control or other characters, or an empty part between slashes."""
    if len(reference) > 4 * MAX_REFERENCE:  # before splitting a huge text
        raise RuleViolationError(field, f"must be at most {MAX_REFERENCE} characters long")
    if CONTROL.search(reference):
        raise RuleViolationError(
            field, f"{reference[:60]!r} must not contain control characters (tab, line break, …)"
        )
    text = normalize_reference(reference)
    if len(text) > MAX_REFERENCE:
        raise RuleViolationError(
            field, f"must be at most {MAX_REFERENCE} characters long, got {len(text)}"
        )
    if not REFERENCE.fullmatch(text) or any(not part.strip(" .") for part in text.split("/")):
        raise RuleViolationError(
            field,
            f"{text[:60]!r} is not a resolution reference such as 2018/6/067 or V 123/2018 "
            "(letters, digits, spaces and . _ - / ( ) , : starting with a letter or digit, "
            "no empty part between slashes)",
        )
    return text


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
    #: Where the vote was taken from (provenance); None: not stated.
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision in a committee meeting as the protocol states it; None: not stated."""

    committee: str
    meeting_date: date
    outcome: str | None
    wording: str | None
    yes: int | None
    no: int | None
    abstentions: int | None
    recused: int | None
    #: Where the decision was taken from (provenance); None: not stated.
    source: str | None = None


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
    decisions: tuple[Decision, ...] = ()
    #: The outcome of the last vote, or decision stating one, in valid-time order.
    outcome: str | None = None
    #: The meeting date of that vote or decision.
    decided_on: date | None = None
    executed_on: date | None = None
    amendments: tuple[str, ...] = ()
    revoked_on: date | None = None
    #: Where the proposal was taken from (provenance); None: not stated.
    source: str | None = None

    @property
    def status(self) -> str:
        """proposed, revoked, or the last stated outcome of a vote or decision: adopted,
        rejected, deferred, referred, noted or withdrawn."""
        if self.revoked_on is not None:
            return "revoked"
        if self.outcome is None:
            return "proposed"
        return self.outcome


class Resolution(LedgerAggregate):
    """A committee resolution, from proposal to vote, execution, amendment or revocation."""

    KIND = "resolution"
    #: A proposal recorded in error (a Paper deleted in the OParl source) may be retracted
    #: as a whole; other records name a resolution only by its reference.
    CREATION_RETRACTABLE = True

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
        #: Where it comes from (see base.check_source); None: not stated.
        source: str | None = None

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
        #: Where it comes from (see base.check_source); None: not stated.
        source: str | None = None

    class DecisionRecorded(LedgerAggregate.Event):
        """A committee decided on the resolution, as its protocol states; `effective` is the
        meeting date. What the protocol does not state is None (unknown).

        Like a vote, committee and date identify it.
        """

        IDENTITY = ("committee", "effective")
        NOUN = "the decision of '{committee}' on {effective}"

        committee: str
        outcome: str | None
        wording: str | None
        yes: int | None
        no: int | None
        abstentions: int | None
        recused: int | None
        #: Where it comes from (see base.check_source); None: not stated.
        source: str | None = None

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
        """The id of resolution `reference` of `body` (whitespace as `normalize_reference`
        leaves it: "V  123/2018" and "V 123/2018" name one resolution)."""
        return record_id("resolution", body, normalize_reference(reference))

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
        source: str | None = None,
    ) -> Resolution:
        """Records a proposal; the reference, title and items are checked."""
        reference = check_reference(reference)
        check_source(source)
        if not title.strip():
            raise RuleViolationError("title", "must not be empty")
        if (financial_effect is None) != (line is None) or (line is None) != (year is None):
            raise RuleViolationError(
                "financial_effect",
                "a financial effect needs all of amount, year and line (or none of them)",
            )
        return cls.created_by(
            cls.Proposed(
                **cls.creation_envelope(cls.id_for(body, reference)),
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
                source=source,
            )
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
        source: str | None = None,
    ) -> str:
        """Records a vote after checking counts, seats and outcome; returns the outcome.

        Repeating a vote (same committee and meeting date) appends nothing; its counts and a
        given outcome must agree with the vote recorded (its source is not compared).
        """
        check_counts(yes, no, abstentions, recused)
        check_outcome(outcome)
        check_source(source)
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
        self._check_once_per_meeting(self.DecisionRecorded, committee, effective, "vote")
        decided = check_vote(yes, no, abstentions, recused, outcome, seats, majority_rule)
        self.append(
            self.VoteRecorded(
                **self.envelope(),
                committee=committee,
                yes=yes,
                no=no,
                abstentions=abstentions,
                recused=recused,
                outcome=decided,
                effective=effective,
                source=source,
            )
        )
        return decided

    def record_decision(
        self,
        *,
        committee: str,
        outcome: str | None,
        wording: str | None,
        counts: dict[str, int | None],
        seats: int,
        majority_rule: str,
        effective: date,
        source: str | None = None,
    ) -> None:
        """Records a decision after checking what it states against the seats and the rule.

        `counts` holds yes, no, abstentions and recused, None where not stated. Repeating a
        decision (same committee and meeting date) appends nothing; what it states must
        agree with the decision recorded (what it leaves out, and its source, are not
        compared).
        """
        check_statement(outcome, wording, counts)
        check_source(source)
        stated = {"outcome": outcome, "wording": wording, **counts}
        values = {name: value for name, value in stated.items() if value is not None}
        repeat = self.repeat_of(
            self.DecisionRecorded, committee=committee, effective=effective, **values
        )
        if repeat.status != "new":
            return
        self._check_not_revoked(effective)
        self._check_once_per_meeting(self.VoteRecorded, committee, effective, "decision")
        check_tally(outcome, counts, seats, majority_rule)
        self.append(
            self.DecisionRecorded(
                **self.envelope(),
                committee=committee,
                outcome=outcome,
                wording=wording,
                yes=counts.get("yes"),
                no=counts.get("no"),
                abstentions=counts.get("abstentions"),
                recused=counts.get("recused"),
                effective=effective,
                source=source,
            )
        )

    def _check_once_per_meeting(
        self, other: type[LedgerAggregate.Event], committee: str, effective: date, kind: str
    ) -> None:
        """Refuses a vote where a decision of the same meeting stands, and the other way round:
        the read model would show the committee deciding twice in one meeting."""
        standing = self.find_repeat(other, committee=committee, effective=effective)
        if standing.status == "standing":
            noun = other.NOUN.format(committee=committee, effective=effective)
            raise RuleViolationError(
                "effective",
                f"{noun} is already recorded on this resolution (version {standing.version}); "
                f"a committee decides once on a resolution in a meeting: correct or retract "
                f"it rather than recording a {kind} too",
            )

    def execute(self, effective: date) -> None:
        """Records the execution (Ausfertigung); only an adopted resolution is executed."""
        fact = self.Executed(**self.envelope(), effective=effective)
        self.record_once(fact, check=lambda: self._check_executable(effective))

    def _check_executable(self, effective: date) -> None:
        """Refuses to execute a resolution not adopted on `effective`, or retracted."""
        if self.gone:
            raise self.gone_error()
        state = self.state_at(effective)
        if state.status != "adopted":
            raise RuleViolationError(
                "resolution",
                f"{state.reference or self.state_at().reference} is {state.status} on "
                f"{effective}; only an adopted resolution can be executed",
            )

    def amend(
        self, title: str | None, items: list[str] | None, reason: str, effective: date
    ) -> None:
        """Records an amendment of the title and/or items."""
        if title is None and items is None:
            raise RuleViolationError("title", "an amendment changes the title or the items")
        if not reason.strip():
            raise RuleViolationError("reason", "an amendment needs a reason")
        fact = self.Amended(
            **self.envelope(), title=title, items=items, reason=reason, effective=effective
        )
        self.record_once(fact, check=lambda: self._check_not_revoked(effective))

    def revoke(self, reason: str, effective: date) -> None:
        """Records the revocation of the resolution."""
        if not reason.strip():
            raise RuleViolationError("reason", "a revocation needs a reason")
        fact = self.Revoked(**self.envelope(), reason=reason, effective=effective)
        self.record_once(fact, check=lambda: self._check_not_revoked(effective))

    def _check_not_revoked(self, effective: date) -> None:
        """Refuses a new fact on a resolution revoked by `effective`, or retracted."""
        if self.gone:
            raise self.gone_error()
        state = self.state_at(effective)
        if state.revoked_on is not None:
            raise RuleViolationError(
                "resolution", f"{state.reference} was revoked on {state.revoked_on}"
            )

    def state_at(self, as_of: date | None = None) -> ResolutionState:
        """The resolution at the end of `as_of`."""
        return self.fold(RESOLUTION, as_of)


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
            source=fact.source,
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
            source=fact.source,
        )
        return evolve(
            state,
            votes=(*state.votes, vote),
            outcome=fact.outcome,
            decided_on=fact.effective,
        )
    if isinstance(fact, Resolution.DecisionRecorded):
        decision = Decision(
            committee=fact.committee,
            meeting_date=fact.effective,
            outcome=fact.outcome,
            wording=fact.wording,
            yes=fact.yes,
            no=fact.no,
            abstentions=fact.abstentions,
            recused=fact.recused,
            source=fact.source,
        )
        if fact.outcome is None:
            return evolve(state, decisions=(*state.decisions, decision))
        return evolve(
            state,
            decisions=(*state.decisions, decision),
            outcome=fact.outcome,
            decided_on=fact.effective,
        )
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
