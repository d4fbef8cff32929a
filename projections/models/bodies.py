"""Read model of bodies and their committees; the `list_bodies` and `get_body` queries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Column, String

from ledger.domain.body import BODY, Body, BodyState
from ledger.domain.committee import COMMITTEE, Committee, CommitteeState
from projections.engine.axes import axes
from projections.engine.bitemporal import VersionedModel
from projections.engine.columns import WholeNumber
from projections.engine.remembered import Remembered
from projections.models.certification import process_summary

if TYPE_CHECKING:
    from projections.engine.axes import Axes
    from projections.engine.store import ReadModel, View


def _body_columns() -> list[Column[Any]]:
    return [
        Column("slug", String),
        Column("name", String),
        Column("land", String),
        Column("line_pattern", String),
        Column("majority_rule", String),
    ]


def _body_row(state: BodyState) -> dict[str, Any]:
    return {
        "slug": state.slug,
        "name": state.name,
        "land": state.land,
        "line_pattern": state.line_pattern,
        "majority_rule": state.majority_rule,
    }


BODIES = VersionedModel(
    "body",
    Body,
    BODY,
    _body_columns,
    _body_row,
    lambda created: (created.slug, "", created.slug),
)


def _committee_columns() -> list[Column[Any]]:
    return [
        Column("body", String),
        Column("slug", String),
        Column("name", String),
        Column("seats", WholeNumber),
    ]


def _committee_row(state: CommitteeState) -> dict[str, Any]:
    return {"body": state.body, "slug": state.slug, "name": state.name, "seats": state.seats}


COMMITTEES = VersionedModel(
    "committee",
    Committee,
    COMMITTEE,
    _committee_columns,
    _committee_row,
    lambda created: (created.body, "", created.slug),
)


#: The list of bodies as it stands today, per store and position (the start page's).
_listed: Final[Remembered[list[dict[str, Any]]]] = Remembered(4)


def list_bodies(rm: ReadModel) -> dict[str, Any]:
    """Every body as it stands now: {"bodies": [{"slug", "name", "land"}], "position"}."""
    now = axes()
    with rm.view() as view:
        # Known now at one position, the list changes only with the date (a body may start
        # later than it was recorded).
        bodies = _listed.get(view, now.as_of)
        if bodies is None:
            rows = view.rows("body", now)
            bodies = [{"slug": r["slug"], "name": r["name"], "land": r["land"]} for r in rows]
            bodies.sort(key=lambda b: b["slug"])
            _listed.put(view, now.as_of, bodies)
        position = view.position
    return {"bodies": [dict(b) for b in bodies], "position": position}


def get_body(rm: ReadModel, body: str) -> dict[str, Any]:
    """A body as it stands now, with its committees, certification processes and the fiscal
    years (Haushaltsjahre) of its budget lines."""
    now = axes()
    with rm.view() as view:
        view.require_body(body)
        found = view.rows("body", now, keys=[body])
        committees = committees_in(view, body, now)
        processes = view.rows("process", now, body=body)
        budget_years = sorted(int(s) for s in view.scopes("budget_line", body) if s.isdigit())
        position = view.position
    row = found[0] if found else None
    return {
        "body": body,
        "name": row["name"] if row else None,
        "land": row["land"] if row else None,
        "majority_rule": row["majority_rule"] if row else None,
        "line_pattern": row["line_pattern"] if row else None,
        "committees": committees,
        "processes": [process_summary(p) for p in sorted(processes, key=_started)],
        "budget_years": budget_years,
        "position": position,
    }


def committees_in(view: View, body: str, now: Axes | None = None) -> list[dict[str, Any]]:
    """A body's committees as they stand now (slug, name, seats), by slug, in a snapshot."""
    rows = view.rows("committee", now or axes(), body=body)
    return sorted(
        ({"committee": c["record_key"], "name": c["name"], "seats": c["seats"]} for c in rows),
        key=lambda c: str(c["committee"]),
    )


def _started(row: Any) -> tuple[str, str]:
    return (str(row["started_on"] or ""), str(row["process"]))
