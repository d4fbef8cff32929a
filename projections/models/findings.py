"""Read model of the auditor's findings; the `findings` query."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Column, Date, String, Text

from ledger.domain.finding import FINDING, Finding, FindingState
from projections.engine.axes import Axes, axes
from projections.engine.bitemporal import VersionedModel
from projections.engine.columns import WholeNumber
from projections.engine.documents import iso
from projections.engine.errors import NotFoundError
from projections.engine.visible import known_now, shown_now, timelines
from projections.models.visibility import anonymous_records

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date, datetime

    from projections.engine.store import ReadModel, View


def _columns() -> list[Column[Any]]:
    return [
        Column("body", String),
        Column("process", String),
        Column("number", WholeNumber),
        Column("subject", String),
        Column("kind", String),
        Column("assessment", String),
        Column("text", Text),
        Column("published", Boolean),
        Column("recorded_on", Date),
        Column("answer", Text),
        Column("answered_on", Date),
        Column("closed_on", Date),
        Column("withdrawn_on", Date),
        Column("status", String),
    ]


def _row(state: FindingState) -> dict[str, Any]:
    return {
        "body": state.body,
        "process": state.process,
        "number": state.number,
        "subject": state.subject,
        "kind": state.kind,
        "assessment": state.assessment,
        "text": state.text,
        "published": state.published,
        "recorded_on": state.recorded_on,
        "answer": state.answer,
        "answered_on": state.answered_on,
        "closed_on": state.closed_on,
        "withdrawn_on": state.withdrawn_on,
        "status": state.status,
    }


FINDINGS = VersionedModel(
    "finding",
    Finding,
    FINDING,
    _columns,
    _row,
    lambda created: (created.body, created.process, str(created.number)),
)


def finding_document(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A finding as documents show it."""
    return {
        "process": row["process"],
        "number": row["number"],
        "subject": row["subject"],
        "kind": row["kind"],
        "assessment": row["assessment"],
        "text": row["text"],
        "published": row["published"],
        "status": row["status"],
        "recorded_on": iso(row["recorded_on"]),
        "answer": row["answer"],
        "answered_on": iso(row["answered_on"]),
        "closed_on": iso(row["closed_on"]),
        "withdrawn_on": iso(row["withdrawn_on"]),
    }


def visible_findings(
    view: View,
    ax: Axes,
    body: str,
    process: str | None,
    *,
    include_private: bool,
    now: bool = False,
) -> list[Mapping[Any, Any]]:
    """The findings at the query's axes, by (process, number); anonymous: only published ones.

    Anonymous readers see a finding only if `anonymous_records` shows it (published in
    the last row known now, whatever its dates: the audit trail's rule) and its row at the
    query's axes is published. `now`: ax.known_at is the present moment, so both can be
    read from the findings' timelines as known now, in one statement.
    """
    if not include_private and now and view.schema is not None:
        lines = timelines(
            known_now(
                view.conn,
                view.schema.table("finding"),
                view.schema.entities,
                "finding",
                ax,
                body=body,
                scope=process,
            ),
            ax.known_at_naive,
        )
        if lines is not None:
            # Plain timelines hold exactly the rows known now, so `shown_now` is
            # anonymous_records' decision, taken without a second statement.
            shown = [
                r
                for line in lines
                if shown_now(line, "published") and (r := line.at(ax.as_of)) is not None
            ]
            return sorted(shown, key=lambda r: (str(r["process"]), int(r["number"])))
    rows: list[Mapping[Any, Any]] = list(view.rows("finding", ax, body=body, scope=process))
    if not include_private:
        shown_ids = anonymous_records(view, "finding", body=body, scope=process)
        rows = [r for r in rows if r["published"] and r["entity"] in shown_ids]
    return sorted(rows, key=lambda r: (str(r["process"]), int(r["number"])))


def findings(
    rm: ReadModel,
    body: str,
    *,
    process: str | None = None,
    as_of: date | str | None = None,
    known_at: datetime | date | str | None = None,
    include_private: bool = False,
) -> dict[str, Any]:
    """The auditor's findings of a body (or one process) on as_of, as known at known_at."""
    ax = axes(as_of, known_at)
    with rm.view() as view:
        view.require_body(body)
        if process is not None and not (
            view.known("process", body, process) or view.known("agreement", body, process)
        ):
            raise NotFoundError(f"no process '{process}' of body '{body}' is in the ledger")
        rows = visible_findings(
            view, ax, body, process, include_private=include_private, now=known_at is None
        )
        position = view.position
    return {
        "body": body,
        "process": process,
        **ax.header(),
        "position": position,
        "findings": [finding_document(r) for r in rows],
    }
