"""Measure (Maßnahme): one measure of a goal, and its status updates over the years.

A measure is its own record so that two people updating two measures never conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from ledger.domain.base import Fold, LedgerAggregate, evolve, record_id
from ledger.errors import RuleViolationError

# Umsetzungsstand, with the German label of the annual report.
STATUSES = {
    "planned": "geplant",
    "in_progress": "in Umsetzung",
    "completed": "umgesetzt",
    "delayed": "verzögert",
    "suspended": "ausgesetzt",
}


@dataclass(frozen=True, slots=True)
class MeasureState:
    """A measure as it stands at a date."""

    body: str = ""
    process: str = ""
    code: str = ""
    goal: str = ""
    title: str = ""
    responsible: str = ""
    period: str = ""
    status: str = "planned"
    progress: int | None = None
    note: str = ""
    dropped: bool = False
    added_on: date | None = None


class Measure(LedgerAggregate):
    """A measure of a target agreement, with its status, progress and note over time."""

    KIND = "measure"

    class Added(LedgerAggregate.Created):
        """The measure was added to a goal of the agreement."""

        body: str
        process: str
        code: str
        goal: str
        title: str
        responsible: str
        period: str

    class Revised(LedgerAggregate.Event):
        """Title, responsible or period were revised (None: unchanged)."""

        title: str | None
        responsible: str | None
        period: str | None

    class Dropped(LedgerAggregate.Event):
        """The measure was dropped; it takes no more status updates."""

        reason: str

    class StatusUpdated(LedgerAggregate.Event):
        """The measure's status (Umsetzungsstand), progress in percent and note on a date."""

        status: str
        progress: int | None
        note: str

    @staticmethod
    def id_for(body: str, process: str, code: str) -> UUID:
        """The id of measure `code` of `process` of `body`."""
        return record_id("measure", body, process, code)

    @classmethod
    def add(
        cls,
        *,
        body: str,
        process: str,
        code: str,
        goal: str,
        title: str,
        responsible: str,
        period: str,
        effective: date,
    ) -> Measure:
        """Adds a measure; the caller has checked that its goal exists on `effective`."""
        if not title.strip():
            raise RuleViolationError("title", "must not be empty")
        return cls.created_by(
            cls.Added(
                **cls.creation_envelope(cls.id_for(body, process, code)),
                body=body,
                process=process,
                code=code,
                goal=goal,
                title=title,
                responsible=responsible,
                period=period,
                effective=effective,
            )
        )

    def revise(
        self, *, title: str | None, responsible: str | None, period: str | None, effective: date
    ) -> None:
        """Revises title, responsible or period."""
        if title is None and responsible is None and period is None:
            raise RuleViolationError("title", "a revision changes title, responsible or period")
        fact = self.Revised(
            **self.envelope(),
            title=title,
            responsible=responsible,
            period=period,
            effective=effective,
        )
        self.record_once(fact, check=lambda: self._check_live(effective))

    def drop(self, reason: str, effective: date) -> None:
        """Drops the measure."""
        if not reason.strip():
            raise RuleViolationError("reason", "dropping a measure needs a reason")
        fact = self.Dropped(**self.envelope(), reason=reason, effective=effective)
        self.record_once(fact, check=lambda: self._check_live(effective))

    def update_status(
        self, *, status: str, progress: int | None, note: str, effective: date
    ) -> None:
        """Records a status update; a dropped measure takes none."""
        check_status(status, progress)
        fact = self.StatusUpdated(
            **self.envelope(), status=status, progress=progress, note=note, effective=effective
        )
        self.record_once(fact, check=lambda: self._check_live(effective))

    def check_fact(self, fact: LedgerAggregate.Event) -> None:
        """A corrected status update must still name a known status and a progress 0..100."""
        if isinstance(fact, Measure.StatusUpdated):
            check_status(fact.status, fact.progress)

    def _check_live(self, effective: date) -> None:
        state = self.state_at(effective)
        if state.added_on is None:
            raise RuleViolationError(
                "effective",
                f"{effective} is before the measure was added ({self.state_at().added_on})",
            )
        if state.dropped:
            raise RuleViolationError(
                "measure", f"measure '{state.code}' was dropped; a dropped measure takes no update"
            )

    def state_at(self, as_of: date | None = None) -> MeasureState:
        """The measure at the end of `as_of`."""
        return self.fold(MEASURE, as_of)


def check_status(status: str, progress: int | None) -> None:
    """Refuses an unknown status or a progress outside 0..100."""
    if status not in STATUSES:
        raise RuleViolationError("status", f"must be one of {', '.join(STATUSES)}, got '{status}'")
    if progress is not None and not 0 <= progress <= 100:
        raise RuleViolationError("progress", f"must be a percentage 0..100, got {progress}")


def _step(state: MeasureState, fact: Any) -> MeasureState:
    match fact:
        case Measure.Added():
            return evolve(
                state,
                body=fact.body,
                process=fact.process,
                code=fact.code,
                goal=fact.goal,
                title=fact.title,
                responsible=fact.responsible,
                period=fact.period,
                added_on=fact.effective,
            )
        case Measure.Revised():
            return evolve(
                state,
                title=fact.title if fact.title is not None else state.title,
                responsible=fact.responsible if fact.responsible is not None else state.responsible,
                period=fact.period if fact.period is not None else state.period,
            )
        case Measure.Dropped():
            return evolve(state, dropped=True, note=fact.reason)
        case Measure.StatusUpdated():
            return evolve(state, status=fact.status, progress=fact.progress, note=fact.note)
    return state


MEASURE = Fold(MeasureState(), _step)
