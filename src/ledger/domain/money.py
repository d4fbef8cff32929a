"""Money: EUR amounts as Decimal with at most two decimals, never float."""

from __future__ import annotations

from decimal import Decimal

from ledger.errors import RuleViolationError

CENT = Decimal("0.01")
# The largest amount the ledger accepts, in EUR: 10^13, some twenty times the federal
# government's yearly budget. Its cents (10^15) fit a 64-bit integer nine thousand times over, so
# the read model can hold every accepted amount and the sums of many; and it is far inside
# the 28 digits of Decimal's default context, so quantizing never fails.
MAX_AMOUNT = Decimal(10) ** 13
MAX_AMOUNT_TEXT = f"{MAX_AMOUNT:.2f} EUR (10^13)"
# The most characters an amount may be written with ("10.000.000.000.000,00 EUR" has 25).
MAX_AMOUNT_CHARS = 40


def check_amount(field: str, amount: Decimal, *, signed: bool = False) -> Decimal:
    """Refuses a negative, over-large or sub-cent amount; returns it with two decimals.

    `signed`: a negative amount down to −MAX_AMOUNT is allowed too (a negative appropriation
    in an adopted budget, a reversed booking).
    """
    if not amount.is_finite():
        raise RuleViolationError(field, f"must be a finite amount, got {amount}")
    # Compared before quantizing: quantizing 10^30 to cents raises InvalidOperation.
    if abs(amount) > MAX_AMOUNT:
        raise RuleViolationError(field, f"must be at most {MAX_AMOUNT_TEXT}, got {_shown(amount)}")
    if amount < 0 and not signed:
        raise RuleViolationError(field, f"must be ≥ 0, got {amount}")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(CENT):
        raise RuleViolationError(field, f"must have at most two decimals, got {amount}")
    # −0.00 is 0.00: a sign on nothing would show as "-0.00" and compare as a change.
    return amount.quantize(CENT) if amount else abs(amount).quantize(CENT)


def format_amount(amount: Decimal) -> str:
    """An amount as the decimal string the JSON documents carry ("17655.00")."""
    return str(amount.quantize(CENT))


def _shown(amount: Decimal) -> str:
    """An over-large amount as a refusal shows it: in full up to 40 digits."""
    digits = amount.adjusted() + 1
    return f"{amount:f}" if digits <= 40 else f"a number of {digits} digits"
