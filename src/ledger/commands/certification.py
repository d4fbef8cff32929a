"""Commands for certification processes: start, contract, auditor, workshops, certificates."""

from __future__ import annotations

from typing import Any

from ledger.commands.batch import Batch
from ledger.commands.fields import (
    parse_date,
    parse_free_text,
    parse_process,
    parse_reference,
    parse_text,
    parse_year,
)
from ledger.commands.registry import Field, command
from ledger.domain.certification import CertificationProcess

PROCESS = Field(parse_process, help="programme/cycle, e.g. audit-fgk/2018")


def process_of(batch: Batch, v: dict[str, Any]) -> CertificationProcess:
    """The started process named by body and process."""
    programme, cycle = v["process"].split("/")
    return batch.get(
        CertificationProcess,
        CertificationProcess.id_for(v["body"], programme, cycle),
        "process",
        v["process"],
    )


@command(
    "process",
    "start a certification or recertification process",
    process=PROCESS,
    kind=Field(parse_text, help="certification or recertification"),
    planned_from=Field(parse_date),
    planned_until=Field(parse_date),
    partner=Field(parse_free_text, required=False, default="", help="the association"),
    resolution=Field(parse_reference, required=False, help="the authorising resolution"),
)
def start_process(batch: Batch, v: dict[str, Any]) -> None:
    """Starts a process of a registered body."""
    batch.body(v["body"])
    programme, cycle = v["process"].split("/")
    batch.create(
        CertificationProcess,
        CertificationProcess.id_for(v["body"], programme, cycle),
        "process",
        v["process"],
        lambda: CertificationProcess.start(
            body=v["body"],
            programme=programme,
            cycle=cycle,
            kind=v["kind"],
            planned_from=v["planned_from"],
            planned_until=v["planned_until"],
            partner=v["partner"],
            resolution=v["resolution"],
            effective=v["effective"],
        ),
    )


@command("contract", "conclude the contract", process=PROCESS, partner=Field(parse_text))
def conclude_contract(batch: Batch, v: dict[str, Any]) -> None:
    """Records the contract."""
    process_of(batch, v).conclude_contract(v["partner"], v["effective"])


@command("auditor", "record the assigned auditor", process=PROCESS, auditor=Field(parse_text))
def assign_auditor(batch: Batch, v: dict[str, Any]) -> None:
    """Records the auditor."""
    process_of(batch, v).assign_auditor(v["auditor"], v["effective"])


@command(
    "workshop",
    "record a workshop",
    process=PROCESS,
    kind=Field(parse_text, help="strategy, target_agreement, balance or annual"),
)
def hold_workshop(batch: Batch, v: dict[str, Any]) -> None:
    """Records a workshop."""
    process_of(batch, v).hold_workshop(v["kind"], v["effective"])


@command("annual-report", "record the annual report", process=PROCESS, year=Field(parse_year))
def submit_annual_report(batch: Batch, v: dict[str, Any]) -> None:
    """Records the annual report."""
    process_of(batch, v).submit_annual_report(v["year"], v["effective"])


@command(
    "certificate",
    "record a certificate with the dates printed on it",
    process=PROCESS,
    valid_from=Field(parse_date),
    valid_until=Field(parse_date, required=False, help="omit for a permanent certificate"),
)
def award_certificate(batch: Batch, v: dict[str, Any]) -> None:
    """Records a certificate."""
    process_of(batch, v).award_certificate(v["valid_from"], v["valid_until"], v["effective"])


@command(
    "certificate-expired",
    "record that the certificate expired (effective: first day without it)",
    process=PROCESS,
)
def expire_certificate(batch: Batch, v: dict[str, Any]) -> None:
    """Records the expiry."""
    process_of(batch, v).expire_certificate(v["effective"])


@command(
    "certificate-withdrawn",
    "record that the certificate was withdrawn",
    process=PROCESS,
    reason=Field(parse_text),
)
def withdraw_certificate(batch: Batch, v: dict[str, Any]) -> None:
    """Records the withdrawal."""
    process_of(batch, v).withdraw_certificate(v["reason"], v["effective"])


@command("process-completed", "record that the process was completed", process=PROCESS)
def complete_process(batch: Batch, v: dict[str, Any]) -> None:
    """Records the completion."""
    process_of(batch, v).complete(v["effective"])


@command(
    "process-abandoned",
    "record that the process was abandoned",
    process=PROCESS,
    reason=Field(parse_text),
)
def abandon_process(batch: Batch, v: dict[str, Any]) -> None:
    """Records the abandonment."""
    process_of(batch, v).abandon(v["reason"], v["effective"])
