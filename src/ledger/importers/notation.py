"""Amounts and dates as finance exports write them: decimal comma or point, German or ISO dates."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ledger.commands.fields import PLAIN_MONEY, THOUSANDS_ONLY, parse_date, parse_money, shown
from ledger.domain.money import MAX_AMOUNT_CHARS, MAX_AMOUNT_TEXT, check_amount
from ledger.errors import RuleViolationError

POINT_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$", re.ASCII)


# A negative amount: a leading minus (or minus sign), or a trailing one as some finance
# systems write it ("1.234,56-").
MINUS = ("-", "\u2212")


def parse_signed_amount(field: str, text: str, decimal: str = "auto") -> Decimal:
    """An amount as `parse_amount` reads it, negative when written with a minus.

    "-1.500,00", "−1.500,00" and "1.500,00-" are −1500.00; "-0,00" is 0.00.
    """
    cleaned = text.strip()
    negative = cleaned.startswith(MINUS)
    if negative:
        cleaned = cleaned[1:].lstrip()
    elif cleaned.endswith(MINUS):
        negative, cleaned = True, cleaned[:-1].rstrip()
    if negative and (not cleaned or cleaned.startswith(MINUS) or cleaned.endswith(MINUS)):
        raise RuleViolationError(field, f"{shown(text)} is not an amount")
    amount = parse_amount(field, cleaned, decimal)  # checked: two decimals, bounded
    if not negative or not amount:
        return amount
    return -amount


def parse_amount(field: str, text: str, decimal: str = "auto") -> Decimal:
    """An amount ≥ 0 with at most two decimals, at most MAX_AMOUNT, in ASCII digits.

    auto: German ("17.655,00") or plain ("17655.00") notation as `parse_money` reads it;
    comma: a decimal comma, points group thousands ("17.655" is 17655.00);
    point: a decimal point, commas group thousands ("17,655.00").
    """
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if decimal == "comma":
        if "," not in cleaned and THOUSANDS_ONLY.match(cleaned):
            cleaned += ",00"
        elif "," not in cleaned and "." in cleaned:
            raise RuleViolationError(
                field, f"{shown(text)} is not an amount with a decimal comma (such as 17.655,00)"
            )
        return parse_money(field, cleaned)
    if decimal == "point":
        if len(cleaned) > MAX_AMOUNT_CHARS:
            raise RuleViolationError(
                field,
                f"{shown(text)} is not an amount: longer than {MAX_AMOUNT_CHARS} characters "
                f"(the most is {MAX_AMOUNT_TEXT})",
            )
        if "," in cleaned:
            if not POINT_GROUPED.match(cleaned):
                raise RuleViolationError(
                    field,
                    f"{shown(text)} is not an amount with a decimal point (such as 17,655.00)",
                )
            cleaned = cleaned.replace(",", "")
        if cleaned.startswith("-"):
            raise RuleViolationError(field, f"must be ≥ 0, got {shown(text)}")
        if not PLAIN_MONEY.match(cleaned):
            raise RuleViolationError(field, f"{shown(text)} is not an amount such as 17655.00")
        try:
            return check_amount(field, Decimal(cleaned))
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            raise RuleViolationError(field, f"{shown(text)} is not an amount") from None
    return parse_money(field, text)


def parse_booking_date(field: str, text: str, date_format: str | None = None) -> date:
    """A date in the mapping's strptime format, else ISO (2018-06-19) or German (19.06.2018)."""
    if date_format:
        # strptime reads any Unicode digit (its patterns use \d); the ledger reads ASCII only.
        if any(char.isdecimal() and not char.isascii() for char in text):
            raise RuleViolationError(field, f"{shown(text)} must be written in the digits 0-9")
        try:
            return datetime.strptime(text.strip(), date_format).date()
        except ValueError:
            raise RuleViolationError(
                field, f"{shown(text)} is not a date in the format {date_format}"
            ) from None
    return parse_date(field, text)
