"""Commands that fix the record: correction (replacement values) and retraction (recorded in error).

Both name the record (`target` and its key fields) and the version of the event they fix;
`ledger log` shows every event's record and version.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID

from ledger.commands.batch import Batch
from ledger.commands.budget import parse_signed_money
from ledger.commands.fields import (
    parse_bool,
    parse_code,
    parse_count,
    parse_date,
    parse_free_text,
    parse_mapping,
    parse_money,
    parse_positive,
    parse_process,
    parse_reference,
    parse_source,
    parse_text,
    parse_text_list,
    parse_year,
)
from ledger.commands.registry import SOURCE, Field, Parser, command
from ledger.domain.agreement import TargetAgreement
from ledger.domain.base import LedgerAggregate
from ledger.domain.body import Body
from ledger.domain.budget_line import SIGNED_FACTS, BudgetLine
from ledger.domain.certification import CertificationProcess
from ledger.domain.committee import Committee
from ledger.domain.finding import Finding
from ledger.domain.measure import Measure
from ledger.domain.resolution import Resolution
from ledger.domain.tally import COUNTS, check_decision, check_vote
from ledger.errors import RuleViolationError

TARGETS = (
    "body",
    "committee",
    "resolution",
    "budget-line",
    "process",
    "agreement",
    "measure",
    "finding",
)

KEY_FIELDS = {
    "target": Field(parse_text, help=f"the kind of record: {', '.join(TARGETS)}"),
    "committee": Field(parse_text, required=False, help="key of a committee"),
    "resolution": Field(parse_reference, required=False, help="key of a resolution"),
    "year": Field(parse_year, required=False, help="key of a budget line (with line)"),
    "line": Field(parse_text, required=False, help="key of a budget line (with year)"),
    "process": Field(parse_process, required=False, help="key of a process, agreement, measure"),
    "measure": Field(parse_code, required=False, help="key of a measure (with process)"),
    "finding": Field(parse_positive, required=False, help="key of a finding (with process)"),
    "version": Field(parse_positive, help="the version of the event being fixed (ledger log)"),
}


def _need(v: dict[str, Any], *names: str) -> list[Any]:
    for name in names:
        if v.get(name) is None:
            raise RuleViolationError(name, f"is required to name a {v['target']}")
    return [v[name] for name in names]


def locate(batch: Batch, v: dict[str, Any]) -> LedgerAggregate:
    """The record a correction or retraction names by its target and key fields."""
    body = v["body"]
    target = v["target"]
    cls: type[LedgerAggregate]
    record_id: UUID
    if target == "body":
        cls, record_id, key = Body, Body.id_for(body), body
    elif target == "committee":
        (slug,) = _need(v, "committee")
        cls, record_id, key = Committee, Committee.id_for(body, slug), slug
    elif target == "resolution":
        (ref,) = _need(v, "resolution")
        cls, record_id, key = Resolution, Resolution.id_for(body, ref), ref
    elif target == "budget-line":
        year, line = _need(v, "year", "line")
        cls, record_id, key = BudgetLine, BudgetLine.id_for(body, year, line), f"{line} in {year}"
    elif target == "process":
        (process,) = _need(v, "process")
        programme, cycle = process.split("/")
        cls, record_id, key = (
            CertificationProcess,
            CertificationProcess.id_for(body, programme, cycle),
            process,
        )
    elif target == "agreement":
        (process,) = _need(v, "process")
        cls, record_id, key = TargetAgreement, TargetAgreement.id_for(body, process), process
    elif target == "measure":
        process, code = _need(v, "process", "measure")
        cls, record_id, key = Measure, Measure.id_for(body, process, code), code
    elif target == "finding":
        process, number = _need(v, "process", "finding")
        cls, record_id, key = Finding, Finding.id_for(body, process, number), f"{number}"
    else:
        raise RuleViolationError("target", f"must be one of {', '.join(TARGETS)}, got '{target}'")
    return batch.get(cls, record_id, target, key)


PARSERS: dict[str, Parser] = {
    "Decimal": parse_money,
    "date": parse_date,
    "int": parse_count,
    "str": parse_free_text,
    "bool": parse_bool,
    "list[str]": parse_text_list,
}


#: Text fields with a rule of their own: a resolution reference a record names (kept as a
#: proposal keeps it: trimmed, single spaces).
BY_NAME: dict[str, Parser] = {"resolution": parse_reference, "source": parse_source}


def typed_values(event_class: type[Any], raw: dict[str, Any]) -> dict[str, Any]:
    """Parses replacement values by the types of the corrected event's fields."""
    types = {f.name: f.type for f in dataclasses.fields(event_class)}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        annotation = str(types.get(name, ""))
        optional = annotation.endswith("| None")
        base = annotation.removesuffix(" | None")
        field_name = f"values.{name}"
        if value is None:
            if not optional:
                raise RuleViolationError(field_name, "must not be empty")
            values[name] = None
            continue
        parser = BY_NAME.get(name) if base == "str" else None
        if name == "amount" and issubclass(event_class, SIGNED_FACTS):
            # as the appropriation and payment commands read it: a negative Ansatz, a reversal
            parser = parse_signed_money
        parser = parser or PARSERS.get(base)
        if parser is None:
            raise RuleViolationError(
                field_name, f"is not a correctable field of {event_class.__name__}"
            )
        values[name] = parser(field_name, value)
    return values


