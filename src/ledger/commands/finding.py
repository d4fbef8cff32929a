"""Commands for auditor findings: finding, answered, closed, withdrawn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from ledger.commands.agreement import agreement_of
from ledger.commands.batch import Batch
from ledger.commands.certification import OnProcess
from ledger.commands.fields import parse_bool, parse_positive, parse_text
from ledger.commands.registry import Parse, command
from ledger.domain.finding import ASSESSMENTS, FINDING_KINDS, Finding
from ledger.domain.measure import Measure
from ledger.errors import RuleViolationError


@dataclass(frozen=True, slots=True, kw_only=True)
class OnFinding(OnProcess):
    """A command on a finding, named by process and number."""

    finding: Annotated[int, Parse(parse_positive, help="the finding's number within the process")]

    def recorded_finding(self, batch: Batch) -> Finding:
        """The recorded finding named by process and number."""
        return batch.get(
            Finding,
            Finding.id_for(self.body, self.process, self.finding),
            "finding",
            f"{self.finding} of {self.process}",
        )


@command
class RecordFinding(OnFinding):
    """Records an auditor's finding on an existing subject."""

    record = "finding"
    summary = "record an auditor's finding"

    subject: Annotated[str, Parse(parse_text, help="process, goal:CODE or measure:CODE")]
    kind: Annotated[
        str,
        Parse(parse_text, help="observation, recommendation or deficiency", choices=FINDING_KINDS),
    ]
    assessment: Annotated[
        str,
        Parse(
            parse_text,
            help="appropriate, not_appropriate, feasible, not_feasible or none",
            choices=ASSESSMENTS,
        ),
    ] = "none"
    text: Annotated[str, Parse(parse_text)]
    published: Annotated[bool, Parse(parse_bool, help="visible to the public")] = False

    def check_subject(self, batch: Batch) -> None:
        """The subject must exist on the finding's date: process, goal:CODE or measure:CODE."""
        subject = self.subject
        if subject == "process":
            return
        kind, _, code = subject.partition(":")
        if kind == "goal" and code:
            agreement_of(batch, self.body, self.process).live_goal(code, self.effective)
            return
        if kind == "measure" and code:
            measure = batch.find(Measure, Measure.id_for(self.body, self.process, code))
            if measure is None or measure.state_at(self.effective).added_on is None:
                raise RuleViolationError(
                    "subject",
                    f"measure '{code}' does not exist in {self.process} on {self.effective}",
                )
            return
        raise RuleViolationError(
            "subject", f"'{subject}' must be 'process', 'goal:CODE' or 'measure:CODE'"
        )

    def handle(self, batch: Batch) -> None:
        """Records the finding."""
        self.certification(batch)
        self.check_subject(batch)
        batch.create(
            Finding,
            Finding.id_for(self.body, self.process, self.finding),
            "finding",
            f"{self.finding} of {self.process}",
            lambda: Finding.record(
                body=self.body,
                process=self.process,
                number=self.finding,
                subject=self.subject,
                kind=self.kind,
                assessment=self.assessment,
                text=self.text,
                published=self.published,
                effective=self.effective,
            ),
        )


@command
class AnswerFinding(OnFinding):
    """Records the answer to a finding."""

    record = "finding-answered"
    summary = "record the answer to a finding"

    text: Annotated[str, Parse(parse_text)]

    def handle(self, batch: Batch) -> None:
        """Records the answer."""
        self.recorded_finding(batch).answer(self.text, self.effective)


@command
class CloseFinding(OnFinding):
    """Closes a finding."""

    record = "finding-closed"
    summary = "close a finding"

    def handle(self, batch: Batch) -> None:
        """Closes the finding."""
        self.recorded_finding(batch).close(self.effective)


@command
class WithdrawFinding(OnFinding):
    """Withdraws a finding."""

    record = "finding-withdrawn"
    summary = "withdraw a finding"

    reason: Annotated[str, Parse(parse_text)]

    def handle(self, batch: Batch) -> None:
        """Withdraws the finding."""
        self.recorded_finding(batch).withdraw(self.reason, self.effective)
