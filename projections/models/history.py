"""The history of one record: its events in version order, as the audit trail shows them.

A record is named as the read model locates it: its model (measure, budget_line, ...),
its scope within the body ("audit-fgk/2015", a fiscal year, or "") and its key. Its
events are read from the ledger's stored events by the record's id (the stored events'
primary key starts with it), each joined by position with the projector's event row and
the chain link, so a page costs the record's events, not the store's.

Anonymous callers get exactly what the anonymous audit trail shows: a resolution or a
finding they may not see is not found (the same answer as an unknown record), and
references to non-public resolutions inside the events are redacted. The entries are
those of `projections.models.trail.events`, built by the same functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from sqlalchemy import func, select

from projections.engine.errors import NotFoundError, QueryError

# The trail's entry and visibility helpers, so that a record's history and the audit
# trail cannot disagree on what an entry holds or on what an anonymous reader sees.
from projections.engine.store import ledger_tables
from projections.models.trail import _data, _entry, _public, _redact
from projections.models.visibility import FLAGS, anonymous_records

if TYPE_CHECKING:
    from sqlalchemy import RowMapping

    from projections.engine.store import ReadModel

#: The record models a history can be asked for (the read model's names).
MODELS: Final = (
    "body",
    "committee",
    "process",
    "resolution",
    "budget_line",
    "agreement",
    "measure",
    "finding",
)
MAX_LIMIT: Final = 1000


def record_history(
    rm: ReadModel,
    body: str,
    model: str,
    key: str,
    *,
    scope: str = "",
    after: int = 0,
    limit: int = 200,
    include_private: bool = False,
) -> dict[str, Any]:
    """The events of one record after version `after` (at most `limit`), in version order.

    Each entry is an audit-trail entry (position, recorded_at, effective, type, data,
    hash, ...). `next_after` is the `after` of the next page, `more` whether there is one.
    """
    if model not in MODELS:
        raise QueryError("record", f"must be one of {', '.join(MODELS)}, got {model!r:.40}")
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise QueryError("after", f"must be a version ≥ 0, got {after!r}")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise QueryError("limit", f"must be a whole number 1..{MAX_LIMIT}, got {limit!r}")
    missing = NotFoundError(f"no {model} '{_name(scope, key)}' of body '{body}' is in the ledger")
    with rm.view() as view:
        view.require_body(body)
        position = view.position
        if view.schema is None:
            raise missing
        e = view.schema.entities
        entity = view.conn.execute(
            select(e.c.entity).where(
                e.c.model == model, e.c.body == body, e.c.scope == scope, e.c.key == key
            )
        ).scalar()
        if entity is None:
            raise missing
        if (
            not include_private
            and model in FLAGS
            and entity not in anonymous_records(view, model, ids=[entity])
        ):
            raise missing
        t = view.schema.events
        dialect = view.conn.dialect.name
        stored, chain = ledger_tables(dialect)
        originator: Any = entity if dialect == "sqlite" else UUID(entity)
        statement = (
            select(
                t,
                stored.c.topic,
                func.length(stored.c.state).label("size"),
                stored.c.state,
                chain.c.hash,
            )
            .join(t, t.c.position == stored.c.position)
            .join(chain, chain.c.position == stored.c.position)
            .where(
                stored.c.originator_id == originator,
                stored.c.originator_version > after,
                stored.c.position <= position,
            )
            .order_by(stored.c.originator_version)
            .limit(limit + 1)
        )
        rows: list[RowMapping] = list(view.conn.execute(statement).mappings())
        more = len(rows) > limit
        rows = rows[:limit]
        page = [(r, _data(r)) for r in rows]
        if not include_private:
            public = _public(view, page)
            page = [(r, _redact(d, public.get(r["body"] or "", set()))) for r, d in page]
    if not page and after == 0:
        raise missing
    entries = [_entry(row, data) for row, data in page]
    return {
        "body": body,
        "record": model,
        "scope": scope,
        "key": key,
        "position": position,
        "events": entries,
        "next_after": entries[-1]["version"] if entries else after,
        "more": more,
    }


def _name(scope: str, key: str) -> str:
    return f"{scope}/{key}" if scope and scope != key else key
