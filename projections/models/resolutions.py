"""Read model of resolutions, their votes and decisions; `list_resolutions`, `get_resolution`.

A vote states all four counts; a decision states what its protocol states, and a count it
does not state is null in the documents (unknown, never 0). `source` says where the
proposal (null: not said), a vote or a decision (only when said) was taken from, e.g. an
OParl id URL.

Non-public (nichtöffentliche) resolutions are shown only with include_private; without
it they are indistinguishable from unknown ones, and references to them elsewhere
(approvals, adoptions) are redacted. Whether a resolution may be shown is decided by
`projections.models.visibility.anonymous_records` (public in its last row known now, whatever its
dates), and the row shown must be public at the query's axes too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Column, Date, Integer, String, Text, or_, select

from ledger.domain.resolution import RESOLUTION, Resolution, ResolutionState
from projections.engine.axes import axes, parse_as_of
from projections.engine.bitemporal import VersionedModel
from projections.engine.columns import WholeNumber
from projections.engine.documents import amount, cents, iso
from projections.engine.errors import NotFoundError, QueryError
from projections.engine.visible import visible
from projections.models.visibility import anonymous_records

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import date, datetime

    from sqlalchemy import RowMapping

    from projections.engine.axes import Axes
    from projections.engine.store import ReadModel, View


def _columns() -> list[Column[Any]]:
    return [
        Column("reference", String),
        Column("title", Text),
        Column("committee", String),
        Column("submitter", Text),
        Column("public", Boolean),
        Column("items", JSON),
        Column("financial_effect", WholeNumber),
        Column("year", Integer),
        Column("line", String),
        Column("proposed_on", Date),
        Column("votes", JSON),
        Column("executed_on", Date),
        Column("amendments", JSON),
        Column("revoked_on", Date),
        Column("status", String),
        Column("decided_on", Date),
        Column("decisions", JSON),
        Column("source", Text),
    ]


def _sourced(source: str | None) -> dict[str, str]:
    """A vote's or decision's source as its entry carries it: only when one was recorded
    (entries of votes recorded without one read as before sources existed)."""
    return {"source": source} if source is not None else {}


def _row(state: ResolutionState) -> dict[str, Any]:
    return {
        "reference": state.reference,
        "title": state.title,
        "committee": state.committee,
        "submitter": state.submitter,
        "public": state.public,
        "items": list(state.items),
        "financial_effect": (
            cents(state.financial_effect) if state.financial_effect is not None else None
        ),
        "year": state.year,
        "line": state.line,
        "proposed_on": state.proposed_on,
        "votes": [
            {
                "committee": v.committee,
                "meeting_date": iso(v.meeting_date),
                "yes": v.yes,
                "no": v.no,
                "abstentions": v.abstentions,
                "recused": v.recused,
                "outcome": v.outcome,
                **_sourced(v.source),
            }
            for v in state.votes
        ],
        "executed_on": state.executed_on,
        "amendments": list(state.amendments),
        "revoked_on": state.revoked_on,
        "status": state.status,
        "decided_on": state.decided_on or state.proposed_on,
        "decisions": [
            {
                "committee": d.committee,
                "meeting_date": iso(d.meeting_date),
                "outcome": d.outcome,
                "wording": d.wording,
                "yes": d.yes,
                "no": d.no,
                "abstentions": d.abstentions,
                "recused": d.recused,
                **_sourced(d.source),
            }
            for d in state.decisions
        ],
        "source": state.source,
    }


RESOLUTIONS = VersionedModel(
    "resolution",
    Resolution,
    RESOLUTION,
    _columns,
    _row,
    lambda created: (created.body, "", created.reference),
)


def public_references(
    view: View, body: str | None, references: Collection[str] | None = None
) -> set[str]:
    """References of the resolutions (of those given) an anonymous reader may see: public in
    their last row known now, whatever their dates (see `anonymous_records`)."""
    keys = sorted(references) if references is not None else None
    if keys == []:
        return set()
    if view.schema is None:
        return set()
    return set(anonymous_records(view, "resolution", body=body, keys=keys).values())


def shown_reference(
    reference: str | None, public: Collection[str], include_private: bool
) -> str | None:
    """A resolution reference as a caller may see it (None: redacted)."""
    if reference is None or include_private or reference in public:
        return reference
    return None


#: The state columns a list entry shows (`resolution_summary`), without and with tallies.
LISTED: tuple[str, ...] = (
    "reference",
    "title",
    "committee",
    "public",
    "status",
    "proposed_on",
    "decided_on",
    "executed_on",
    "revoked_on",
)
TALLIES: tuple[str, ...] = ("votes", "decisions")


def resolution_summary(row: RowMapping, *, with_tallies: bool = True) -> dict[str, Any]:
    """A resolution as a list entry, with its votes and decisions (what `ledger show
    resolutions` prints as JSON: the counts a decision does not state are null); without
    `with_tallies`, only the row's LISTED columns."""
    summary = {
        "reference": row["reference"],
        "title": row["title"],
        "committee": row["committee"],
        "public": row["public"],
        "status": row["status"],
        "proposed_on": iso(row["proposed_on"]),
        "decided_on": iso(row["decided_on"]),
        "executed_on": iso(row["executed_on"]),
        "revoked_on": iso(row["revoked_on"]),
    }
    if with_tallies:
        summary["votes"] = list(row["votes"] or [])
        summary["decisions"] = list(row["decisions"] or [])
    return summary


