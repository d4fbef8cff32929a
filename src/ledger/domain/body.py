"""Body (Gebietskörperschaft): a municipality or district that keeps a ledger, and its rules."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from ledger.domain.base import Fold, LedgerAggregate, check_source, evolve, record_id
from ledger.errors import RuleViolationError

MAJORITY_RULES = ("simple", "absolute", "two_thirds")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DEFAULT_LINE_PATTERN = r"^\d{2}\.\d{4}\.\d{4}$"
# The most characters of a budget-line code ("01.4953.7187" has 12, a Doppik account with
# product code some 20) and of a body's line pattern.
MAX_LINE_CODE = 32
MAX_LINE_PATTERN = 200
# The most ways a line pattern may have to match a code: the product over its quantifiers
# (each as many ways as repeat counts it allows up to MAX_LINE_CODE) and alternatives. Python's
# backtracking engine tries at most about that many paths of at most MAX_LINE_CODE steps, so
# one code costs at most a few milliseconds whatever the pattern.
MAX_MATCH_WAYS = 100_000


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
        #: Where the registration comes from (see base.check_source); None: not stated.
        source: str | None = None

    @staticmethod
    def id_for(slug: str) -> Any:
        """The id of the body with this slug."""
        return record_id("body", slug)

    @classmethod
    def register(
        cls,
        slug: str,
        name: str,
        land: str,
        line_pattern: str,
        majority_rule: str,
        effective: date,
        source: str | None = None,
    ) -> Body:
        """Registers a body; checks the slug, the pattern and the majority rule."""
        check_slug("body", slug)
        check_source(source)
        problem = line_pattern_problem(line_pattern)
        if problem is not None:
            raise RuleViolationError("line_pattern", problem)
        if majority_rule not in MAJORITY_RULES:
            raise RuleViolationError("majority_rule", f"must be one of {', '.join(MAJORITY_RULES)}")
        if not name.strip():
            raise RuleViolationError("name", "must not be empty")
        return cls.created_by(
            cls.Registered(
                **cls.creation_envelope(cls.id_for(slug)),
                slug=slug,
                name=name,
                land=land,
                line_pattern=line_pattern,
                majority_rule=majority_rule,
                effective=effective,
                source=source,
            )
        )

    def state_at(self, as_of: date | None = None) -> BodyState:
        """The body's state at the end of `as_of`."""
        return self.fold(BODY, as_of)

    def check_fact(self, fact: LedgerAggregate.Event) -> None:
        """A corrected registration keeps to the rules of a new one (pattern, majority rule)."""
        if isinstance(fact, Body.Registered):
            problem = line_pattern_problem(fact.line_pattern)
            if problem is not None:
                raise RuleViolationError("line_pattern", problem)
            if fact.majority_rule not in MAJORITY_RULES:
                raise RuleViolationError(
                    "majority_rule", f"must be one of {', '.join(MAJORITY_RULES)}"
                )

    def check_line_code(self, code: str) -> None:
        """Refuses a budget-line code that does not match the body's pattern."""
        if len(code) > MAX_LINE_CODE:
            raise RuleViolationError(
                "line",
                f"a budget-line code has at most {MAX_LINE_CODE} characters, got {len(code):,}",
            )
        pattern = self.state_at().line_pattern
        # A pattern recorded before patterns were checked is not matched if it is unsafe.
        problem = line_pattern_problem(pattern)
        if problem is not None:
            raise RuleViolationError(
                "line", f"the body's budget-line pattern {problem}; correct the body first"
            )
        if not re.fullmatch(pattern, code):
            raise RuleViolationError(
                "line", f"'{code}' does not match the budget-line pattern {pattern} of the body"
            )


@lru_cache(maxsize=256)
def line_pattern_problem(pattern: str) -> str | None:
    """What makes `pattern` unfit to check budget-line codes, or None if it is fit.

    Python's `re` backtracks: `^(a+)+$` tries every way to split a code among the repeats,
    exponential in its length. So a pattern must be a regular expression of at most
    MAX_LINE_PATTERN characters, without a repeated group that itself has a quantifier or
    an alternative (nested quantifiers), and with at most MAX_MATCH_WAYS ways to match.
    """
    if len(pattern) > MAX_LINE_PATTERN:
        return f"must be at most {MAX_LINE_PATTERN} characters long, got {len(pattern):,}"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"must be a regular expression ({exc})"
    try:
        ways = _ways(_RE_PARSER.parse(pattern))
    except _NestedQuantifierError:
        return (
            "must not repeat a group that has a quantifier or an alternative (|) of its own, "
            "such as (a+)+ or (a|b)*: nested quantifiers take exponential time; "
            "use fixed counts such as (\\.\\d{4})+"
        )
    if ways > MAX_MATCH_WAYS:
        return (
            f"allows more than {MAX_MATCH_WAYS:,} ways to match a code (its quantifiers and "
            "alternatives multiplied); use fixed counts such as \\d{4}"
        )
    return None


# The parser of the `re` module; its parse tree is what the engine backtracks over.
_RE_PARSER: Any = importlib.import_module("re._parser")
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


class _NestedQuantifierError(Exception):
    """A repeated group has choices of its own."""


def _ways(items: Any) -> int:
    """The product of the choices in a parsed pattern, capped just above MAX_MATCH_WAYS."""
    total = 1
    for op, av in items:
        name = getattr(op, "name", str(op))
        if name in _REPEATS:
            low, high, body = av
            inner = _ways(body)
            if high > 1 and inner > 1:
                raise _NestedQuantifierError
            total *= max(1, min(high, MAX_LINE_CODE) - low + 1) * inner
        elif name == "SUBPATTERN":
            total *= _ways(av[3])
        elif name == "ATOMIC_GROUP":
            total *= _ways(av)
        elif name in ("ASSERT", "ASSERT_NOT"):
            total *= _ways(av[1])
        elif name == "BRANCH":
            total *= sum(_ways(branch) for branch in av[1])
        elif name == "GROUPREF_EXISTS":
            total *= _ways(av[1]) + (_ways(av[2]) if av[2] is not None else 1)
        total = min(total, MAX_MATCH_WAYS + 1)
    return total


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
