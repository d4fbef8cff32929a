"""Commands for certification processes: start, contract, auditor, workshops, certificates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from ledger.commands.batch import Batch
from ledger.commands.fields import (
    parse_date,
    parse_free_text,
    parse_process,
    parse_reference,
    parse_text,
    parse_year,
)
from ledger.commands.registry import Command, Parse, command
from ledger.domain.certification import PROCESS_KINDS, WORKSHOP_KINDS, CertificationProcess

Reason = Annotated[str, Parse(parse_text)]


def process_of(batch: Batch, body: str, process: str) -> CertificationProcess:
    """The started process named by body and process (programme/cycle)."""
    programme, cycle = process.split("/")
    return batch.get(
        CertificationProcess,
        CertificationProcess.id_for(body, programme, cycle),
        "process",
        process,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class OnProcess(Command):
    """A command on a certification process or on what belongs to it."""

    process: Annotated[str, Parse(parse_process, help="programme/cycle, e.g. audit-fgk/2018")]

    def certification(self, batch: Batch) -> CertificationProcess:
        """The started process this command names."""
        return process_of(batch, self.body, self.process)


@command
class StartProcess(OnProcess):
    """Starts a process of a registered body."""

    record = "process"
    summary = "start a certification or recertification process"

    kind: Annotated[
        str, Parse(parse_text, help="certification or recertification", choices=PROCESS_KINDS)
    ]
    planned_from: Annotated[date, Parse(parse_date)]
    planned_until: Annotated[date, Parse(parse_date)]
    partner: Annotated[str, Parse(parse_free_text, help="the association")] = ""
    resolution: Annotated[str | None, Parse(parse_reference, help="the authorising resolution")] = (
        None
    )

    def handle(self, batch: Batch) -> None:
        """Starts the process."""
        batch.body(self.body)
        programme, cycle = self.process.split("/")
        batch.create(
            CertificationProcess,
            CertificationProcess.id_for(self.body, programme, cycle),
            "process",
            self.process,
            lambda: CertificationProcess.start(
                body=self.body,
                programme=programme,
                cycle=cycle,
                kind=self.kind,
                planned_from=self.planned_from,
                planned_until=self.planned_until,
                partner=self.partner,
                resolution=self.resolution,
                effective=self.effective,
            ),
        )


@command
class ConcludeContract(OnProcess):
    """Records the contract."""

    record = "contract"
    summary = "conclude the contract"

    partner: Annotated[str, Parse(parse_text)]

    def handle(self, batch: Batch) -> None:
        """Records the contract."""
        self.certification(batch).conclude_contract(self.partner, self.effective)


@command
class AssignAuditor(OnProcess):
    """Records the auditor."""

    record = "auditor"
    summary = "record the assigned auditor"

    auditor: Annotated[str, Parse(parse_text)]

    def handle(self, batch: Batch) -> None:
        """Records the auditor."""
        self.certification(batch).assign_auditor(self.auditor, self.effective)


@command
class HoldWorkshop(OnProcess):
    """Records a workshop."""

    record = "workshop"
    summary = "record a workshop"

    kind: Annotated[
        str,
        Parse(
            parse_text,
            help="strategy, target_agreement, balance or annual",
            choices=WORKSHOP_KINDS,
        ),
    ]

    def handle(self, batch: Batch) -> None:
        """Records the workshop."""
        self.certification(batch).hold_workshop(self.kind, self.effective)


@command
class SubmitAnnualReport(OnProcess):
    """Records the annual report."""

    record = "annual-report"
    summary = "record the annual report"

    year: Annotated[int, Parse(parse_year)]

    def handle(self, batch: Batch) -> None:
        """Records the annual report."""
        self.certification(batch).submit_annual_report(self.year, self.effective)


@command
class AwardCertificate(OnProcess):
    """Records a certificate."""

    record = "certificate"
    summary = "record a certificate with the dates printed on it"

    valid_from: Annotated[date, Parse(parse_date)]
    valid_until: Annotated[
        date | None, Parse(parse_date, help="omit for a permanent certificate")
    ] = None

    def handle(self, batch: Batch) -> None:
        """Records the certificate."""
        self.certification(batch).award_certificate(
            self.valid_from, self.valid_until, self.effective
        )


@command
class ExpireCertificate(OnProcess):
    """Records the expiry."""

    record = "certificate-expired"
    summary = "record that the certificate expired (effective: first day without it)"

    def handle(self, batch: Batch) -> None:
        """Records the expiry."""
        self.certification(batch).expire_certificate(self.effective)


@command
class WithdrawCertificate(OnProcess):
    """Records the withdrawal."""

    record = "certificate-withdrawn"
    summary = "record that the certificate was withdrawn"

    reason: Reason

    def handle(self, batch: Batch) -> None:
        """Records the withdrawal."""
        self.certification(batch).withdraw_certificate(self.reason, self.effective)


@command
class CompleteProcess(OnProcess):
    """Records the completion."""

    record = "process-completed"
    summary = "record that the process was completed"

    def handle(self, batch: Batch) -> None:
        """Records the completion."""
        self.certification(batch).complete(self.effective)


@command
class AbandonProcess(OnProcess):
    """Records the abandonment."""

    record = "process-abandoned"
    summary = "record that the process was abandoned"

    reason: Reason

    def handle(self, batch: Batch) -> None:
        """Records the abandonment."""
        self.certification(batch).abandon(self.reason, self.effective)
