"""Commands that fix the record: correction (replacement values) and retraction (recorded in error).

Both name the record (`target` and its key fields) and the version of the event they fix;
`ledger log` shows every event's record and version.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import NoneType, UnionType
from typing import Annotated, Any, cast
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
from ledger.commands.registry import Command, Parse, Parser, Sourced, command
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


@dataclass(frozen=True)
class Target:
    """How a correction or retraction finds the record it names: the record's class, the key
    fields it needs beside `body`, and (body, *keys) -> the record's id and how a message
    names it."""

    cls: type[LedgerAggregate]
    keys: tuple[str, ...]
    find: Callable[..., tuple[UUID, str]]


#: The kinds of record a correction or retraction may name, in the order messages list them.
LOCATORS: dict[str, Target] = {
    "body": Target(Body, (), lambda body: (Body.id_for(body), body)),
    "committee": Target(
        Committee, ("committee",), lambda body, slug: (Committee.id_for(body, slug), slug)
    ),
    "resolution": Target(
        Resolution, ("resolution",), lambda body, ref: (Resolution.id_for(body, ref), ref)
    ),
    "budget-line": Target(
        BudgetLine,
        ("year", "line"),
        lambda body, year, line: (BudgetLine.id_for(body, year, line), f"{line} in {year}"),
    ),
    "process": Target(
        CertificationProcess,
        ("process",),
        lambda body, process: (
            CertificationProcess.id_for(body, *process.split("/")),
            process,
        ),
    ),
    "agreement": Target(
        TargetAgreement,
        ("process",),
        lambda body, process: (TargetAgreement.id_for(body, process), process),
    ),
    "measure": Target(
        Measure,
        ("process", "measure"),
        lambda body, process, code: (Measure.id_for(body, process, code), code),
    ),
    "finding": Target(
        Finding,
        ("process", "finding"),
        lambda body, process, number: (Finding.id_for(body, process, number), f"{number}"),
    ),
}
TARGETS = tuple(LOCATORS)

TargetKind = Annotated[
    str, Parse(parse_text, help=f"the kind of record: {', '.join(TARGETS)}", choices=TARGETS)
]
CommitteeKey = Annotated[str | None, Parse(parse_text, help="key of a committee")]
ResolutionKey = Annotated[str | None, Parse(parse_reference, help="key of a resolution")]
YearKey = Annotated[int | None, Parse(parse_year, help="key of a budget line (with line)")]
LineKey = Annotated[str | None, Parse(parse_text, help="key of a budget line (with year)")]
ProcessKey = Annotated[
    str | None, Parse(parse_process, help="key of a process, agreement, measure")
]
MeasureKey = Annotated[str | None, Parse(parse_code, help="key of a measure (with process)")]
FindingKey = Annotated[int | None, Parse(parse_positive, help="key of a finding (with process)")]
Version = Annotated[
    int, Parse(parse_positive, help="the version of the event being fixed (ledger log)")
]


def locate(batch: Batch, fix: Correct | Retract) -> LedgerAggregate:
    """The record a correction or retraction names by its target and key fields."""
    target = LOCATORS.get(fix.target)
    if target is None:
        raise RuleViolationError(
            "target", f"must be one of {', '.join(TARGETS)}, got '{fix.target}'"
        )
    keys = []
    for name in target.keys:
        value = getattr(fix, name)
        if value is None:
            raise RuleViolationError(name, f"is required to name a {fix.target}")
        keys.append(value)
    record_id, key = target.find(fix.body, *keys)
    return batch.get(target.cls, record_id, fix.target, key)


#: The parser of a replacement value by the type of the corrected event's field.
BY_TYPE: dict[object, Parser] = {
    Decimal: parse_money,
    date: parse_date,
    int: parse_count,
    str: parse_free_text,
    bool: parse_bool,
    list[str]: parse_text_list,
}

#: Text fields with a rule of their own: a resolution reference a record names (kept as a
#: proposal keeps it: trimmed, single spaces), and a source.
BY_NAME: dict[str, Parser] = {"resolution": parse_reference, "source": parse_source}


#: A correctable field: the parser of its replacement value (None: not correctable) and
#: whether it may be None.
Correctable = tuple[Parser | None, bool]
_UNKNOWN: Correctable = (None, False)


@functools.cache
def correctable_fields(event_class: type[LedgerAggregate.Event]) -> dict[str, Correctable]:
    """The fields of an event by name with the parser of a replacement value (None: not
    correctable) and whether it may be None, read once from the event's field types."""
    hints = typing.get_type_hints(event_class)
    fields: dict[str, Correctable] = {}
    for spec in dataclasses.fields(event_class):
        hint = hints[spec.name]
        options = typing.get_args(hint) if isinstance(hint, UnionType) else (hint,)
        optional = NoneType in options
        base = [o for o in options if o is not NoneType]
        kind = base[0] if optional and len(base) == 1 else hint
        parser = BY_NAME.get(spec.name) if kind is str else None
        if spec.name == "amount" and issubclass(event_class, SIGNED_FACTS):
            # as the appropriation and payment commands read it: a negative Ansatz, a reversal
            parser = parse_signed_money
        fields[spec.name] = (parser or BY_TYPE.get(kind), optional)
    return fields


