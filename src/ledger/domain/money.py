"""Money: EUR amounts as Decimal with at most two decimals, never float."""

from __future__ import annotations

from decimal import Decimal

from ledger.errors import RuleViolationError

CENT = Decimal("0.01")


def check_amount(field: str, amount: Decimal) -> Decimal:
    """Refuses a negative amount or one with more than two decimals; returns it with two."""
    if not amount.is_finite():
        raise RuleViolationError(field, f"must be a finite amount, got {amount}")
    if amount < 0:
        raise RuleViolationError(field, f"must be ≥ 0, got {amount}")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(CENT):
        raise RuleViolationError(field, f"must have at most two decimals, got {amount}")
    return amount.quantize(CENT)


def format_amount(amount: Decimal) -> str:
    """An amount as the decimal string the JSON documents carry ("17655.00")."""
    return str(amount.quantize(CENT))
