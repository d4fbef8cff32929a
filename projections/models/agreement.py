"""Read model of target agreements and their measures; the `agreement` query.

The agreement document nests fields of action → goals → measures, each with the
auditor's findings that concern it (subject goal:CODE or measure:CODE; findings on the
whole process are listed at the top).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Column, Date, Integer, String, Text

from ledger.domain.agreement import AGREEMENT, AgreementState, TargetAgreement
from ledger.domain.measure import MEASURE, STATUSES, Measure, MeasureState
from projections.engine.axes import axes
from projections.engine.bitemporal import VersionedModel
from projections.engine.documents import iso
from projections.engine.errors import NotFoundError
from projections.engine.visible import records_exist
from projections.models.findings import finding_document, visible_findings
from projections.models.resolutions import public_references, shown_reference

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence
    from datetime import date, datetime

    from projections.engine.axes import Axes
    from projections.engine.store import ReadModel, View
    from projections.engine.visible import Timeline
    from projections.models.agreement_cache import AgreementCache, AgreementEntry

    #: A row as read from the database (RowMapping) or kept by the cache (dict).
    Row = Mapping[Any, Any]


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


def measure_document(row: Row, findings: list[dict[str, Any]]) -> dict[str, Any]:
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


@lru_cache(maxsize=4096)
def _code_order(code: str) -> list[Any]:
    """Orders codes such as M1.2.10 after M1.2.9."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in code.replace(".", " ").split()]


def _require_process(view: View, body: str, process: str) -> None:
    """Refuses an unknown body, or a process of the body with neither agreement nor record."""
    if view.schema is None:
        view.require_body(body)
        return
    found_body, found_agreement, found_process = records_exist(
        view.conn,
        view.schema.entities,
        body,
        [("body", None), ("agreement", process), ("process", process)],
    )
    if not found_body:
        view.require_body(body)
    if not (found_agreement or found_process):
        raise NotFoundError(f"no process '{process}' of body '{body}' is in the ledger")


def agreement(
    rm: ReadModel,
    body: str,
    process: str,
    *,
    as_of: date | str | None = None,
    known_at: datetime | date | str | None = None,
    include_private: bool = False,
    cache: AgreementCache | None = None,
) -> dict[str, Any]:
    """The target agreement of a process on as_of, as known at known_at.

    fields → goals → measures, each measure with code, title, status, progress, note,
    responsible and the findings that concern it. Anonymous callers see only published
    findings. With a `cache` (see `agreement_cache`), a query known now is answered from the
    process's timelines kept in memory for the read model's current position.
    """
    ax = axes(as_of, known_at)
    if cache is not None and known_at is None:
        # A hit needs no snapshot: the entry is the database's answer at the current
        # position (as in `agreement_json`).
        kept = cache.current(rm, body, process, include_private, ax)
        if kept is not None:
            return _document(
                body, process, ax, kept.position, *kept.at(ax.as_of), kept.public, include_private
            )
    with rm.view() as view:
        entry = (
            cache.entry(view, body, process, include_private, ax)
            if cache is not None and known_at is None
            else None
        )
        position = view.position
        if entry is None:
            _require_process(view, body, process)
            found = view.rows("agreement", ax, body=body, keys=[process])
            row: Row | None = found[0] if found else None
            measures: Sequence[Row] = view.rows("measure", ax, body=body, scope=process)
            finding_rows: Sequence[Row] = visible_findings(
                view, ax, body, process, include_private=include_private, now=known_at is None
            )
            adopted_by = [row["adopted_by"]] if row is not None and row["adopted_by"] else []
            public: Collection[str] = (
                set() if include_private else public_references(view, body, adopted_by)
            )
    if entry is not None:
        row, measures, finding_rows = entry.at(ax.as_of)
        public = entry.public
    return _document(
        body, process, ax, position, row, measures, finding_rows, public, include_private
    )


def _document(
    body: str,
    process: str,
    ax: Axes,
    position: int,
    row: Row | None,
    measures: Sequence[Row],
    finding_rows: Sequence[Row],
    public: Collection[str],
    include_private: bool,
) -> dict[str, Any]:
    """The agreement document from the rows on as_of."""
    about: dict[str, list[dict[str, Any]]] = {}
    for f in finding_rows:
        about.setdefault(f["subject"], []).append(finding_document(f))
    by_goal: dict[str, list[Row]] = {}
    for m in sorted(measures, key=lambda r: _code_order(str(r["code"]))):
        by_goal.setdefault(m["goal"], []).append(m)
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


