"""Commands for the target agreement: fields of action, goals, measures and their status."""

from __future__ import annotations

from typing import Any

from ledger.commands.batch import Batch
from ledger.commands.certification import PROCESS, process_of
from ledger.commands.fields import (
    parse_code,
    parse_free_text,
    parse_percent,
    parse_reference,
    parse_text,
)
from ledger.commands.registry import Field, command
from ledger.domain.agreement import TargetAgreement
from ledger.domain.measure import Measure

GOAL = Field(parse_code, help="the goal's code, e.g. Z2.1")
MEASURE = Field(parse_code, help="the measure's code, e.g. M2.1.1")


def agreement_of(batch: Batch, v: dict[str, Any]) -> TargetAgreement:
    """The opened target agreement of the process."""
    return batch.get(
        TargetAgreement,
        TargetAgreement.id_for(v["body"], v["process"]),
        "process",
        f"agreement of {v['process']}",
    )


def measure_of(batch: Batch, v: dict[str, Any]) -> Measure:
    """The added measure named by process and measure."""
    return batch.get(
        Measure, Measure.id_for(v["body"], v["process"], v["measure"]), "measure", v["measure"]
    )


@command(
    "agreement",
    "open the target agreement (Zielvereinbarung) of a process",
    process=PROCESS,
    catalogue=Field(
        parse_text, required=False, default="fgk-2015", help="catalogue of fields of action"
    ),
)
def open_agreement(batch: Batch, v: dict[str, Any]) -> None:
    """Opens the agreement of a started process."""
    process_of(batch, v)
    batch.create(
        TargetAgreement,
        TargetAgreement.id_for(v["body"], v["process"]),
        "process",
        f"agreement of {v['process']}",
        lambda: TargetAgreement.open(
            body=v["body"], process=v["process"], catalogue=v["catalogue"], effective=v["effective"]
        ),
    )


@command(
    "field",
    "take a field of action (Handlungsfeld) of the catalogue into the agreement",
    process=PROCESS,
    field=Field(parse_text, help="the field's code in the catalogue, e.g. steuerung"),
)
def define_field(batch: Batch, v: dict[str, Any]) -> None:
    """Defines a field of action."""
    agreement_of(batch, v).define_field(v["field"], v["effective"])


@command(
    "goal",
    "set a goal (Ziel) in a field of action",
    process=PROCESS,
    goal=GOAL,
    field=Field(parse_text, help="the field of action"),
    title=Field(parse_text),
)
def set_goal(batch: Batch, v: dict[str, Any]) -> None:
    """Sets a goal."""
    agreement_of(batch, v).set_goal(v["goal"], v["field"], v["title"], v["effective"])


@command(
    "goal-revised", "revise a goal's title", process=PROCESS, goal=GOAL, title=Field(parse_text)
)
def revise_goal(batch: Batch, v: dict[str, Any]) -> None:
    """Revises a goal."""
    agreement_of(batch, v).revise_goal(v["goal"], v["title"], v["effective"])


@command("goal-dropped", "drop a goal", process=PROCESS, goal=GOAL, reason=Field(parse_text))
def drop_goal(batch: Batch, v: dict[str, Any]) -> None:
    """Drops a goal."""
    agreement_of(batch, v).drop_goal(v["goal"], v["reason"], v["effective"])


@command(
    "agreement-adopted",
    "record the adoption of the agreement by a resolution",
    process=PROCESS,
    resolution=Field(parse_reference),
)
def adopt_agreement(batch: Batch, v: dict[str, Any]) -> None:
    """Records the adoption."""
    agreement_of(batch, v).adopt(v["resolution"], v["effective"])


@command(
    "measure",
    "add a measure (Maßnahme) to a goal",
    process=PROCESS,
    measure=MEASURE,
    goal=GOAL,
    title=Field(parse_text),
    responsible=Field(parse_free_text, required=False, default="", help="Verantwortlich"),
    period=Field(parse_free_text, required=False, default="", help="Zeitraum, e.g. 2016–2018"),
)
def add_measure(batch: Batch, v: dict[str, Any]) -> None:
    """Adds a measure; its goal must exist and not be dropped on that date."""
    agreement_of(batch, v).live_goal(v["goal"], v["effective"])
    batch.create(
        Measure,
        Measure.id_for(v["body"], v["process"], v["measure"]),
        "measure",
        v["measure"],
        lambda: Measure.add(
            body=v["body"],
            process=v["process"],
            code=v["measure"],
            goal=v["goal"],
            title=v["title"],
            responsible=v["responsible"],
            period=v["period"],
            effective=v["effective"],
        ),
    )


@command(
    "measure-revised",
    "revise a measure's title, responsible or period",
    process=PROCESS,
    measure=MEASURE,
    title=Field(parse_text, required=False),
    responsible=Field(parse_text, required=False),
    period=Field(parse_text, required=False),
)
def revise_measure(batch: Batch, v: dict[str, Any]) -> None:
    """Revises a measure."""
    measure_of(batch, v).revise(
        title=v["title"], responsible=v["responsible"], period=v["period"], effective=v["effective"]
    )


@command(
    "measure-dropped", "drop a measure", process=PROCESS, measure=MEASURE, reason=Field(parse_text)
)
def drop_measure(batch: Batch, v: dict[str, Any]) -> None:
    """Drops a measure."""
    measure_of(batch, v).drop(v["reason"], v["effective"])


@command(
    "measure-update",
    "record a measure's status (Umsetzungsstand), progress and note on a date",
    process=PROCESS,
    measure=MEASURE,
    status=Field(parse_text, help="planned, in_progress, completed, delayed or suspended"),
    progress=Field(parse_percent, required=False, help="percent 0..100"),
    note=Field(parse_free_text, required=False, default="", help="Bemerkung"),
)
def update_measure(batch: Batch, v: dict[str, Any]) -> None:
    """Records a status update; a dropped measure takes none."""
    measure_of(batch, v).update_status(
        status=v["status"], progress=v["progress"], note=v["note"], effective=v["effective"]
    )
