"""Body (Gebietskörperschaft): a municipality or district that keeps a ledger, and its rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.domain.base import Fold, LedgerAggregate, evolve, record_id
from ledger.errors import RuleViolationError

MAJORITY_RULES = ("simple", "absolute", "two_thirds")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DEFAULT_LINE_PATTERN = r"^\d{2}\.\d{4}\.\d{4}$"


@dataclass(frozen=True, slots=True)
class BodyState:
    """A body as it stands at a date."""

    slug: str = ""
    name: str = ""
    land: str = ""
    line_pattern: str = DEFAULT_LINE_PATTERN
    majority_rule: str = "simple"


class Body(LedgerAggregate):
    """A municipality (Landkreis, Stadt, Gemeinde); every record belongs to one body."""

    KIND = "body"

    class Registered(LedgerAggregate.Created):
        """The body was registered with its name, Land, budget-line pattern and majority rule."""

        slug: str
        name: str
        land: str
        line_pattern: str
        majority_rule: str

    @staticmethod
    def id_for(slug: str) -> Any:
        """The id of the body with this slug."""
        return record_id("body", slug)

    @classmethod
    def register(
        cls, slug: str, name: str, land: str, line_pattern: str, majority_rule: str, effective: date
    ) -> Body:
        """Registers a body; checks the slug, the pattern and the majority rule."""
        check_slug("body", slug)
        try:
            re.compile(line_pattern)
        except re.error as exc:
            raise RuleViolationError(
                "line_pattern", f"must be a regular expression ({exc})"
            ) from None
        if majority_rule not in MAJORITY_RULES:
            raise RuleViolationError("majority_rule", f"must be one of {', '.join(MAJORITY_RULES)}")
        if not name.strip():
            raise RuleViolationError("name", "must not be empty")
        return cls._create(
            cls.Registered,
            id=cls.id_for(slug),
            slug=slug,
            name=name,
            land=land,
            line_pattern=line_pattern,
            majority_rule=majority_rule,
            effective=effective,
        )

    def state_at(self, as_of: date | None = None) -> BodyState:
        """The body's state at the end of `as_of`."""
        return self.fold(BODY, as_of)

    def check_line_code(self, code: str) -> None:
        """Refuses a budget-line code that does not match the body's pattern."""
        pattern = self.state_at().line_pattern
        if not re.fullmatch(pattern, code):
            raise RuleViolationError(
                "line", f"'{code}' does not match the budget-line pattern {pattern} of the body"
            )


def check_slug(field: str, value: str) -> None:
    """Refuses a slug that is not lower-case letters, digits and single hyphens."""
    if not SLUG.match(value):
        raise RuleViolationError(
            field, f"'{value}' is not a slug (lower-case letters, digits, single hyphens)"
        )


def _step(state: BodyState, fact: Any) -> BodyState:
    if isinstance(fact, Body.Registered):
        return evolve(
            state,
            slug=fact.slug,
            name=fact.name,
            land=fact.land,
            line_pattern=fact.line_pattern,
            majority_rule=fact.majority_rule,
        )
    return state


BODY = Fold(BodyState(), _step)


def outcome_of(rule: str, yes: int, no: int, abstentions: int, seats: int) -> str:
    """The outcome a majority rule gives: 'adopted' or 'rejected'.

    simple: more yes than no; absolute: more yes than half the voting seats;
    two_thirds: at least two thirds of the votes cast (yes + no + abstentions) are yes.
    """
    if rule == "absolute":
        adopted = yes * 2 > seats
    elif rule == "two_thirds":
        cast = yes + no + abstentions
        adopted = cast > 0 and yes * 3 >= cast * 2
    else:
        adopted = yes > no
    return "adopted" if adopted else "rejected"
