"""Commands for budget lines: line, appropriation, supplementary approvals, funding, bookings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

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
from ledger.commands.registry import Command, Parse, command
from ledger.domain.budget_line import DIRECTIONS, SUPPLEMENTARY_KINDS, BudgetLine
from ledger.domain.money import check_amount
from ledger.errors import RuleViolationError
from ledger.yaml_files import LongInteger

# The signs a negative amount may be written with: ASCII hyphen-minus and the minus sign.
MINUS = ("-", "\u2212")


def parse_signed_money(field: str, value: object) -> Decimal:
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


def parse_line_code(field: str, value: object) -> str:
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


Amount = Annotated[Decimal, Parse(parse_money, help="EUR")]
SignedAmount = Annotated[Decimal, Parse(parse_signed_money, help="EUR")]
Text = Annotated[str, Parse(parse_free_text)]


@dataclass(frozen=True, slots=True, kw_only=True)
class OnLine(Command):
    """A command on a budget line, named by fiscal year and code."""

    year: Annotated[int, Parse(parse_year, help="the fiscal year (Haushaltsjahr)")]
    line: Annotated[
        str,
        Parse(parse_line_code, help="the budget-line code (Haushaltsstelle), e.g. 01.4953.7187"),
    ]

    def budget_line(self, batch: Batch) -> BudgetLine:
        """The opened budget line named by body, year and line."""
        key = f"{self.line} in {self.year}"
        return batch.get(
            BudgetLine, BudgetLine.id_for(self.body, self.year, self.line), "line", key
        )


@command
class OpenLine(OnLine):
    """Opens a budget line; its code must match the body's pattern."""

    record = "budget-line"
    summary = "open a budget line (Haushaltsstelle) in a fiscal year"

    title: Annotated[str, Parse(parse_text, help="its title")]
    direction: Annotated[
        str, Parse(parse_text, help="expenditure or income", choices=DIRECTIONS)
    ] = "expenditure"

    def handle(self, batch: Batch) -> None:
        """Opens the line."""
        batch.body(self.body).check_line_code(self.line)
        batch.create(
            BudgetLine,
            BudgetLine.id_for(self.body, self.year, self.line),
            "line",
            f"{self.line} in {self.year}",
            lambda: BudgetLine.open(
                body=self.body,
                year=self.year,
                code=self.line,
                title=self.title,
                direction=self.direction,
                effective=self.effective,
            ),
        )


@command
class SetAppropriation(OnLine):
    """Sets the appropriation (Ansatz) of a line."""

    record = "appropriation"
    summary = "set the appropriation (Ansatz) of a line from the adopted budget"

    amount: SignedAmount

    def handle(self, batch: Batch) -> None:
        """Sets the appropriation."""
        self.budget_line(batch).set_appropriation(self.amount, self.effective)


@command
class ApproveSupplementary(OnLine):
    """Records an über- or außerplanmäßige approval."""

    record = "supplementary"
    summary = "approve an über- or außerplanmäßige expenditure"

    kind: Annotated[
        str,
        Parse(
            parse_text, help="ausserplanmaessig or ueberplanmaessig", choices=SUPPLEMENTARY_KINDS
        ),
    ]
    amount: Amount
    resolution: Annotated[
        str, Parse(parse_reference, help="the authorising resolution's reference")
    ]
    cover: Annotated[str, Parse(parse_free_text, help="how it is covered (Deckung)")] = ""

    def handle(self, batch: Batch) -> None:
        """Records the approval."""
        self.budget_line(batch).approve_supplementary(
            kind=self.kind,
            amount=self.amount,
            resolution=self.resolution,
            cover=self.cover,
            effective=self.effective,
        )


@command
class AwardFunding(OnLine):
    """Records funding awarded for a line."""

    record = "funding"
    summary = "record funding awarded for a line (Fördermittel)"

    grantor: Annotated[str, Parse(parse_text, help="who grants it, e.g. Land Thüringen")]
    programme: Annotated[str, Parse(parse_free_text, help="the funding programme")] = ""
    amount: Amount
    earmarked: Annotated[bool, Parse(parse_bool, help="zweckgebunden")] = True

    def handle(self, batch: Batch) -> None:
        """Records the award."""
        self.budget_line(batch).award_funding(
            grantor=self.grantor,
            programme=self.programme,
            amount=self.amount,
            earmarked=self.earmarked,
            effective=self.effective,
        )


@command
class ReceiveFunding(OnLine):
    """Records funding received."""

    record = "funding-received"
    summary = "record funding received"

    amount: Amount
    reference: Annotated[str, Parse(parse_text, help="booking reference")]

    def handle(self, batch: Batch) -> None:
        """Records the receipt."""
        self.budget_line(batch).receive_funding(
            amount=self.amount, reference=self.reference, effective=self.effective
        )


@command
class RecordCommitment(OnLine):
    """Records a commitment against a line."""

    record = "commitment"
    summary = "record a commitment against a line"

    amount: Amount
    reference: Annotated[str, Parse(parse_text, help="contract or order reference")]
    text: Text = ""

    def handle(self, batch: Batch) -> None:
        """Records the commitment."""
        self.budget_line(batch).record_commitment(
            amount=self.amount, reference=self.reference, text=self.text, effective=self.effective
        )


@command
class BookPayment(OnLine):
    """Books a payment (or a receipt on an income line)."""

    record = "payment"
    summary = "book a payment (or a receipt on an income line); effective: the booking date"

    amount: SignedAmount
    reference: Annotated[str, Parse(parse_text, help="the booking reference; unique on the line")]
    text: Text = ""

    def handle(self, batch: Batch) -> None:
        """Books the payment."""
        self.budget_line(batch).book_payment(
            amount=self.amount, reference=self.reference, text=self.text, effective=self.effective
        )


@command
class RecordStatement(OnLine):
    """Records the treasury's statement on a line."""

    record = "treasury-statement"
    summary = "record the treasury's statement (Stellungnahme der Kämmerei) on a line"

    text: Annotated[str, Parse(parse_text)]
    author: Text = "Kämmerei"

    def handle(self, batch: Batch) -> None:
        """Records the statement."""
        self.budget_line(batch).record_statement(
            text=self.text, author=self.author, effective=self.effective
        )
