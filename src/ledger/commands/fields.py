"""Parsers for command fields (dates, money, counts, text); each error names field and rule.

Every value a command file carries is bounded here or in the module this one calls (money in
ledger.domain.money, nesting and file size in ledger.yaml_files, budget-line codes and patterns
in ledger.domain.body), so that nothing the ledger accepts can overflow a read-model column or
make one request's answer unbounded.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ledger.domain.base import check_source
from ledger.domain.money import MAX_AMOUNT_CHARS, MAX_AMOUNT_TEXT, check_amount
from ledger.domain.resolution import check_reference
from ledger.errors import RuleViolationError
from ledger.yaml_files import LongInteger

# Numbers and dates are read in ASCII digits only (re.ASCII): Python's \d, int() and
# Decimal() also take fullwidth and Arabic-Indic digits, which no finance system writes and
# which would spell one amount in ways a reader of the file does not see as the same.
GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", re.ASCII)
GERMAN_MONEY = re.compile(r"^\d{1,3}(?:\.\d{3})*(?:,\d+)?$|^\d+(?:,\d+)?$", re.ASCII)
PLAIN_MONEY = re.compile(r"^\d+(?:\.\d+)?$", re.ASCII)
THOUSANDS_ONLY = re.compile(r"^\d{1,3}(?:\.\d{3})+$", re.ASCII)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
PROCESS = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*/[a-z0-9]+(?:-[a-z0-9]+)*")
CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-_]*")

# The most characters of one text field (a title, note, reason, item, booking text): a long
# finding fits, and a page of a thousand events stays a few megabytes.
MAX_TEXT = 10_000
# The most entries of one list of texts (a resolution's items).
MAX_ITEMS = 1_000
# The most voting seats of a committee, and so the most votes of each kind in one vote.
MAX_SEATS = 10_000
# The most of any other whole number (finding numbers, event versions): fits a 32-bit column.
MAX_ORDINAL = 1_000_000_000
YEARS = (1900, 2200)
PERCENT = (0, 100)
# The range of each whole-number field by name; the same name has the same range in its own
# command and in the `values` of a correction (`values.seats`). Other names: 0..MAX_ORDINAL.
WHOLE_NUMBERS: dict[str, tuple[int, int]] = {
    "seats": (0, MAX_SEATS),
    "yes": (0, MAX_SEATS),
    "no": (0, MAX_SEATS),
    "abstentions": (0, MAX_SEATS),
    "recused": (0, MAX_SEATS),
    "progress": PERCENT,
    "year": YEARS,
}
# The most characters of a value quoted in a refusal.
SHOWN = 60


def shown(value: object) -> str:
    """A value as a refusal quotes it: short, with control characters escaped (repr)."""
    if isinstance(value, dict):
        return f"a mapping of {len(value)} entries"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} entries"
    if isinstance(value, str) and len(value) > SHOWN:
        return f"{value[:SHOWN]!r}... ({len(value):,} characters)"
    return repr(value)


def parse_date(field: str, value: object) -> date:
    """A real calendar date: ISO (2018-06-19) or German (19.06.2018) notation."""
    if type(value) is not str:  # a file's date is text: no further checks for it
        if isinstance(value, datetime):
            raise RuleViolationError(field, f"must be a date without a time, got {value}")
        if isinstance(value, date):
            return value
        if not isinstance(value, str):
            raise RuleViolationError(
                field, f"must be a date such as 2018-06-19, got {shown(value)}"
            )
    text = value.strip()
    try:
        if ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
        german = GERMAN_DATE.match(text)
        if german:
            day, month, year = (int(g) for g in german.groups())
            return date(year, month, day)
    except ValueError:
        raise RuleViolationError(field, f"{shown(value)} is not a real date") from None
    raise RuleViolationError(
        field, f"must be a date such as 2018-06-19 or 19.06.2018, got {shown(value)}"
    )


def parse_money(field: str, value: object) -> Decimal:
    """EUR as Decimal: "17655.00", "17.655,00" or whole euros; never a float; ≥ 0, two decimals.

    At most MAX_AMOUNT (10^13 EUR), written in ASCII digits without an exponent.
    """
    if isinstance(value, LongInteger):
        raise RuleViolationError(
            field, f"must be at most {MAX_AMOUNT_TEXT}, got a number of {value.digits} digits"
        )
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
        raise RuleViolationError(field, f'must be an amount such as "17655.00", got {shown(value)}')
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    for suffix in ("EUR", "€", "Euro"):
        text = text.removesuffix(suffix)
    if len(text) > MAX_AMOUNT_CHARS:
        raise RuleViolationError(
            field,
            f"{shown(value)} is not an amount: longer than {MAX_AMOUNT_CHARS} characters "
            f"(the most is {MAX_AMOUNT_TEXT})",
        )
    if text.startswith("-"):
        raise RuleViolationError(field, f"must be ≥ 0, got {shown(value)}")
    if "," in text:
        if not GERMAN_MONEY.match(text):
            raise RuleViolationError(field, f"{shown(value)} is not an amount in German notation")
        text = text.replace(".", "").replace(",", ".")
    elif THOUSANDS_ONLY.match(text):
        raise RuleViolationError(
            field,
            f'{shown(value)} is ambiguous: write "{text.replace(".", "")},00" with a decimal '
            f'comma or "{text}" with more or fewer than three decimals',
        )
    elif not PLAIN_MONEY.match(text):
        raise RuleViolationError(
            field, f"{shown(value)} is not an amount such as 17655.00 or 17.655,00"
        )
    try:
        amount = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the patterns admit only ASCII digits
        raise RuleViolationError(field, f"{shown(value)} is not an amount") from None
    return check_amount(field, amount)


def whole_number(field: str, value: object, low: int, high: int, rule: str = "") -> int:
    """A whole number in low..high written as an integer (YAML/JSON), never as text or float.

    A count written as "9" is refused rather than read: a quoted number is text in YAML
    and JSON, and reading text as a number would also read fullwidth and other digits.
    """
    rule = rule or f"a whole number ≥ {low}, at most {high}"
    if isinstance(value, LongInteger):
        raise RuleViolationError(field, f"must be {rule}, got a number of {value.digits} digits")
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleViolationError(
            field, f"must be {rule}, written as an integer without quotes, got {shown(value)}"
        )
    if not low <= value <= high:
        raise RuleViolationError(field, f"must be {rule}, got {value}")
    return value


def number_range(field: str) -> tuple[int, int]:
    """The range of the whole-number field `field` (`values.seats` counts as `seats`)."""
    return WHOLE_NUMBERS.get(field.rsplit(".", 1)[-1], (0, MAX_ORDINAL))


def parse_count(field: str, value: object) -> int:
    """A whole number ≥ 0, bounded by the field's kind (WHOLE_NUMBERS)."""
    low, high = number_range(field)
    return whole_number(field, value, low, high)


