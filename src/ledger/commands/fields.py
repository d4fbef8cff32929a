"""Parsers for command fields (dates, money, counts, text); each error names field and rule."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.domain.money import check_amount
from ledger.errors import RuleViolationError

GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
GERMAN_MONEY = re.compile(r"^\d{1,3}(?:\.\d{3})*(?:,\d+)?$|^\d+(?:,\d+)?$")
PLAIN_MONEY = re.compile(r"^\d+(?:\.\d+)?$")
THOUSANDS_ONLY = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PROCESS = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*/[a-z0-9]+(?:-[a-z0-9]+)*")
CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-_]*")


def parse_date(field: str, value: Any) -> date:
    """A real calendar date: ISO (2018-06-19) or German (19.06.2018) notation."""
    if isinstance(value, datetime):
        raise RuleViolationError(field, f"must be a date without a time, got {value}")
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise RuleViolationError(field, f"must be a date such as 2018-06-19, got {value!r}")
    text = value.strip()
    try:
        if ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
        german = GERMAN_DATE.match(text)
        if german:
            day, month, year = (int(g) for g in german.groups())
            return date(year, month, day)
    except ValueError:
        raise RuleViolationError(field, f"'{value}' is not a real date") from None
    raise RuleViolationError(
        field, f"must be a date such as 2018-06-19 or 19.06.2018, got '{value}'"
    )


def parse_money(field: str, value: Any) -> Decimal:
    """EUR as Decimal: "17655.00", "17.655,00" or whole euros; never a float; ≥ 0, two decimals."""
    if isinstance(value, bool | float):
        raise RuleViolationError(
            field,
            f'amounts are written as strings such as "17655.00" or "17.655,00", never as '
            f"floating-point numbers (got {value!r})",
        )
    if isinstance(value, int):
        return check_amount(field, Decimal(value))
    if isinstance(value, Decimal):
        return check_amount(field, value)
    if not isinstance(value, str):
        raise RuleViolationError(field, f'must be an amount such as "17655.00", got {value!r}')
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    for suffix in ("EUR", "€", "Euro"):
        text = text.removesuffix(suffix)
    if text.startswith("-"):
        raise RuleViolationError(field, f"must be ≥ 0, got '{value}'")
    if "," in text:
        if not GERMAN_MONEY.match(text):
            raise RuleViolationError(field, f"'{value}' is not an amount in German notation")
        text = text.replace(".", "").replace(",", ".")
    elif THOUSANDS_ONLY.match(text):
        raise RuleViolationError(
            field,
            f"'{value}' is ambiguous: write \"{text.replace('.', '')},00\" with a decimal comma "
            f'or "{text}" with more or fewer than three decimals',
        )
    elif not PLAIN_MONEY.match(text):
        raise RuleViolationError(field, f"'{value}' is not an amount such as 17655.00 or 17.655,00")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise RuleViolationError(field, f"'{value}' is not an amount") from None
    return check_amount(field, amount)


def parse_count(field: str, value: Any) -> int:
    """A whole number ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        raise RuleViolationError(field, f"must be a whole number ≥ 0, got {value!r}")
    if value < 0:
        raise RuleViolationError(field, f"must be a whole number ≥ 0, got {value}")
    return value


def parse_positive(field: str, value: Any) -> int:
    """A whole number ≥ 1."""
    number = parse_count(field, value)
    if number < 1:
        raise RuleViolationError(field, f"must be a whole number ≥ 1, got {number}")
    return number


def parse_year(field: str, value: Any) -> int:
    """A fiscal or calendar year 1900..2200."""
    year = parse_count(field, value)
    if not 1900 <= year <= 2200:
        raise RuleViolationError(field, f"must be a year between 1900 and 2200, got {year}")
    return year


def parse_percent(field: str, value: Any) -> int:
    """A percentage 0..100."""
    number = parse_count(field, value)
    if number > 100:
        raise RuleViolationError(field, f"must be a percentage 0..100, got {number}")
    return number


def parse_text(field: str, value: Any) -> str:
    """Non-empty text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise RuleViolationError(field, f"must be text, got {value!r}")
    text = value.strip()
    if not text:
        raise RuleViolationError(field, "must not be empty")
    return text


def parse_free_text(field: str, value: Any) -> str:
    """Text that may be empty."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RuleViolationError(field, f"must be text, got {value!r}")
    return value.strip()


def parse_bool(field: str, value: Any) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise RuleViolationError(field, f"must be true or false, got {value!r}")
    return value


def parse_text_list(field: str, value: Any) -> list[str]:
    """A list of non-empty texts."""
    if not isinstance(value, list):
        raise RuleViolationError(field, f"must be a list of texts, got {value!r}")
    return [parse_text(f"{field}[{i}]", item) for i, item in enumerate(value)]


def parse_mapping(field: str, value: Any) -> dict[str, Any]:
    """A mapping with text keys."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise RuleViolationError(
            field, f"must be a mapping of field names to values, got {value!r}"
        )
    return dict(value)


def parse_process(field: str, value: Any) -> str:
    """A process named programme/cycle, e.g. audit-fgk/2018."""
    text = parse_text(field, value)
    if not PROCESS.fullmatch(text):
        raise RuleViolationError(
            field, f"'{text}' must name a process as programme/cycle, e.g. audit-fgk/2018"
        )
    return text


def parse_code(field: str, value: Any) -> str:
    """A short code of a goal or measure (letters, digits, dots, hyphens)."""
    text = parse_text(field, value)
    if not CODE.fullmatch(text):
        raise RuleViolationError(
            field, f"'{text}' must be a code of letters, digits, dots and hyphens"
        )
    return text
