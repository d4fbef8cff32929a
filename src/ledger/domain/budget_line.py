"""BudgetLine (Haushaltsstelle): one line of one fiscal year, from appropriation to payments.

The rules for über- and außerplanmäßige approvals live here: an außerplanmäßige approval
is for a line with no appropriation that year, an überplanmäßige one for a line with one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from ledger.domain.base import Fold, LedgerAggregate, evolve, record_id
from ledger.domain.money import check_amount
from ledger.errors import RuleViolationError

DIRECTIONS = ("expenditure", "income")
SUPPLEMENTARY_KINDS = ("ueberplanmaessig", "ausserplanmaessig")
ZERO = Decimal("0.00")
#: Amounts in euros (Decimal) or in whole cents (int, as the read model keeps them).
_Amount = TypeVar("_Amount", Decimal, int)


def available_and_remaining(
    appropriation: _Amount | None, approved: _Amount, payments: _Amount
) -> tuple[_Amount, _Amount]:
    """A line's available (Verfügbar: appropriation + approvals; no appropriation counts as
    none) and remaining (Rest: available − payments): the one place they are computed."""
    available = approved if appropriation is None else appropriation + approved
    return available, available - payments


@dataclass(frozen=True, slots=True)
class Approval:
    """A supplementary approval (über- or außerplanmäßig) and the resolution behind it."""

    kind: str
    amount: Decimal
    resolution: str
    cover: str
    approved_on: date


@dataclass(frozen=True, slots=True)
class Funding:
    """Funding awarded for the line (Fördermittel)."""

    grantor: str
    programme: str
    amount: Decimal
    earmarked: bool
    awarded_on: date


@dataclass(frozen=True, slots=True)
class BudgetLineState:
    """A budget line as it stands at a date; amounts are sums of what was recorded."""

    body: str = ""
    year: int = 0
    code: str = ""
    title: str = ""
    direction: str = "expenditure"
    appropriation: Decimal | None = None
    supplementary: tuple[Approval, ...] = ()
    funding: tuple[Funding, ...] = ()
    funding_received: Decimal = ZERO
    commitments: Decimal = ZERO
    payments: Decimal = ZERO
    payment_count: int = 0
    statements: tuple[str, ...] = ()

    @property
    def approved(self) -> Decimal:
        """The sum of all supplementary approvals."""
        return sum((a.amount for a in self.supplementary), ZERO)

    @property
    def available(self) -> Decimal:
        """appropriation + approvals (see `available_and_remaining`)."""
        return available_and_remaining(self.appropriation, self.approved, self.payments)[0]

    @property
    def remaining(self) -> Decimal:
        """available − payments (see `available_and_remaining`)."""
        return available_and_remaining(self.appropriation, self.approved, self.payments)[1]

    @property
    def funding_awarded(self) -> Decimal:
        """The sum of the funding awarded."""
        return sum((f.amount for f in self.funding), ZERO)


class BudgetLine(LedgerAggregate):
    """A budget line (Haushaltsstelle) of a body in one fiscal year (Haushaltsjahr)."""

    KIND = "budget line"

    class Opened(LedgerAggregate.Created):
        """The line was opened in the budget of its year."""

        body: str
        year: int
        code: str
        title: str
        direction: str

    class AppropriationSet(LedgerAggregate.Event):
        """The appropriation (Ansatz) of the line was set by the adopted budget."""

        amount: Decimal

    class SupplementaryApproved(LedgerAggregate.Event):
        """An über- or außerplanmäßige expenditure was approved by a resolution."""

        kind: str
        amount: Decimal
        resolution: str
        cover: str

    class FundingAwarded(LedgerAggregate.Event):
        """Funding was awarded for the line (grantor, programme, amount, earmarked or not)."""

        grantor: str
        programme: str
        amount: Decimal
        earmarked: bool

    class FundingReceived(LedgerAggregate.Event):
        """Awarded funding was received; its booking reference identifies it on the line."""

        IDENTITY = ("reference",)
        NOUN = "receipt '{reference}'"

        amount: Decimal
        reference: str

    class CommitmentRecorded(LedgerAggregate.Event):
        """A commitment (Auftrag, Vertrag) was entered against the line."""

        amount: Decimal
        reference: str
        text: str

    class PaymentBooked(LedgerAggregate.Event):
        """A booking (payment on an expenditure line, receipt on an income line).

        Its booking reference identifies it on the line.
        """

        IDENTITY = ("reference",)
        NOUN = "booking '{reference}'"

        amount: Decimal
        reference: str
        text: str

    class TreasuryStatementRecorded(LedgerAggregate.Event):
        """The treasury (Kreiskämmerei) gave a statement on the line."""

        text: str
        author: str

    @staticmethod
    def id_for(body: str, year: int, code: str) -> UUID:
        """The id of line `code` in fiscal year `year` of `body`."""
        return record_id("budget-line", body, year, code)

    @classmethod
    def open(
        cls, *, body: str, year: int, code: str, title: str, direction: str, effective: date
    ) -> BudgetLine:
        """Opens a line; the caller has checked the code against the body's pattern."""
        check_year(year)
        if direction not in DIRECTIONS:
            raise RuleViolationError("direction", f"must be one of {', '.join(DIRECTIONS)}")
        if not title.strip():
            raise RuleViolationError("title", "must not be empty")
        return cls.created_by(
            cls.Opened(
                **cls.creation_envelope(cls.id_for(body, year, code)),
                body=body,
                year=year,
                code=code,
                title=title,
                direction=direction,
                effective=effective,
            )
        )

    def set_appropriation(self, amount: Decimal, effective: date) -> None:
        """Sets the appropriation (Ansatz) from `effective` on.

        0.00 is an appropriation (the line is in the budget with nothing planned); a negative
        one is allowed, as adopted budgets have them (an expected refund, a correction line).
        """
        amount = check_amount("amount", amount, signed=True)
        fact = self.AppropriationSet(**self.envelope(), amount=amount, effective=effective)
        self.record_once(fact, check=lambda: self._check_appropriation(amount))

    def _check_appropriation(self, amount: Decimal) -> None:
        """Refuses a positive appropriation on a line with an außerplanmäßige approval."""
        approvals = self.state_at().supplementary  # any approval of the fiscal year counts
        if amount > 0 and any(a.kind == "ausserplanmaessig" for a in approvals):
            raise RuleViolationError(
                "amount",
                "the line already has an außerplanmäßige approval, which is only for a line "
                "with no appropriation that year",
            )

    def approve_supplementary(
        self, *, kind: str, amount: Decimal, resolution: str, cover: str, effective: date
    ) -> None:
        """Records an über-/außerplanmäßige approval after checking it fits the appropriation."""
        if kind not in SUPPLEMENTARY_KINDS:
            raise RuleViolationError("kind", f"must be one of {', '.join(SUPPLEMENTARY_KINDS)}")
        amount = check_amount("amount", amount)
        fact = self.SupplementaryApproved(
            **self.envelope(),
            kind=kind,
            amount=amount,
            resolution=resolution,
            cover=cover,
            effective=effective,
        )
        self.record_once(
            fact, check=lambda: check_supplementary_kind(kind, self.year_appropriation())
        )

    def award_funding(
        self, *, grantor: str, programme: str, amount: Decimal, earmarked: bool, effective: date
    ) -> None:
        """Records funding awarded for the line."""
        if not grantor.strip():
            raise RuleViolationError("grantor", "must not be empty")
        amount = check_amount("amount", amount)
        self.record_once(
            self.FundingAwarded(
                **self.envelope(),
                grantor=grantor,
                programme=programme,
                amount=amount,
                earmarked=earmarked,
                effective=effective,
            )
        )

    def receive_funding(self, *, amount: Decimal, reference: str, effective: date) -> None:
        """Records funding received; its booking reference identifies it on the line."""
        amount = check_amount("amount", amount)
        self.record_once(
            self.FundingReceived(
                **self.envelope(), amount=amount, reference=reference, effective=effective
            )
        )

    def record_commitment(
        self, *, amount: Decimal, reference: str, text: str, effective: date
    ) -> None:
        """Records a commitment against the line."""
        amount = check_amount("amount", amount)
        self.record_once(
            self.CommitmentRecorded(
                **self.envelope(),
                amount=amount,
                reference=reference,
                text=text,
                effective=effective,
            )
        )

    def book_payment(self, *, amount: Decimal, reference: str, text: str, effective: date) -> None:
        """Books a payment; its booking reference identifies it on this line.

        A negative amount is a reversal (Storno) booked under its own reference: the line's
        payments go down by it. The same reference with other values is refused (a
        correction changes them); a booking that was retracted or corrected is not booked
        again by repeating it. A line without appropriation or approval takes bookings too:
        `reconcile` reports them (payment-without-authorisation).
        """
        amount = check_amount("amount", amount, signed=True)
        if not reference.strip():
            raise RuleViolationError("reference", "a booking needs its booking reference")
        self.record_once(
            self.PaymentBooked(
                **self.envelope(),
                amount=amount,
                reference=reference,
                text=text,
                effective=effective,
            )
        )

    def appropriation_change(self, amount: Decimal, effective: date) -> str:
        """How setting `amount` from `effective` relates to what the line holds.

        `standing`: the appropriation standing on `effective` is already `amount` (a budget
        imported again with a new effective date changes nothing); `settled`: an
        appropriation of `amount` was retracted, or corrected away, and stays so; `new`
        otherwise.
        """
        if self.state_at(effective).appropriation == amount:
            return "standing"
        repeat = self.find_repeat(self.AppropriationSet, amount=amount)
        return "settled" if repeat.status == "settled" else "new"

    def year_appropriation(self) -> Decimal | None:
        """The largest appropriation set for the line in its fiscal year, whatever its date."""
        largest: list[Decimal | None] = self.tally("largest appropriation", _none, _add_largest)
        return largest[0]

    def has_booking(self, reference: str) -> bool:
        """Whether a booking with this reference stands on the line."""
        return self.booking(reference) is not None

    def booking(self, reference: str) -> BudgetLine.PaymentBooked | None:
        """The booking standing on the line under `reference` (as corrected), or None."""
        repeats = self._repeats()
        for version in repeats.versions(self.PaymentBooked, ("reference",), (reference,)):
            current = repeats.states(version)[-1]
            if version not in repeats.retracted and current.reference == reference:
                booked: BudgetLine.PaymentBooked = current
                return booked
        return None

    def record_statement(self, *, text: str, author: str, effective: date) -> None:
        """Records the treasury's statement (Stellungnahme der Kämmerei)."""
        if not text.strip():
            raise RuleViolationError("text", "must not be empty")
        self.record_once(
            self.TreasuryStatementRecorded(
                **self.envelope(), text=text, author=author, effective=effective
            )
        )

    def check_fact(self, fact: LedgerAggregate.Event) -> None:
        """A corrected amount must still be a valid amount (signed where the fact allows)."""
        amount = getattr(fact, "amount", None)
        if isinstance(amount, Decimal):
            check_amount("amount", amount, signed=isinstance(fact, SIGNED_FACTS))

    def state_at(self, as_of: date | None = None) -> BudgetLineState:
        """The line at the end of `as_of`."""
        return self.fold(BUDGET_LINE, as_of)


