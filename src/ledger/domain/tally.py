"""The rules of a committee's tally: counts, seats, outcomes and the majority rule.

A vote states all four counts; its outcome is adopted or rejected and follows the body's
majority rule. A decision states what the protocol states: an outcome (of more kinds), the
protocol's wording and any of the counts, the others unknown (None). Both are checked where
they can be: the stated counts together fit the committee's voting seats on the meeting
date, and when all four counts are stated an outcome of adopted or rejected must be the one
the majority rule gives. Nothing is derived: a decision without an outcome keeps none.
"""

from __future__ import annotations

from collections.abc import Mapping

from ledger.domain.body import outcome_of
from ledger.errors import RuleViolationError

#: The outcomes of a vote: the majority rule decides between them.
OUTCOMES = ("adopted", "rejected")
#: The outcomes a protocol states for a decision.
DECISION_OUTCOMES = (*OUTCOMES, "deferred", "referred", "noted", "withdrawn")
#: The counts of a tally, in the order a protocol gives them.
COUNTS = ("yes", "no", "abstentions", "recused")


def check_vote(
    yes: int,
    no: int,
    abstentions: int,
    recused: int,
    outcome: str | None,
    seats: int,
    majority_rule: str,
) -> str:
    """Checks a vote against the seats and the majority rule; returns the outcome."""
    check_counts(yes, no, abstentions, recused)
    check_outcome(outcome)
    counts = {"yes": yes, "no": no, "abstentions": abstentions, "recused": recused}
    check_seats(counts, seats)
    decided = outcome_of(majority_rule, yes, no, abstentions, seats)
    _check_majority(outcome, decided, majority_rule, yes, no)
    return decided


def check_counts(yes: int, no: int, abstentions: int, recused: int) -> None:
    """Refuses a negative count."""
    counts = {"yes": yes, "no": no, "abstentions": abstentions, "recused": recused}
    for name, value in counts.items():
        if value < 0:
            raise RuleViolationError(name, f"must be a whole number ≥ 0, got {value}")


def check_outcome(outcome: str | None) -> None:
    """Refuses an outcome other than adopted or rejected (None: decided by the rule)."""
    if outcome is not None and outcome not in OUTCOMES:
        raise RuleViolationError(
            "outcome", f"must be one of {', '.join(OUTCOMES)}, got '{outcome}'"
        )


def check_seats(counts: Mapping[str, int | None], seats: int) -> None:
    """Refuses stated counts that together exceed the voting seats (None: not stated)."""
    stated = {name: value for name, value in counts.items() if value is not None}
    total = sum(stated.values())
    if total > seats:
        raise RuleViolationError(
            next(iter(stated)),
            f"{' + '.join(stated)} = {total} exceeds the committee's "
            f"{seats} voting seats on the meeting date",
        )


def check_statement(
    outcome: str | None, wording: str | None, counts: Mapping[str, int | None]
) -> None:
    """Checks what a decision states, on its own: something, a known outcome, counts ≥ 0."""
    if outcome is None and wording is None and all(v is None for v in counts.values()):
        raise RuleViolationError(
            "outcome",
            "a decision states at least one of outcome, wording, yes, no, abstentions or recused",
        )
    if outcome is not None and outcome not in DECISION_OUTCOMES:
        raise RuleViolationError(
            "outcome", f"must be one of {', '.join(DECISION_OUTCOMES)}, got {outcome!r}"
        )
    if wording is not None and not wording.strip():
        raise RuleViolationError(
            "wording", "must not be empty (leave it out when the protocol states none)"
        )
    for name, value in counts.items():
        if value is not None and value < 0:
            raise RuleViolationError(name, f"must be a whole number ≥ 0, got {value}")


def check_tally(
    outcome: str | None, counts: Mapping[str, int | None], seats: int, majority_rule: str
) -> None:
    """Checks a decision's stated counts against the seats and, when all four are stated,
    its outcome against the majority rule (which decides only between adopted and rejected:
    a deferral or a referral is not checked against it)."""
    check_seats(counts, seats)
    yes, no, abstentions = counts.get("yes"), counts.get("no"), counts.get("abstentions")
    if (
        outcome in OUTCOMES
        and yes is not None
        and no is not None
        and abstentions is not None
        and counts.get("recused") is not None
    ):
        decided = outcome_of(majority_rule, yes, no, abstentions, seats)
        _check_majority(outcome, decided, majority_rule, yes, no)


def check_decision(
    outcome: str | None,
    wording: str | None,
    counts: Mapping[str, int | None],
    seats: int,
    majority_rule: str,
) -> None:
    """Checks a decision: what it states, then its counts against the seats and the rule."""
    check_statement(outcome, wording, counts)
    check_tally(outcome, counts, seats, majority_rule)


def _check_majority(outcome: str | None, decided: str, rule: str, yes: int, no: int) -> None:
    if outcome is not None and outcome != decided:
        raise RuleViolationError(
            "outcome",
            f"'{outcome}' contradicts the {rule} majority rule: "
            f"{yes} yes / {no} no gives '{decided}'",
        )
