"""TargetAgreement (Zielvereinbarung): the fields of action and goals agreed in a process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from ledger.domain.base import Fold, LedgerAggregate, evolve, record_id
from ledger.domain.catalogue import check_catalogue, field_name
from ledger.errors import RuleViolationError


@dataclass(frozen=True, slots=True)
class Goal:
    """A goal (Ziel) in a field of action."""

    code: str
    field: str
    title: str
    dropped: bool = False


@dataclass(frozen=True, slots=True)
class AgreementState:
    """The target agreement as it stands at a date (measures are their own records)."""

    body: str = ""
    process: str = ""
    catalogue: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    goals: tuple[Goal, ...] = ()
    adopted_by: str | None = None
    adopted_on: date | None = None

    def goal(self, code: str) -> Goal | None:
        """The goal with this code, if set."""
        return next((g for g in self.goals if g.code == code), None)

    def has_field(self, code: str) -> bool:
        """Whether this field of action is defined."""
        return any(c == code for c, _ in self.fields)


class TargetAgreement(LedgerAggregate):
    """The target agreement of a certification process: fields of action and goals."""

    KIND = "target agreement"

    class Opened(LedgerAggregate.Created):
        """The agreement of a process was opened, naming its catalogue of fields of action."""

        body: str
        process: str
        catalogue: str

    class FieldDefined(LedgerAggregate.Event):
        """A field of action (Handlungsfeld) of the catalogue was taken into the agreement."""

        code: str
        name: str

    class GoalSet(LedgerAggregate.Event):
        """A goal was set in a field of action."""

        code: str
        field: str
        title: str

    class GoalRevised(LedgerAggregate.Event):
        """A goal's title was revised."""

        code: str
        title: str

    class GoalDropped(LedgerAggregate.Event):
        """A goal was dropped."""

        code: str
        reason: str

    class Adopted(LedgerAggregate.Event):
        """The agreement was adopted by a resolution."""

        resolution: str

    @staticmethod
    def id_for(body: str, process: str) -> UUID:
        """The id of the agreement of `process` (programme/cycle) of `body`."""
        return record_id("agreement", body, process)

    @classmethod
    def open(cls, *, body: str, process: str, catalogue: str, effective: date) -> TargetAgreement:
        """Opens the agreement of a process."""
        check_catalogue(catalogue)
        return cls.created_by(
            cls.Opened(
                **cls.creation_envelope(cls.id_for(body, process)),
                body=body,
                process=process,
                catalogue=catalogue,
                effective=effective,
            )
        )

    def define_field(self, code: str, effective: date) -> None:
        """Takes a field of action of the catalogue into the agreement."""
        # The name is the catalogue's, looked up for a new field only: not compared.
        if self.repeat_of(self.FieldDefined, code=code, effective=effective).status != "new":
            return
        state = self.state_at(effective)
        name = field_name(state.catalogue or self.state_at().catalogue, code)
        if state.has_field(code):
            raise RuleViolationError("field", f"field of action '{code}' is already defined")
        self.append(self.FieldDefined(**self.envelope(), code=code, name=name, effective=effective))

    def set_goal(self, code: str, field: str, title: str, effective: date) -> None:
        """Sets a goal; its field of action must be defined by then."""
        if not title.strip():
            raise RuleViolationError("title", "must not be empty")
        fact = self.GoalSet(
            **self.envelope(), code=code, field=field, title=title, effective=effective
        )
        self.record_once(fact, check=lambda: self._check_goal_new(code, field, effective))

    def _check_goal_new(self, code: str, field: str, effective: date) -> None:
        """Refuses a goal in a field of action not defined on `effective`, or set before."""
        state = self.state_at(effective)
        if not state.has_field(field):
            raise RuleViolationError(
                "field", f"field of action '{field}' is not defined in the agreement on {effective}"
            )
        if state.goal(code) is not None:
            raise RuleViolationError("goal", f"goal '{code}' is already set")

    def revise_goal(self, code: str, title: str, effective: date) -> None:
        """Revises a goal's title."""
        fact = self.GoalRevised(**self.envelope(), code=code, title=title, effective=effective)
        self.record_once(fact, check=lambda: self.live_goal(code, effective))

    def drop_goal(self, code: str, reason: str, effective: date) -> None:
        """Drops a goal."""
        fact = self.GoalDropped(**self.envelope(), code=code, reason=reason, effective=effective)
        self.record_once(fact, check=lambda: self.live_goal(code, effective))

    def adopt(self, resolution: str, effective: date) -> None:
        """Records the adoption by a resolution."""
        self.record_once(
            self.Adopted(**self.envelope(), resolution=resolution, effective=effective)
        )

    def live_goal(self, code: str, effective: date) -> Goal:
        """The goal `code` as it stands on `effective`; refuses a missing or dropped goal."""
        goal = self.state_at(effective).goal(code)
        if goal is None:
            raise RuleViolationError("goal", f"goal '{code}' does not exist on {effective}")
        if goal.dropped:
            raise RuleViolationError("goal", f"goal '{code}' was dropped before {effective}")
        return goal

    def state_at(self, as_of: date | None = None) -> AgreementState:
        """The agreement at the end of `as_of`."""
        return self.fold(AGREEMENT, as_of)


def _replace_goal(state: AgreementState, code: str, **changes: Any) -> AgreementState:
    goals = tuple(evolve(g, **changes) if g.code == code else g for g in state.goals)
    return evolve(state, goals=goals)


def _step(state: AgreementState, fact: Any) -> AgreementState:
    match fact:
        case TargetAgreement.Opened():
            return evolve(state, body=fact.body, process=fact.process, catalogue=fact.catalogue)
        case TargetAgreement.FieldDefined():
            return evolve(state, fields=(*state.fields, (fact.code, fact.name)))
        case TargetAgreement.GoalSet():
            return evolve(state, goals=(*state.goals, Goal(fact.code, fact.field, fact.title)))
        case TargetAgreement.GoalRevised():
            return _replace_goal(state, fact.code, title=fact.title)
        case TargetAgreement.GoalDropped():
            return _replace_goal(state, fact.code, dropped=True)
        case TargetAgreement.Adopted():
            return evolve(state, adopted_by=fact.resolution, adopted_on=fact.effective)
    return state


AGREEMENT = Fold(AgreementState(), _step)