def check_year(year: int) -> None:
    """Refuses a fiscal year outside 1900..2200."""
    if not 1900 <= year <= 2200:
        raise RuleViolationError("year", f"must be a fiscal year between 1900 and 2200, got {year}")


def check_supplementary_kind(kind: str, appropriation: Decimal | None) -> None:
    """außerplanmäßig: no appropriation that year; überplanmäßig: an appropriation exists."""
    has_appropriation = appropriation is not None and appropriation > 0
    if kind == "ausserplanmaessig" and has_appropriation:
        raise RuleViolationError(
            "kind",
            f"an außerplanmäßige approval is for a line with no appropriation that year; "
            f"this line has an appropriation of {appropriation} (use ueberplanmaessig)",
        )
    if kind == "ueberplanmaessig" and not has_appropriation:
        raise RuleViolationError(
            "kind",
            "an überplanmäßige approval is for a line with an appropriation that year; "
            "this line has none (use ausserplanmaessig)",
        )


def _step(state: BudgetLineState, fact: Any) -> BudgetLineState:
    match fact:
        case BudgetLine.Opened():
            return evolve(
                state,
                body=fact.body,
                year=fact.year,
                code=fact.code,
                title=fact.title,
                direction=fact.direction,
            )
        case BudgetLine.AppropriationSet():
            return evolve(state, appropriation=fact.amount)
        case BudgetLine.SupplementaryApproved():
            approval = Approval(fact.kind, fact.amount, fact.resolution, fact.cover, fact.effective)
            return evolve(state, supplementary=(*state.supplementary, approval))
        case BudgetLine.FundingAwarded():
            funding = Funding(
                fact.grantor, fact.programme, fact.amount, fact.earmarked, fact.effective
            )
            return evolve(state, funding=(*state.funding, funding))
        case BudgetLine.FundingReceived():
            return evolve(state, funding_received=state.funding_received + fact.amount)
        case BudgetLine.CommitmentRecorded():
            return evolve(state, commitments=state.commitments + fact.amount)
        case BudgetLine.PaymentBooked():
            return evolve(
                state,
                payments=state.payments + fact.amount,
                payment_count=state.payment_count + 1,
            )
        case BudgetLine.TreasuryStatementRecorded():
            return evolve(state, statements=(*state.statements, fact.text))
    return state


BUDGET_LINE = Fold(BudgetLineState(), _step)
# The facts whose amount may be negative: an appropriation and a booking (a reversal).
SIGNED_FACTS = (BudgetLine.AppropriationSet, BudgetLine.PaymentBooked)


def _none() -> list[Decimal | None]:
    return [None]


def _add_largest(largest: list[Decimal | None], fact: Any) -> None:
    if isinstance(fact, BudgetLine.AppropriationSet) and (
        largest[0] is None or fact.amount > largest[0]
    ):
        largest[0] = fact.amount
