"""Commands for the target agreement: fields of action, goals, measures and their status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from ledger.commands.batch import Batch
from ledger.commands.certification import OnProcess
from ledger.commands.fields import (
    parse_code,
    parse_free_text,
    parse_percent,
    parse_reference,
    parse_text,
)
from ledger.commands.registry import Parse, command
from ledger.domain.agreement import TargetAgreement
from ledger.domain.measure import STATUSES, Measure

Goal = Annotated[str, Parse(parse_code, help="the goal's code, e.g. Z2.1")]
Title = Annotated[str, Parse(parse_text)]
Reason = Annotated[str, Parse(parse_text)]


def agreement_of(batch: Batch, body: str, process: str) -> TargetAgreement:
    """The opened target agreement of the process."""
    return batch.get(
        TargetAgreement,
        TargetAgreement.id_for(body, process),
        "process",
        f"agreement of {process}",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class OnMeasure(OnProcess):
    """A command on a measure, named by process and code."""

    measure: Annotated[str, Parse(parse_code, help="the measure's code, e.g. M2.1.1")]

    def added_measure(self, batch: Batch) -> Measure:
        """The added measure named by process and measure."""
        return batch.get(
            Measure,
            Measure.id_for(self.body, self.process, self.measure),
            "measure",
            self.measure,
        )


@command
class OpenAgreement(OnProcess):
    """Opens the agreement of a started process."""

    record = "agreement"
    summary = "open the target agreement (Zielvereinbarung) of a process"

    catalogue: Annotated[str, Parse(parse_text, help="catalogue of fields of action")] = "fgk-2015"

    def handle(self, batch: Batch) -> None:
        """Opens the agreement."""
        self.certification(batch)
        batch.create(
            TargetAgreement,
            TargetAgreement.id_for(self.body, self.process),
            "process",
            f"agreement of {self.process}",
            lambda: TargetAgreement.open(
                body=self.body,
                process=self.process,
                catalogue=self.catalogue,
                effective=self.effective,
            ),
        )


@command
class DefineField(OnProcess):
    """Defines a field of action (Handlungsfeld)."""

    record = "field"
    summary = "take a field of action (Handlungsfeld) of the catalogue into the agreement"

    field: Annotated[
        str, Parse(parse_text, help="the field's code in the catalogue, e.g. steuerung")
    ]

    def handle(self, batch: Batch) -> None:
        """Defines the field."""
        agreement_of(batch, self.body, self.process).define_field(self.field, self.effective)


@command
class SetGoal(OnProcess):
    """Sets a goal (Ziel)."""

    record = "goal"
    summary = "set a goal (Ziel) in a field of action"

    goal: Goal
    field: Annotated[str, Parse(parse_text, help="the field of action")]
    title: Title

    def handle(self, batch: Batch) -> None:
        """Sets the goal."""
        agreement_of(batch, self.body, self.process).set_goal(
            self.goal, self.field, self.title, self.effective
        )


@command
class ReviseGoal(OnProcess):
    """Revises a goal."""

    record = "goal-revised"
    summary = "revise a goal's title"

    goal: Goal
    title: Title

    def handle(self, batch: Batch) -> None:
        """Revises the goal."""
        agreement_of(batch, self.body, self.process).revise_goal(
            self.goal, self.title, self.effective
        )


@command
class DropGoal(OnProcess):
    """Drops a goal."""

    record = "goal-dropped"
    summary = "drop a goal"

    goal: Goal
    reason: Reason

    def handle(self, batch: Batch) -> None:
        """Drops the goal."""
        agreement_of(batch, self.body, self.process).drop_goal(
            self.goal, self.reason, self.effective
        )


@command
class AdoptAgreement(OnProcess):
    """Records the adoption of the agreement."""

    record = "agreement-adopted"
    summary = "record the adoption of the agreement by a resolution"

    resolution: Annotated[str, Parse(parse_reference)]

    def handle(self, batch: Batch) -> None:
        """Records the adoption."""
        agreement_of(batch, self.body, self.process).adopt(self.resolution, self.effective)


@command
class AddMeasure(OnMeasure):
    """Adds a measure (Maßnahme); its goal must exist and not be dropped on that date."""

    record = "measure"
    summary = "add a measure (Maßnahme) to a goal"

    goal: Goal
    title: Title
    responsible: Annotated[str, Parse(parse_free_text, help="Verantwortlich")] = ""
    period: Annotated[str, Parse(parse_free_text, help="Zeitraum, e.g. 2016–2018")] = ""

    def handle(self, batch: Batch) -> None:
        """Adds the measure."""
        agreement_of(batch, self.body, self.process).live_goal(self.goal, self.effective)
        batch.create(
            Measure,
            Measure.id_for(self.body, self.process, self.measure),
            "measure",
            self.measure,
            lambda: Measure.add(
                body=self.body,
                process=self.process,
                code=self.measure,
                goal=self.goal,
                title=self.title,
                responsible=self.responsible,
                period=self.period,
                effective=self.effective,
            ),
        )


@command
class ReviseMeasure(OnMeasure):
    """Revises a measure."""

    record = "measure-revised"
    summary = "revise a measure's title, responsible or period"

    title: Annotated[str | None, Parse(parse_text)] = None
    responsible: Annotated[str | None, Parse(parse_text)] = None
    period: Annotated[str | None, Parse(parse_text)] = None

    def handle(self, batch: Batch) -> None:
        """Revises the measure."""
        self.added_measure(batch).revise(
            title=self.title,
            responsible=self.responsible,
            period=self.period,
            effective=self.effective,
        )


@command
class DropMeasure(OnMeasure):
    """Drops a measure."""

    record = "measure-dropped"
    summary = "drop a measure"

    reason: Reason

    def handle(self, batch: Batch) -> None:
        """Drops the measure."""
        self.added_measure(batch).drop(self.reason, self.effective)


@command
class UpdateMeasure(OnMeasure):
    """Records a measure's status; a dropped measure takes none."""

    record = "measure-update"
    summary = "record a measure's status (Umsetzungsstand), progress and note on a date"

    status: Annotated[
        str,
        Parse(
            parse_text,
            help="planned, in_progress, completed, delayed or suspended",
            choices=tuple(STATUSES),
        ),
    ]
    progress: Annotated[int | None, Parse(parse_percent, help="percent 0..100")] = None
    note: Annotated[str, Parse(parse_free_text, help="Bemerkung")] = ""

    def handle(self, batch: Batch) -> None:
        """Records the status update."""
        self.added_measure(batch).update_status(
            status=self.status, progress=self.progress, note=self.note, effective=self.effective
        )
