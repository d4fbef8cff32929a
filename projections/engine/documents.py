"""How read-model values appear in documents: ISO dates, amounts as decimal strings."""

from __future__ import annotations

from datetime import date
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal

#: Shifts the decimal point without rounding, whatever the number of digits (the default
#: context keeps 28 significant digits, fewer than a sum of large amounts may have).
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def iso(day: date | None) -> str | None:
    """A date as ISO text, or None."""
    return day.isoformat() if day is not None else None


def day(text: str | None) -> date | None:
    """An ISO date text back as a date, or None."""
    return date.fromisoformat(text) if text else None


def cents(amount: Decimal) -> int:
    """An amount (at most two decimals) as whole cents, as the tables store it (exact)."""
    return int(amount.scaleb(2, _EXACT))


def amount(value: int | None) -> str | None:
    """Whole cents as the decimal string documents carry ("17655.00"), or None.

    Formatted from the integer itself, so any number of digits comes out exactly (as
    ledger.domain.money.format_amount writes the same amount).
    """
    if value is None:
        return None
    euros, rest = divmod(abs(value), 100)
    return f"{'-' if value < 0 else ''}{euros}.{rest:02d}"
