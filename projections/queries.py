"""The read side's queries as plain functions: what `ledger show` prints and the API serves.

Every query takes keyword-only `as_of` (a date; None: today) and `known_at` (a time; a
bare date means the end of that day UTC; None: now), and returns a JSON-ready document
that says the ledger position it reflects.
"""

from __future__ import annotations

from projections.engine.errors import NotFoundError, QueryError
from projections.models.agreement import agreement, agreement_json
from projections.models.annual_report import annual_report, annual_report_csv
from projections.models.bodies import get_body, list_bodies
from projections.models.budget import budget
from projections.models.certification import certification, get_process, list_processes
from projections.models.findings import findings
from projections.models.resolutions import get_resolution, list_resolutions
from projections.models.trail import events, head
from projections.registry import ReadModel, catch_up

__all__ = [
    "NotFoundError",
    "QueryError",
    "ReadModel",
    "agreement",
    "agreement_json",
    "annual_report",
    "annual_report_csv",
    "budget",
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
]
