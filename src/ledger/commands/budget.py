"""Commands for budget lines: line, appropriation, supplementary approvals, funding, bookings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledger.commands.batch import Batch
from ledger.commands.fields import (
    parse_bool,
    parse_free_text,
    parse_money,
    parse_reference,
    parse_text,
    parse_year,
    shown,
)
from ledger.commands.registry import Field, command
from ledger.domain.budget_line import BudgetLine
from ledger.domain.money import check_amount
from ledger.errors import RuleViolationError
from ledger.yaml_files import LongInteger

# The signs a negative amount may be written with: ASCII hyphen-minus and the minus sign.
MINUS = ("-", "\u2212")


def parse_signed_money(field: str, value: Any) -> Decimal:
    """An amount as `parse_money` reads it, or its negative written with a leading minus.

    For an appropriation (a negative Ansatz) and a booking (a reversal, Storno).
    """
    if isinstance(value, LongInteger):
        return parse_money(field, value)  # refused, naming its digits
    if isinstance(value, str) and value.strip().startswith(MINUS):
        rest = value.strip()[1:]
        if rest.strip().startswith(MINUS):
            raise RuleViolationError(field, f"{shown(value)} is not an amount")
        magnitude = parse_money(field, rest)
        return check_amount(field, -magnitude, signed=True)
    if isinstance(value, int | Decimal) and not isinstance(value, bool) and value < 0:
        return check_amount(field, -parse_money(field, -value), signed=True)
    return parse_money(field, value)


def parse_line_code(field: str, value: Any) -> str:
    """A budget-line code as text; one YAML read as a number is refused, naming the fix.

    Unquoted, `01000.4000` is the number 1000.4 in YAML: its zeros are gone, and the code
    it would name is another line's, or none.
    """
    if isinstance(value, float):
        raise RuleViolationError(
            field,
            f"{value!r} was read as a number, which drops a code's leading and trailing "
            f"zeros; write the code in quotes, e.g. line: '01000.4000'",
        )
    return parse_text(field, value)


YEAR = Field(parse_year, help="the fiscal year (Haushaltsjahr)")
LINE = Field(parse_line_code, help="the budget-line code (Haushaltsstelle), e.g. 01.4953.7187")


def line_of(batch: Batch, v: dict[str, Any]) -> BudgetLine:
    """The opened budget line named by body, year and line."""
    key = f"{v['line']} in {v['year']}"
    return batch.get(BudgetLine, BudgetLine.id_for(v["body"], v["year"], v["line"]), "line", key)


@command(
    "budget-line",
    "open a budget line (Haushaltsstelle) in a fiscal year",
    year=YEAR,
    line=LINE,
    title=Field(parse_text, help="its title"),
    direction=Field(
        parse_text, required=False, default="expenditure", help="expenditure or income"
    ),
)
def open_line(batch: Batch, v: dict[str, Any]) -> None:
    """Opens a line; its code must match the body's pattern."""
    batch.body(v["body"]).check_line_code(v["line"])
    batch.create(
        BudgetLine,
        BudgetLine.id_for(v["body"], v["year"], v["line"]),
        "line",
        f"{v['line']} in {v['year']}",
        lambda: BudgetLine.open(
            body=v["body"],
            year=v["year"],
            code=v["line"],
            title=v["title"],
            direction=v["direction"],
            effective=v["effective"],
        ),
    )


@command(
    "appropriation",
    "set the appropriation (Ansatz) of a line from the adopted budget",
    year=YEAR,
    line=LINE,
    amount=Field(parse_signed_money, help="EUR"),
)
def set_appropriation(batch: Batch, v: dict[str, Any]) -> None:
    """Sets the appropriation."""
    line_of(batch, v).set_appropriation(v["amount"], v["effective"])


@command(
    "supplementary",
    "approve an über- or außerplanmäßige expenditure",
    year=YEAR,
    line=LINE,
    kind=Field(parse_text, help="ausserplanmaessig or ueberplanmaessig"),
    amount=Field(parse_money, help="EUR"),
    resolution=Field(parse_reference, help="the authorising resolution's reference"),
    cover=Field(parse_free_text, required=False, default="", help="how it is covered (Deckung)"),
)
def approve_supplementary(batch: Batch, v: dict[str, Any]) -> None:
    """Records an über-/außerplanmäßige approval."""
    line_of(batch, v).approve_supplementary(
        kind=v["kind"],
        amount=v["amount"],
        resolution=v["resolution"],
        cover=v["cover"],
        effective=v["effective"],
    )


@command(
    "funding",
    "record funding awarded for a line (Fördermittel)",
    year=YEAR,
    line=LINE,
    grantor=Field(parse_text, help="who grants it, e.g. Land Thüringen"),
    programme=Field(parse_free_text, required=False, default="", help="the funding programme"),
    amount=Field(parse_money, help="EUR"),
    earmarked=Field(parse_bool, required=False, default=True, help="zweckgebunden"),
)
def award_funding(batch: Batch, v: dict[str, Any]) -> None:
    """Records funding awarded."""
    line_of(batch, v).award_funding(
        grantor=v["grantor"],
        programme=v["programme"],
        amount=v["amount"],
        earmarked=v["earmarked"],
        effective=v["effective"],
    )


@command(
    "funding-received",
    "record funding received",
    year=YEAR,
    line=LINE,
    amount=Field(parse_money, help="EUR"),
    reference=Field(parse_text, help="booking reference"),
)
def receive_funding(batch: Batch, v: dict[str, Any]) -> None:
    """Records funding received."""
    line_of(batch, v).receive_funding(
        amount=v["amount"], reference=v["reference"], effective=v["effective"]
    )


@command(
    "commitment",
    "record a commitment against a line",
    year=YEAR,
    line=LINE,
    amount=Field(parse_money, help="EUR"),
    reference=Field(parse_text, help="contract or order reference"),
    text=Field(parse_free_text, required=False, default=""),
)
def record_commitment(batch: Batch, v: dict[str, Any]) -> None:
    """Records a commitment."""
    line_of(batch, v).record_commitment(
        amount=v["amount"], reference=v["reference"], text=v["text"], effective=v["effective"]
    )


@command(
    "payment",
    "book a payment (or a receipt on an income line); effective: the booking date",
    year=YEAR,
    line=LINE,
    amount=Field(parse_signed_money, help="EUR"),
    reference=Field(parse_text, help="the booking reference; unique on the line"),
    text=Field(parse_free_text, required=False, default=""),
)
def book_payment(batch: Batch, v: dict[str, Any]) -> None:
    """Books a payment."""
    line_of(batch, v).book_payment(
        amount=v["amount"], reference=v["reference"], text=v["text"], effective=v["effective"]
    )


@command(
    "treasury-statement",
    "record the treasury's statement (Stellungnahme der Kämmerei) on a line",
    year=YEAR,
    line=LINE,
    text=Field(parse_text),
    author=Field(parse_free_text, required=False, default="Kämmerei"),
)
def record_statement(batch: Batch, v: dict[str, Any]) -> None:
    """Records the treasury's statement."""
    line_of(batch, v).record_statement(text=v["text"], author=v["author"], effective=v["effective"])
