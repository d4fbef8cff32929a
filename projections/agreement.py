"""Read model of target agreements and their measures; the `agreement` query.

The agreement document nests fields of action → goals → measures, each with the
auditor's findings that concern it (subject goal:CODE or measure:CODE; findings on the
whole process are listed at the top).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Column, Date, Integer, String, Text

from ledger.domain.agreement import AGREEMENT, AgreementState, TargetAgreement
from ledger.domain.measure import MEASURE, STATUSES, Measure, MeasureState
from projections.axes import axes
from projections.bitemporal import VersionedModel
from projections.documents import iso
from projections.errors import NotFoundError
from projections.findings import finding_document, visible_findings
from projections.resolutions import public_references, shown_reference

if TYPE_CHECKING:
    from datetime import date, datetime

    from sqlalchemy import RowMapping

    from projections.store import ReadModel


def _agreement_columns() -> list[Column[Any]]:
    return [
        Column("body", String),
        Column("process", String),
        Column("catalogue", String),
        Column("fields", JSON),
        Column("goals", JSON),
        Column("adopted_by", String),
        Column("adopted_on", Date),
    ]


def _agreement_row(state: AgreementState) -> dict[str, Any]:
    return {
        "body": state.body,
        "process": state.process,
        "catalogue": state.catalogue,
        "fields": [[code, name] for code, name in state.fields],
        "goals": [
            {"code": g.code, "field": g.field, "title": g.title, "dropped": g.dropped}
            for g in state.goals
        ],
        "adopted_by": state.adopted_by,
        "adopted_on": state.adopted_on,
    }


AGREEMENTS = VersionedModel(
    "agreement",
    TargetAgreement,
    AGREEMENT,
    _agreement_columns,
    _agreement_row,
    lambda created: (created.body, created.process, created.process),
)


def _measure_columns() -> list[Column[Any]]:
    return [
        Column("body", String),
        Column("process", String),
        Column("code", String),
        Column("goal", String),
        Column("title", Text),
        Column("responsible", Text),
        Column("period", String),
        Column("status", String),
        Column("progress", Integer),
        Column("note", Text),
        Column("dropped", Boolean),
        Column("added_on", Date),
    ]


def _measure_row(state: MeasureState) -> dict[str, Any]:
    return {
        "body": state.body,
        "process": state.process,
        "code": state.code,
        "goal": state.goal,
        "title": state.title,
        "responsible": state.responsible,
        "period": state.period,
        "status": state.status,
        "progress": state.progress,
        "note": state.note,
        "dropped": state.dropped,
        "added_on": state.added_on,
    }


MEASURES = VersionedModel(
    "measure",
    Measure,
    MEASURE,
    _measure_columns,
    _measure_row,
    lambda created: (created.body, created.process, created.code),
)


def measure_document(row: RowMapping, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """A measure as the agreement document shows it."""
    return {
        "code": row["code"],
        "title": row["title"],
        "status": row["status"],
        "status_label": STATUSES.get(row["status"], row["status"]),
        "progress": row["progress"],
        "note": row["note"],
        "responsible": row["responsible"],
        "period": row["period"],
        "dropped": row["dropped"],
        "added_on": iso(row["added_on"]),
        "findings": findings,
    }


def _code_order(code: str) -> list[Any]:
    """Orders codes such as M1.2.10 after M1.2.9."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in code.replace(".", " ").split()]


def agreement(
    rm: ReadModel,
    body: str,
    process: str,
    *,
    as_of: date | str | None = None,
    known_at: datetime | date | str | None = None,
    include_private: bool = False,
) -> dict[str, Any]:
    """The target agreement of a process on as_of, as known at known_at.

    fields → goals → measures, each measure with code, title, status, progress, note,
    responsible and the findings that concern it. Anonymous callers see only published
    findings.
    """
    ax = axes(as_of, known_at)
    with rm.view() as view:
        view.require_body(body)
        if not (view.known("agreement", body, process) or view.known("process", body, process)):
            raise NotFoundError(f"no process '{process}' of body '{body}' is in the ledger")
        found = view.rows("agreement", ax, body=body, keys=[process])
        measures = view.rows("measure", ax, body=body, scope=process)
        finding_rows = visible_findings(view, ax, body, process, include_private=include_private)
        adopted_by = [found[0]["adopted_by"]] if found and found[0]["adopted_by"] else []
        public = set() if include_private else public_references(view, body, adopted_by)
        position = view.position
    about: dict[str, list[dict[str, Any]]] = {}
    for f in finding_rows:
        about.setdefault(f["subject"], []).append(finding_document(f))
    by_goal: dict[str, list[RowMapping]] = {}
    for m in sorted(measures, key=lambda r: _code_order(str(r["code"]))):
        by_goal.setdefault(m["goal"], []).append(m)
    row = found[0] if found else None
    fields: list[dict[str, Any]] = []
    placed: set[str] = set()
    if row is not None:
        goals = row["goals"] or []
        for code, name in row["fields"] or []:
            field_goals = []
            for g in goals:
                if g["field"] != code:
                    continue
                placed.add(g["code"])
                field_goals.append(
                    {
                        "code": g["code"],
                        "title": g["title"],
                        "dropped": g["dropped"],
                        "findings": about.get(f"goal:{g['code']}", []),
                        "measures": [
                            measure_document(m, about.get(f"measure:{m['code']}", []))
                            for m in by_goal.get(g["code"], [])
                        ],
                    }
                )
            fields.append({"code": code, "name": name, "goals": field_goals})
    unplaced = [
        measure_document(m, about.get(f"measure:{m['code']}", []))
        for goal, rows in by_goal.items()
        if goal not in placed
        for m in rows
    ]
    document: dict[str, Any] = {
        "body": body,
        "process": process,
        **ax.header(),
        "position": position,
        "catalogue": row["catalogue"] if row else None,
        "adopted_by": (
            shown_reference(row["adopted_by"], public, include_private) if row else None
        ),
        "adopted_on": iso(row["adopted_on"]) if row else None,
        "findings": about.get("process", []),
        "fields": fields,
    }
    if unplaced:
        document["unplaced_measures"] = unplaced
    return document