#: JSON as the API sends it (FastAPI's JSONResponse: UTF-8, no spaces).
_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def agreement_json(
    rm: ReadModel,
    body: str,
    process: str,
    *,
    as_of: date | str | None = None,
    known_at: datetime | date | str | None = None,
    include_private: bool = False,
    cache: AgreementCache | None = None,
) -> tuple[str, int]:
    """The `agreement` document as compact JSON text, and the position it reflects.

    From a cache entry, the text is put together from each row's JSON, rendered once per
    row; the result is the text of `agreement`'s document (same keys, same order).
    """
    ax = axes(as_of, known_at)
    if cache is not None and known_at is None:
        entry = cache.current(rm, body, process, include_private, ax)
        if entry is not None:
            return _entry_json(entry, body, process, ax, entry.position), entry.position
    # A miss: `agreement` asks the cache again in its own snapshot (which counts the miss
    # and builds the entry when it is due) and answers from the entry or the database.
    document = agreement(
        rm,
        body,
        process,
        as_of=as_of,
        known_at=known_at,
        include_private=include_private,
        cache=cache,
    )
    return _dumps(document), int(document["position"])


def _measure_json(line: Timeline, i: int) -> str:
    text = line.memo[i]
    if text is None:
        text = line.memo[i] = _dumps(measure_document(line.rows[i], []))
    return str(text)


def _fields_json(line: Timeline, i: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per field of action of an agreement row: its JSON up to its goals, and per goal its
    code and its JSON up to its findings (rendered once per row)."""
    parts = line.memo[i]
    if parts is None:
        row = line.rows[i]
        goals = row["goals"] or []
        parts = [
            (
                _dumps({"code": code, "name": name, "goals": []})[:-2],
                [
                    (
                        g["code"],
                        _dumps({"code": g["code"], "title": g["title"], "dropped": g["dropped"]})[
                            :-1
                        ]
                        + ',"findings":[',
                    )
                    for g in goals
                    if g["field"] == code
                ],
            )
            for code, name in row["fields"] or []
        ]
        line.memo[i] = parts
    return list(parts)


def _measure_order(entry: AgreementEntry) -> list[Timeline] | None:
    """The entry's measures in document order, when that order is the same on every day
    (each measure keeps one code, no two codes sort alike); else None (sort per query)."""
    if "measure_order" not in entry.memo:
        codes = [{str(r["code"]) for r in t.rows} for t in entry.measures]
        keys = [tuple(_code_order(next(iter(c)))) for c in codes if len(c) == 1]
        order = None
        if len(keys) == len(codes) and len(set(keys)) == len(keys):
            by_key = dict(zip(keys, entry.measures, strict=True))
            order = [by_key[k] for k in sorted(by_key)]
        entry.memo["measure_order"] = order
    found: list[Timeline] | None = entry.memo["measure_order"]
    return found


def _entry_json(entry: AgreementEntry, body: str, process: str, ax: Axes, position: int) -> str:
    """The agreement document's JSON on ax.as_of from a cache entry (see `_document`)."""
    day = ax.as_of
    about: dict[str, list[str]] = {}
    for f in entry.findings_at(day):
        about.setdefault(f["subject"], []).append(_dumps(finding_document(f)))
    order = _measure_order(entry)
    if order is not None:
        chosen = [(t, i) for t in order if (i := t.index(day)) is not None]
    else:  # as `_document` sorts the rows read in the order of their ids
        chosen = [(t, i) for t in entry.measures if (i := t.index(day)) is not None]
        chosen.sort(key=lambda ti: int(ti[0].rows[ti[1]]["id"]))
        chosen.sort(key=lambda ti: _code_order(str(ti[0].rows[ti[1]]["code"])))
    by_goal: dict[str, list[str]] = {}
    for line, i in chosen:
        m = line.rows[i]
        text = _measure_json(line, i)
        concerning = about.get(f"measure:{m['code']}")
        if concerning:  # the rendered measure ends with "findings":[]}
            text = text[:-2] + ",".join(concerning) + "]}"
        by_goal.setdefault(m["goal"], []).append(text)
    agreement_line = entry.agreement
    index = agreement_line.index(day) if agreement_line is not None else None
    row = agreement_line.rows[index] if agreement_line is not None and index is not None else None
    fields: list[str] = []
    placed: set[str] = set()
    if agreement_line is not None and index is not None:
        for field_head, goals in _fields_json(agreement_line, index):
            goal_texts = []
            for code, goal_head in goals:
                placed.add(code)
                goal_texts.append(
                    goal_head
                    + ",".join(about.get(f"goal:{code}", []))
                    + '],"measures":['
                    + ",".join(by_goal.get(code, []))
                    + "]}"
                )
            fields.append(field_head + ",".join(goal_texts) + "]}")
    unplaced = [text for goal, texts in by_goal.items() if goal not in placed for text in texts]
    head = _dumps(
        {
            "body": body,
            "process": process,
            **ax.header(),
            "position": position,
            "catalogue": row["catalogue"] if row else None,
            "adopted_by": (
                shown_reference(row["adopted_by"], entry.public, entry.include_private)
                if row
                else None
            ),
            "adopted_on": iso(row["adopted_on"]) if row else None,
        }
    )
    return (
        head[:-1]
        + ',"findings":['
        + ",".join(about.get("process", []))
        + '],"fields":['
        + ",".join(fields)
        + "]"
        + (',"unplaced_measures":[' + ",".join(unplaced) + "]" if unplaced else "")
        + "}"
    )