def resolution_document(row: RowMapping) -> dict[str, Any]:
    """A resolution with its items, financial effect, votes and decisions."""
    effect = row["financial_effect"]
    return {
        **resolution_summary(row),
        "submitter": row["submitter"],
        "items": list(row["items"] or []),
        "financial_effect": (
            {"amount": amount(effect), "year": row["year"], "line": row["line"]}
            if effect is not None
            else None
        ),
        "amendments": list(row["amendments"] or []),
        "source": row["source"],
    }


def _visible(view: View, rows: list[RowMapping], body: str, include_private: bool) -> list[Any]:
    if include_private:
        return rows
    public = public_references(view, body)
    return [r for r in rows if r["public"] and r["reference"] in public]


def list_resolutions(
    rm: ReadModel,
    body: str,
    *,
    committee: str | None = None,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    as_of: date | str | None = None,
    known_at: datetime | date | str | None = None,
    include_private: bool = False,
    with_tallies: bool = True,
) -> dict[str, Any]:
    """The resolutions of a body on as_of, as known at known_at, by decision date.

    date_from / date_to (inclusive) filter on the decision date: the meeting date of the
    last vote or decision stating an outcome (in valid time), else the proposal date.
    Only the columns an entry shows are read; without `with_tallies` the entries carry no
    votes and decisions (the resolutions page does not show them).
    """
    ax = axes(as_of, known_at)
    start = _bound("date_from", date_from)
    end = _bound("date_to", date_to)
    if start is not None and end is not None and start > end:
        raise QueryError("date_to", f"{end} is before date_from {start}")
    with rm.view() as view:
        view.require_body(body)
        listed = (*LISTED, *TALLIES) if with_tallies else LISTED
        found = (
            visible(
                view.conn,
                view.schema.table("resolution"),
                view.schema.entities,
                "resolution",
                ax,
                body=body,
                columns=listed,
            )
            if view.schema is not None
            else []
        )
        rows = _visible(view, found, body, include_private)
        position = view.position
    selected = [
        r
        for r in rows
        if (committee is None or r["committee"] == committee)
        and (start is None or (r["decided_on"] is not None and r["decided_on"] >= start))
        and (end is None or (r["decided_on"] is not None and r["decided_on"] <= end))
    ]
    selected.sort(key=lambda r: (str(r["decided_on"] or ""), str(r["reference"])))
    return {
        "body": body,
        **ax.header(),
        "position": position,
        "resolutions": [resolution_summary(r, with_tallies=with_tallies) for r in selected],
    }


def _bound(name: str, value: date | str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_as_of(value)
    except QueryError:
        raise QueryError(name, f"must be a date YYYY-MM-DD, got {value!r}") from None


def _known_at(view: View, body: str, reference: str, known_at: datetime) -> bool:
    """Whether the resolution has a row, at any valid date, as known at `known_at`."""
    assert view.schema is not None  # view.known found the record
    table = view.schema.table("resolution")
    entities = view.schema.entities
    statement = (
        select(table.c.entity)
        .join(entities, entities.c.entity == table.c.entity)
        .where(
            entities.c.model == "resolution",
            entities.c.body == body,
            entities.c.key == reference,
            table.c.recorded_from <= known_at,
            or_(table.c.recorded_to.is_(None), table.c.recorded_to > known_at),
        )
        .limit(1)
    )
    return view.conn.execute(statement).first() is not None


def get_resolution(
    rm: ReadModel,
    body: str,
    reference: str,
    *,
    as_of: date | str | None = None,
    known_at: datetime | date | str | None = None,
    include_private: bool = False,
) -> dict[str, Any]:
    """One resolution on as_of, as known at known_at ("exists": false before its proposal;
    not found when no row of it is known at known_at: retracted as a whole, or recorded
    later, for token holders and anonymous readers alike).

    Without include_private, a resolution is found only if `anonymous_records` shows it
    and its row at the query's axes (if any) is public; any other is not found, like an
    unknown reference. A non-public and an unknown reference run the same statements
    (body, decision, rows), so the two 404s cost the same work (no timing oracle).
    """
    ax = axes(as_of, known_at)
    with rm.view() as view:
        return resolution_in(view, body, reference, ax, include_private=include_private)


def resolution_in(
    view: View, body: str, reference: str, ax: Axes, *, include_private: bool
) -> dict[str, Any]:
    """`get_resolution` inside a snapshot a caller holds (a page reads more in it)."""
    missing = NotFoundError(f"no resolution '{reference}' of body '{body}' is in the ledger")
    view.require_body(body)
    if include_private:
        shown = view.known("resolution", body, reference)
    else:
        found = anonymous_records(view, "resolution", body=body, keys=[reference])
        shown = reference in found.values()
    # Read whatever was decided, so that every reference costs the same statements.
    rows = view.rows("resolution", ax, body=body, keys=[reference])
    if shown and not rows:
        # No row at as_of: before its proposal ("exists": false), or no row at all as
        # known at known_at (retracted as a whole, or not yet recorded): not found. The
        # reference is one the caller may see, so whether it was recorded by then is
        # public (the audit trail shows it).
        shown = _known_at(view, body, reference, ax.known_at_naive)
    position = view.position
    if not shown or (rows and not include_private and not rows[0]["public"]):
        raise missing
    document: dict[str, Any] = {"body": body, **ax.header(), "position": position}
    if not rows:
        return {**document, "reference": reference, "exists": False}
    return {**document, **resolution_document(rows[0]), "exists": True}