def typed_values(
    event_class: type[LedgerAggregate.Event], raw: dict[str, object]
) -> dict[str, object]:
    """Parses replacement values by the types of the corrected event's fields."""
    fields = correctable_fields(event_class)
    values: dict[str, object] = {}
    for name, value in raw.items():
        parser, optional = fields.get(name, _UNKNOWN)
        field_name = f"values.{name}"
        if value is None:
            if not optional:
                raise RuleViolationError(field_name, "must not be empty")
            values[name] = None
            continue
        if parser is None:
            raise RuleViolationError(
                field_name, f"is not a correctable field of {event_class.__name__}"
            )
        values[name] = parser(field_name, value)
    return values


@command
class Correct(Command):
    """Records a correction: replacement values for an event recorded with wrong ones."""

    record = "correction"
    summary = (
        "correct an event recorded with wrong values (names record and version, gives a reason)"
    )

    values: Annotated[
        dict[str, object],
        Parse(parse_mapping, help="the replacement values, by field name"),
    ]
    reason: Annotated[str, Parse(parse_text, help="why the event was wrong")]
    target: TargetKind
    committee: CommitteeKey = None
    resolution: ResolutionKey = None
    year: YearKey = None
    line: LineKey = None
    process: ProcessKey = None
    measure: MeasureKey = None
    finding: FindingKey = None
    version: Version

    def handle(self, batch: Batch) -> None:
        """Records the correction."""
        record = locate(batch, self)
        original = record.correctable(self.version)
        values = typed_values(type(original), self.values)
        # Checked as the event stands now: a second correction changes what the first left.
        # (The values were read by the types of the event's own fields, typed_values.)
        changes = cast("dict[str, Any]", values)
        current = dataclasses.replace(record.variants(self.version)[-1], **changes)
        if isinstance(current, Resolution.VoteRecorded):
            _check_corrected_vote(batch, self.body, current)
        if isinstance(current, Resolution.DecisionRecorded):
            _check_corrected_decision(batch, self.body, current)
        record.correct(self.version, values, self.reason, self.effective)


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


@command
class Retract(Sourced):
    """Records a retraction: the event was recorded in error."""

    record = "retraction"
    summary = "retract an event recorded in error (names record and version, gives a reason)"

    reason: Annotated[str, Parse(parse_text, help="why the event was recorded in error")]
    target: TargetKind
    committee: CommitteeKey = None
    resolution: ResolutionKey = None
    year: YearKey = None
    line: LineKey = None
    process: ProcessKey = None
    measure: MeasureKey = None
    finding: FindingKey = None
    version: Version

    def handle(self, batch: Batch) -> None:
        """Records the retraction."""
        locate(batch, self).retract(self.version, self.reason, self.effective, self.source)


__all__ = ["Correct", "Retract", "locate", "parse_count"]
