"""How read-model values appear in documents: ISO dates, amounts as decimal strings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledger.domain.money import format_amount


def iso(day: date | None) -> str | None:
    """A date as ISO text, or None."""
    return day.isoformat() if day is not None else None


def day(text: str | None) -> date | None:
    """An ISO date text back as a date, or None."""
    return date.fromisoformat(text) if text else None


def cents(amount: Decimal) -> int:
    """An amount (at most two decimals) as whole cents, as the tables store it."""
    return int(amount.scaleb(2))


def amount(value: int | None) -> str | None:
    """Whole cents as the decimal string documents carry ("17655.00"), or None."""
    return format_amount(Decimal(value).scaleb(-2)) if value is not None else None
