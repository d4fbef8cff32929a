"""Finding: an auditor's finding on a process, goal or measure, its answer and its closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from ledger.domain.base import Fold, LedgerAggregate, evolve, record_id
from ledger.errors import RuleViolationError

FINDING_KINDS = ("observation", "recommendation", "deficiency")
ASSESSMENTS = ("appropriate", "not_appropriate", "feasible", "not_feasible", "none")


@dataclass(frozen=True, slots=True)
class FindingState:
    """A finding as it stands at a date."""

    body: str = ""
    process: str = ""
    number: int = 0
    subject: str = ""
    kind: str = ""
    assessment: str = "none"
    text: str = ""
    published: bool = False
    recorded_on: date | None = None
    answer: str | None = None
    answered_on: date | None = None
    closed_on: date | None = None
    withdrawn_on: date | None = None

    @property
    def status(self) -> str:
        """open, answered, closed or withdrawn."""
        if self.withdrawn_on is not None:
            return "withdrawn"
        if self.closed_on is not None:
            return "closed"
        if self.answered_on is not None:
            return "answered"
        return "open"


class Finding(LedgerAggregate):
    """An auditor's finding, numbered within its process."""

    KIND = "finding"

    class Recorded(LedgerAggregate.Created):
        """The auditor recorded a finding on a subject (process, goal:CODE or measure:CODE)."""

        body: str
        process: str
        number: int
        subject: str
        kind: str
        assessment: str
        text: str
        published: bool

    class Answered(LedgerAggregate.Event):
        """The body answered the finding."""

        text: str

    class Closed(LedgerAggregate.Event):
        """The auditor closed the finding."""

    class Withdrawn(LedgerAggregate.Event):
        """The auditor withdrew the finding."""

        reason: str

    @staticmethod
    def id_for(body: str, process: str, number: int) -> UUID:
        """The id of finding `number` of `process` of `body`."""
        return record_id("finding", body, process, number)

    @classmethod
    def record(
        cls,
        *,
        body: str,
        process: str,
        number: int,
        subject: str,
        kind: str,
        assessment: str,
        text: str,
        published: bool,
        effective: date,
    ) -> Finding:
        """Records a finding; the caller has checked that its subject exists."""
        if number < 1:
            raise RuleViolationError("number", f"must be a whole number ≥ 1, got {number}")
        if kind not in FINDING_KINDS:
            raise RuleViolationError("kind", f"must be one of {', '.join(FINDING_KINDS)}")
        if assessment not in ASSESSMENTS:
            raise RuleViolationError("assessment", f"must be one of {', '.join(ASSESSMENTS)}")
        if not text.strip():
            raise RuleViolationError("text", "must not be empty")
        return cls.created_by(
            cls.Recorded(
                **cls.creation_envelope(cls.id_for(body, process, number)),
                body=body,
                process=process,
                number=number,
                subject=subject,
                kind=kind,
                assessment=assessment,
                text=text,
                published=published,
                effective=effective,
            )
        )

    def answer(self, text: str, effective: date) -> None:
        """Records the body's answer."""
        if not text.strip():
            raise RuleViolationError("text", "must not be empty")
        fact = self.Answered(**self.envelope(), text=text, effective=effective)
        self.record_once(fact, check=lambda: self._check_open(effective))

    def close(self, effective: date) -> None:
        """Closes the finding."""
        fact = self.Closed(**self.envelope(), effective=effective)
        self.record_once(fact, check=lambda: self._check_open(effective))

    def withdraw(self, reason: str, effective: date) -> None:
        """Withdraws the finding."""
        if not reason.strip():
            raise RuleViolationError("reason", "a withdrawal needs a reason")
        fact = self.Withdrawn(**self.envelope(), reason=reason, effective=effective)
        self.record_once(fact, check=lambda: self._check_open(effective))

    def _check_open(self, effective: date) -> None:
        state = self.state_at(effective)
        if state.recorded_on is None:
            raise RuleViolationError("effective", f"{effective} is before the finding was recorded")
        if state.status in ("closed", "withdrawn"):
            raise RuleViolationError("finding", f"finding {state.number} is {state.status}")

    def state_at(self, as_of: date | None = None) -> FindingState:
        """The finding at the end of `as_of`."""
        return self.fold(FINDING, as_of)


def _step(state: FindingState, fact: Any) -> FindingState:
    match fact:
        case Finding.Recorded():
            return evolve(
                state,
                body=fact.body,
                process=fact.process,
                number=fact.number,
                subject=fact.subject,
                kind=fact.kind,
                assessment=fact.assessment,
                text=fact.text,
                published=fact.published,
                recorded_on=fact.effective,
            )
        case Finding.Answered():
            return evolve(state, answer=fact.text, answered_on=fact.effective)
        case Finding.Closed():
            return evolve(state, closed_on=fact.effective)
        case Finding.Withdrawn():
            return evolve(state, withdrawn_on=fact.effective)
    return state


FINDING = Fold(FindingState(), _step)
