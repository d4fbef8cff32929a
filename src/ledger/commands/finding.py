"""Commands for auditor findings: finding, answered, closed, withdrawn."""

from __future__ import annotations

from typing import Any

from ledger.commands.agreement import agreement_of
from ledger.commands.batch import Batch
from ledger.commands.certification import PROCESS, process_of
from ledger.commands.fields import parse_bool, parse_positive, parse_text
from ledger.commands.registry import Field, command
from ledger.domain.finding import Finding
from ledger.domain.measure import Measure
from ledger.errors import RuleViolationError

NUMBER = Field(parse_positive, help="the finding's number within the process")


def finding_of(batch: Batch, v: dict[str, Any]) -> Finding:
    """The recorded finding named by process and number."""
    return batch.get(
        Finding,
        Finding.id_for(v["body"], v["process"], v["finding"]),
        "finding",
        f"{v['finding']} of {v['process']}",
    )


def check_subject(batch: Batch, v: dict[str, Any]) -> None:
    """The subject must exist on the finding's date: process, goal:CODE or measure:CODE."""
    subject: str = v["subject"]
    if subject == "process":
        return
    kind, _, code = subject.partition(":")
    if kind == "goal" and code:
        agreement_of(batch, v).live_goal(code, v["effective"])
        return
    if kind == "measure" and code:
        measure = batch.find(Measure, Measure.id_for(v["body"], v["process"], code))
        if measure is None or measure.state_at(v["effective"]).added_on is None:
            raise RuleViolationError(
                "subject", f"measure '{code}' does not exist in {v['process']} on {v['effective']}"
            )
        return
    raise RuleViolationError(
        "subject", f"'{subject}' must be 'process', 'goal:CODE' or 'measure:CODE'"
    )


@command(
    "finding",
    "record an auditor's finding",
    process=PROCESS,
    finding=NUMBER,
    subject=Field(parse_text, help="process, goal:CODE or measure:CODE"),
    kind=Field(parse_text, help="observation, recommendation or deficiency"),
    assessment=Field(
        parse_text,
        required=False,
        default="none",
        help="appropriate, not_appropriate, feasible, not_feasible or none",
    ),
    text=Field(parse_text),
    published=Field(parse_bool, required=False, default=False, help="visible to the public"),
)
def record_finding(batch: Batch, v: dict[str, Any]) -> None:
    """Records a finding on an existing subject."""
    process_of(batch, v)
    check_subject(batch, v)
    batch.create(
        Finding,
        Finding.id_for(v["body"], v["process"], v["finding"]),
        "finding",
        f"{v['finding']} of {v['process']}",
        lambda: Finding.record(
            body=v["body"],
            process=v["process"],
            number=v["finding"],
            subject=v["subject"],
            kind=v["kind"],
            assessment=v["assessment"],
            text=v["text"],
            published=v["published"],
            effective=v["effective"],
        ),
    )


@command(
    "finding-answered",
    "record the answer to a finding",
    process=PROCESS,
    finding=NUMBER,
    text=Field(parse_text),
)
def answer_finding(batch: Batch, v: dict[str, Any]) -> None:
    """Records the answer."""
    finding_of(batch, v).answer(v["text"], v["effective"])


@command("finding-closed", "close a finding", process=PROCESS, finding=NUMBER)
def close_finding(batch: Batch, v: dict[str, Any]) -> None:
    """Closes the finding."""
    finding_of(batch, v).close(v["effective"])


@command(
    "finding-withdrawn",
    "withdraw a finding",
    process=PROCESS,
    finding=NUMBER,
    reason=Field(parse_text),
)
def withdraw_finding(batch: Batch, v: dict[str, Any]) -> None:
    """Withdraws the finding."""
    finding_of(batch, v).withdraw(v["reason"], v["effective"])