def parse_positive(field: str, value: object) -> int:
    """A whole number ≥ 1, bounded by the field's kind (WHOLE_NUMBERS)."""
    low, high = number_range(field)
    return whole_number(field, value, max(low, 1), high)


def parse_year(field: str, value: object) -> int:
    """A fiscal or calendar year 1900..2200."""
    low, high = YEARS
    return whole_number(field, value, low, high, f"a year between {low} and {high}")


def parse_percent(field: str, value: object) -> int:
    """A percentage 0..100."""
    low, high = PERCENT
    return whole_number(field, value, low, high, f"a percentage {low}..{high}")


def _bounded(field: str, text: str) -> str:
    if len(text) > MAX_TEXT:
        raise RuleViolationError(
            field, f"must be at most {MAX_TEXT:,} characters long, got {len(text):,}"
        )
    return text


def parse_text(field: str, value: object) -> str:
    """Non-empty text of at most MAX_TEXT characters."""
    if type(value) is not str:  # the common case first: every command has several
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise RuleViolationError(field, f"must be text, got {shown(value)}")
    text = value.strip()
    if len(text) > MAX_TEXT:
        _bounded(field, text)
    if not text:
        raise RuleViolationError(field, "must not be empty")
    return text


def parse_reference(field: str, value: object) -> str:
    """A resolution reference ("2018/6/067", "V 123/2018"): trimmed, inner spaces collapsed
    to one, at most 100 characters, no control characters (ledger.domain.resolution)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise RuleViolationError(field, f"must be text, got {shown(value)}")
    if not value.strip():
        raise RuleViolationError(field, "must not be empty")
    return check_reference(value, field)


def parse_source(field: str, value: object) -> str:
    """Where a fact comes from (an OParl id URL, a file and page): one line of at most
    1,000 characters (ledger.domain.base.check_source), trimmed."""
    if not isinstance(value, str):
        raise RuleViolationError(field, f"must be text, got {shown(value)}")
    text = value.strip()
    check_source(text, field)
    return text


def parse_free_text(field: str, value: object) -> str:
    """Text that may be empty, of at most MAX_TEXT characters."""
    if value is None:
        return ""
    if type(value) is not str and not isinstance(value, str):
        raise RuleViolationError(field, f"must be text, got {shown(value)}")
    text = value.strip()
    return _bounded(field, text) if len(text) > MAX_TEXT else text


def parse_bool(field: str, value: object) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise RuleViolationError(field, f"must be true or false, got {shown(value)}")
    return value


def parse_text_list(field: str, value: object) -> list[str]:
    """A list of at most MAX_ITEMS non-empty texts."""
    if not isinstance(value, list):
        raise RuleViolationError(field, f"must be a list of texts, got {shown(value)}")
    if len(value) > MAX_ITEMS:
        raise RuleViolationError(
            field, f"must hold at most {MAX_ITEMS:,} entries, got {len(value):,}"
        )
    return [parse_text(f"{field}[{i}]", item) for i, item in enumerate(value)]


def parse_mapping(field: str, value: object) -> dict[str, object]:
    """A mapping with text keys."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise RuleViolationError(
            field, f"must be a mapping of field names to values, got {shown(value)}"
        )
    return dict(value)


def parse_process(field: str, value: object) -> str:
    """A process named programme/cycle, e.g. audit-fgk/2018."""
    text = parse_text(field, value)
    if not PROCESS.fullmatch(text):
        raise RuleViolationError(
            field, f"{shown(text)} must name a process as programme/cycle, e.g. audit-fgk/2018"
        )
    return text


def parse_code(field: str, value: object) -> str:
    """A short code of a goal or measure (letters, digits, dots and hyphens)."""
    text = parse_text(field, value)
    if not CODE.fullmatch(text):
        raise RuleViolationError(
            field, f"{shown(text)} must be a code of letters, digits, dots and hyphens"
        )
    return text
