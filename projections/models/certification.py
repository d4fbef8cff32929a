"""Read model of certification processes: the certification status at a date and its history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, Date, String

from ledger.domain.certification import (
    PROCESS,
    Certificate,
    CertificationProcess,
    ProcessState,
    certification_status,
)
from projections.engine.axes import axes
from projections.engine.bitemporal import VersionedModel
from projections.engine.documents import day, iso
from projections.engine.errors import NotFoundError
from projections.models.resolutions import public_references, shown_reference

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date, datetime

    from sqlalchemy import RowMapping

    from projections.engine.store import ReadModel


def _columns() -> list[Column[Any]]:
    return [
        Column("body", String),
        Column("process", String),
        Column("programme", String),
        Column("cycle", String),
        Column("kind", String),
        Column("planned_from", Date),
        Column("planned_until", Date),
        Column("partner", String),
        Column("resolution", String),
        Column("started_on", Date),
        Column("contract_on", Date),
        Column("auditor", String),
        Column("workshops", JSON),
        Column("annual_reports", JSON),
        Column("certificates", JSON),
        Column("completed_on", Date),
        Column("abandoned_on", Date),
    ]


def _row(state: ProcessState) -> dict[str, Any]:
    return {
        "body": state.body,
        "process": f"{state.programme}/{state.cycle}",
        "programme": state.programme,
        "cycle": state.cycle,
        "kind": state.kind,
        "planned_from": state.planned_from,
        "planned_until": state.planned_until,
        "partner": state.partner,
        "resolution": state.resolution,
        "started_on": state.started_on,
        "contract_on": state.contract_on,
        "auditor": state.auditor,
        "workshops": [{"kind": k, "held_on": iso(d)} for k, d in state.workshops],
        "annual_reports": list(state.annual_reports),
        "certificates": [
            {
                "valid_from": iso(c.valid_from),
                "valid_until": iso(c.valid_until),
                "ended_on": iso(c.ended_on),
                "withdrawn": c.withdrawn,
            }
            for c in state.certificates
        ],
        "completed_on": state.completed_on,
        "abandoned_on": state.abandoned_on,
    }


PROCESSES = VersionedModel(
    "process",
    CertificationProcess,
    PROCESS,
    _columns,
    _row,
    lambda created: (created.body, "", f"{created.programme}/{created.cycle}"),
)


def _state(row: RowMapping) -> ProcessState:
    """The parts of a process's state that decide the certification status."""
    return ProcessState(
        kind=row["kind"],
        started_on=row["started_on"],
        completed_on=row["completed_on"],
        abandoned_on=row["abandoned_on"],
        certificates=tuple(
            Certificate(
                valid_from=day(c["valid_from"]) or row["started_on"],
                valid_until=day(c["valid_until"]),
                ended_on=day(c["ended_on"]),
                withdrawn=bool(c["withdrawn"]),
            )
            for c in row["certificates"] or []
        ),
    )


def process_status(row: RowMapping) -> str:
    """running, completed or abandoned."""
    if row["abandoned_on"] is not None:
        return "abandoned"
    if row["completed_on"] is not None:
        return "completed"
    return "running"


def process_summary(row: RowMapping) -> dict[str, Any]:
    """A process as a history entry: kind, dates and certificates."""
    return {
        "process": row["process"],
        "kind": row["kind"],
        "status": process_status(row),
        "planned_from": iso(row["planned_from"]),
        "planned_until": iso(row["planned_until"]),
        "started_on": iso(row["started_on"]),
        "completed_on": iso(row["completed_on"]),
        "abandoned_on": iso(row["abandoned_on"]),
        "certificates": list(row["certificates"] or []),
    }


def process_document(row: RowMapping) -> dict[str, Any]:
    """A process with everything recorded about it."""
    return {
        **process_summary(row),
        "programme": row["programme"],
        "cycle": row["cycle"],
        "partner": row["partner"],
        "resolution": row["resolution"],
        "contract_on": iso(row["contract_on"]),
        "auditor": row["auditor"],
        "workshops": list(row["workshops"] or []),
        "annual_reports": list(row["annual_reports"] or []),
    }


def _by_start(rows: Sequence[RowMapping]) -> list[RowMapping]:
    return sorted(rows, key=lambda r: (str(r["started_on"] or ""), str(r["process"])))


def certification(
    rm: ReadModel,
    body: str,
    *,
    as_of: date | str | None = None,
    known_at: datetime | date | str | None = None,
) -> dict[str, Any]:
    """The certification status of a body on as_of, as known at known_at, and its history.

    status: certified (with the certificate that holds), in_certification or
    in_recertification (a process runs), lapsed (a certificate was held before), or
    not_certified.
    """
    ax = axes(as_of, known_at)
    with rm.view() as view:
        view.require_body(body)
        rows = _by_start(view.rows("process", ax, body=body))
        position = view.position
    status, certificate = certification_status([_state(r) for r in rows], ax.as_of)
    return {
        "body": body,
        **ax.header(),
        "position": position,
        "status": status,
        "certificate": (
            {"valid_from": iso(certificate.valid_from), "valid_until": iso(certificate.valid_until)}
            if certificate is not None
            else None
        ),
        "history": [process_summary(r) for r in rows],
    }


def list_processes(
    rm: ReadModel,
    body: str,
    *,
    as_of: date | str | None = None,
    known_at: datetime | date | str | None = None,
) -> dict[str, Any]:
    """The certification processes of a body on as_of, as known at known_at."""
    ax = axes(as_of, known_at)
    with rm.view() as view:
        view.require_body(body)
        rows = _by_start(view.rows("process", ax, body=body))
        position = view.position
    return {
        "body": body,
        **ax.header(),
        "position": position,
        "processes": [process_summary(r) for r in rows],
    }


def get_process(
    rm: ReadModel,
    body: str,
    process: str,
    *,
    as_of: date | str | None = None,
    known_at: datetime | date | str | None = None,
    include_private: bool = False,
) -> dict[str, Any]:
    """One certification process on as_of, as known at known_at ("exists": false before it).

    Without include_private the authorising resolution's reference is None unless that
    resolution is public as it stands now.
    """
    ax = axes(as_of, known_at)
    with rm.view() as view:
        view.require_body(body)
        if not view.known("process", body, process):
            raise NotFoundError(f"no process '{process}' of body '{body}' is in the ledger")
        rows = view.rows("process", ax, body=body, keys=[process])
        reference = rows[0]["resolution"] if rows else None
        public = (
            public_references(view, body, [reference])
            if reference and not include_private
            else set()
        )
        position = view.position
    document: dict[str, Any] = {"body": body, **ax.header(), "position": position}
    if not rows:
        return {**document, "process": process, "exists": False}
    found = process_document(rows[0])
    found["resolution"] = shown_reference(reference, public, include_private)
    return {**document, **found, "exists": True}