@command(
    "correction",
    "correct an event recorded with wrong values (names record and version, gives a reason)",
    values=Field(parse_mapping, help="the replacement values, by field name"),
    reason=Field(parse_text, help="why the event was wrong"),
    **KEY_FIELDS,
)
def correct(batch: Batch, v: dict[str, Any]) -> None:
    """Records a correction."""
    record = locate(batch, v)
    original = record.correctable(v["version"])
    values = typed_values(type(original), v["values"])
    # Checked as the event stands now: a second correction changes what the first left.
    current = dataclasses.replace(record.variants(v["version"])[-1], **values)
    if isinstance(current, Resolution.VoteRecorded):
        _check_corrected_vote(batch, v["body"], current)
    if isinstance(current, Resolution.DecisionRecorded):
        _check_corrected_decision(batch, v["body"], current)
    record.correct(v["version"], values, v["reason"], v["effective"])


def _check_corrected_vote(batch: Batch, body: str, vote: Resolution.VoteRecorded) -> None:
    """A corrected vote must still fit the seats and the majority rule of its meeting date."""
    committee = batch.get(
        Committee, Committee.id_for(body, vote.committee), "values.committee", vote.committee
    )
    check_vote(
        vote.yes,
        vote.no,
        vote.abstentions,
        vote.recused,
        vote.outcome,
        committee.state_at(vote.effective).seats,
        batch.body(body).state_at(vote.effective).majority_rule,
    )


def _check_corrected_decision(
    batch: Batch, body: str, decision: Resolution.DecisionRecorded
) -> None:
    """A corrected decision must still state something, and its counts fit the seats and the
    majority rule of its meeting date."""
    slug = decision.committee
    committee = batch.get(Committee, Committee.id_for(body, slug), "values.committee", slug)
    try:
        check_decision(
            decision.outcome,
            decision.wording,
            {name: getattr(decision, name) for name in COUNTS},
            committee.state_at(decision.effective).seats,
            batch.body(body).state_at(decision.effective).majority_rule,
        )
    except RuleViolationError as exc:
        raise RuleViolationError(f"values.{exc.field}", exc.rule) from None


@command(
    "retraction",
    "retract an event recorded in error (names record and version, gives a reason)",
    reason=Field(parse_text, help="why the event was recorded in error"),
    **KEY_FIELDS,
    source=SOURCE,
)
def retract(batch: Batch, v: dict[str, Any]) -> None:
    """Records a retraction."""
    locate(batch, v).retract(v["version"], v["reason"], v["effective"], v["source"])


__all__ = ["correct", "locate", "parse_count", "retract"]
