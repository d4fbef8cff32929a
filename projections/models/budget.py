"""Read model of budget lines (Haushaltsstellen); the treasury's `budget` overview.

Per fiscal year and line: appropriation (Ansatz), über- and außerplanmäßige approvals
each with its resolution, funding, commitments, payments, available (appropriation +
approvals) and remaining (available − payments). Amounts are decimal strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, Integer, String, Text

from ledger.domain.budget_line import (
    BUDGET_LINE,
    BudgetLine,
    BudgetLineState,
    available_and_remaining,
)
from ledger.domain.money import format_amount
from projections.engine.axes import axes
from projections.engine.bitemporal import VersionedModel
from projections.engine.columns import WholeNumber
from projections.engine.documents import amount, cents, iso
from projections.engine.errors import NotFoundError, QueryError
from projections.models.resolutions import public_references, shown_reference

if TYPE_CHECKING:
    from datetime import date, datetime

    from sqlalchemy import RowMapping

    from projections.engine.axes import Axes
    from projections.engine.store import ReadModel, View


def _columns() -> list[Column[Any]]:
    return [
        Column("body", String),
        Column("year", Integer),
        Column("code", String),
        Column("title", Text),
        Column("direction", String),
        Column("appropriation", WholeNumber),
        Column("supplementary", JSON),
        Column("approved", WholeNumber),
        Column("funding", JSON),
        Column("funding_awarded", WholeNumber),
        Column("funding_received", WholeNumber),
        Column("commitments", WholeNumber),
        Column("payments", WholeNumber),
        Column("payment_count", Integer),
        Column("statements", JSON),
    ]


def _row(state: BudgetLineState) -> dict[str, Any]:
    return {
        "body": state.body,
        "year": state.year,
        "code": state.code,
        "title": state.title,
        "direction": state.direction,
        "appropriation": cents(state.appropriation) if state.appropriation is not None else None,
        "supplementary": [
            {
                "kind": a.kind,
                "amount": format_amount(a.amount),
                "resolution": a.resolution,
                "cover": a.cover,
                "approved_on": iso(a.approved_on),
            }
            for a in state.supplementary
        ],
        "approved": cents(state.approved),
        "funding": [
            {
                "grantor": f.grantor,
                "programme": f.programme,
                "amount": format_amount(f.amount),
                "earmarked": f.earmarked,
                "awarded_on": iso(f.awarded_on),
            }
            for f in state.funding
        ],
        "funding_awarded": cents(state.funding_awarded),
        "funding_received": cents(state.funding_received),
        "commitments": cents(state.commitments),
        "payments": cents(state.payments),
        "payment_count": state.payment_count,
        "statements": list(state.statements),
    }


BUDGET_LINES = VersionedModel(
    "budget_line",
    BudgetLine,
    BUDGET_LINE,
    _columns,
    _row,
    lambda created: (created.body, str(created.year), created.code),
    # Each adds its amount to a sum no other step reads: a backdated one (a booking
    # exported out of date order) is added to every later version of the line.
    commuting=(
        BudgetLine.CommitmentRecorded,
        BudgetLine.PaymentBooked,
        BudgetLine.FundingReceived,
    ),
)


def line_document(
    row: RowMapping, public: set[str] | None, *, include_private: bool
) -> dict[str, Any]:
    """A budget line as the overview shows it (approvals on non-public resolutions redacted)."""
    available, remaining = available_and_remaining(
        row["appropriation"], row["approved"], row["payments"]
    )
    return {
        "code": row["record_key"],
        "title": row["title"],
        "direction": row["direction"],
        "appropriation": amount(row["appropriation"]),
        "supplementary": [
            {
                **a,
                "resolution": shown_reference(a["resolution"], public or set(), include_private),
            }
            for a in row["supplementary"] or []
        ],
        "approved": amount(row["approved"]),
        "funding": list(row["funding"] or []),
        "funding_awarded": amount(row["funding_awarded"]),
        "funding_received": amount(row["funding_received"]),
        "commitments": amount(row["commitments"]),
        "payments": amount(row["payments"]),
        "payment_count": row["payment_count"],
        "available": amount(available),
        "remaining": amount(remaining),
        "statements": list(row["statements"] or []),
    }


def budget(
    rm: ReadModel,
    body: str,
    year: int | str,
    *,
    line: str | None = None,
    as_of: date | str | None = None,
    known_at: datetime | date | str | None = None,
    include_private: bool = False,
) -> dict[str, Any]:
    """The budget overview of a body's fiscal year (or one line) on as_of, known at known_at."""
    the_year = fiscal_year(year)
    ax = axes(as_of, known_at)
    with rm.view() as view:
        rows = line_rows(view, body, the_year, ax, line)
        mentioned = {a["resolution"] for r in rows for a in r["supplementary"] or []}
        public = None if include_private else public_references(view, body, mentioned)
        position = view.position
    return budget_document(body, the_year, ax, position, rows, public, include_private)


def line_rows(
    view: View, body: str, the_year: int, ax: Axes, line: str | None = None
) -> list[RowMapping]:
    """The rows of a body's budget lines of a year (or of one line) at the axes, by code;
    an unknown body or line is not found."""
    view.require_body(body)
    scope = str(the_year)
    if line is not None and not view.known("budget_line", body, line, scope=scope):
        raise NotFoundError(
            f"no budget line '{line}' in {the_year} of body '{body}' is in the ledger"
        )
    rows = view.rows(
        "budget_line", ax, body=body, scope=scope, keys=[line] if line is not None else None
    )
    return sorted(rows, key=lambda r: str(r["record_key"]))


def budget_document(
    body: str,
    the_year: int,
    ax: Axes,
    position: int,
    rows: list[RowMapping],
    public: set[str] | None,
    include_private: bool,
) -> dict[str, Any]:
    """The budget overview of `line_rows` (`public`: the resolutions an anonymous reader
    may see, at least those the approvals name; None with include_private)."""
    return {
        "body": body,
        "year": the_year,
        **ax.header(),
        "position": position,
        "lines": [line_document(r, public, include_private=include_private) for r in rows],
    }


def fiscal_year(year: int | str) -> int:
    """A fiscal year 1900..2200; anything else is a QueryError naming `year`."""
    try:
        value = int(year)
    except (TypeError, ValueError):
        raise QueryError("year", f"must be a fiscal year such as 2018, got {year!r}") from None
    if not 1900 <= value <= 2200:
        raise QueryError("year", f"must be a fiscal year between 1900 and 2200, got {value}")
    return value
