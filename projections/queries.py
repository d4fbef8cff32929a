"""The read side's queries as plain functions: what `ledger show` prints and the API serves.

Every query takes keyword-only `as_of` (a date; None: today) and `known_at` (a time; a
bare date means the end of that day UTC; None: now), and returns a JSON-ready document
that says the ledger position it reflects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from projections.engine.axes import axes
from projections.engine.errors import NotFoundError, QueryError
from projections.models.agreement import agreement, agreement_json
from projections.models.annual_report import annual_report, annual_report_csv
from projections.models.bodies import committees_in, get_body, list_bodies
from projections.models.budget import budget, budget_document, fiscal_year, line_rows
from projections.models.certification import certification, get_process, list_processes
from projections.models.findings import findings
from projections.models.reconciliation import reconciliation_of
from projections.models.resolutions import (
    get_resolution,
    list_resolutions,
    public_references,
    resolution_in,
)
from projections.models.trail import events, head
from projections.registry import ReadModel, catch_up

if TYPE_CHECKING:
    from datetime import date, datetime

__all__ = [
    "NotFoundError",
    "QueryError",
    "ReadModel",
    "agreement",
    "agreement_json",
    "annual_report",
    "annual_report_csv",
    "budget",
    "budget_with_reconciliation",
    "catch_up",
    "certification",
    "events",
    "findings",
    "get_body",
    "get_process",
    "get_resolution",
    "head",
    "list_bodies",
    "list_processes",
    "list_resolutions",
    "resolution_with_committees",
]


def resolution_with_committees(
    rm: ReadModel,
    body: str,
    reference: str,
    *,
    as_of: date | str | None = None,
    known_at: datetime | date | str | None = None,
    include_private: bool = False,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`get_resolution` and the body's committees as they stand now (who voted, their
    seats), read in one snapshot: what the resolution page shows."""
    ax = axes(as_of, known_at)
    with rm.view() as view:
        document = resolution_in(view, body, reference, ax, include_private=include_private)
        return document, committees_in(view, body)


def budget_with_reconciliation(
    rm: ReadModel,
    body: str,
    year: int | str,
    *,
    line: str | None = None,
    as_of: date | str | None = None,
    known_at: datetime | date | str | None = None,
    include_private: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`budget` and `reconciliation` (messages in English) of a year or one line, from the
    same rows in one snapshot: what the budget pages show."""
    the_year = fiscal_year(year)
    ax = axes(as_of, known_at)
    with rm.view() as view:
        rows = line_rows(view, body, the_year, ax, line)
        public = None if include_private else public_references(view, body)
        document = budget_document(body, the_year, ax, view.position, rows, public, include_private)
        checked = reconciliation_of(view, body, the_year, ax, rows, include_private, public=public)
    return document, checked
