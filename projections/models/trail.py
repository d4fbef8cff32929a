"""The audit trail read model: every event the projector applied; `events` and `head`.

The projector's event table holds what the trail filters by (body, record, type); each
event's stored bytes and chain hash are read from the ledger's own tables, joined by
position in the same snapshot. Anonymous callers do not
see the events of non-public resolutions or of unpublished findings, and references to
non-public resolutions inside other events are redacted; which records those are is
decided by `projections.models.visibility.anonymous_records`, as on every other route.

A page holds at most `limit` events and about MAX_PAGE_BYTES of event data: a page that
stops at the byte budget says so (`truncated`), and the next starts after `next_after`.
Stored states larger than INLINE_STATE are read only once they fit in the page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from sqlalchemy import case, func, select

from ledger.domain.event_types import check_event_type
from ledger.domain.money import format_amount
from projections.engine.decoding import ledger_mapper
from projections.engine.errors import QueryError
from projections.engine.store import ledger_tables
from projections.models.visibility import FLAGGED_RECORDS, anonymous_records

if TYPE_CHECKING:
    from sqlalchemy import RowMapping, Table

    from projections.engine.store import ReadModel, View

MAX_LIMIT = 1000
#: A page stops before the event that would take its data beyond this many bytes (but
#: always holds at least one event): a page of limit=1000 large events stays a few MB.
MAX_PAGE_BYTES = 4 * 1024 * 1024
#: What an entry adds to its event's stored bytes in the JSON (position, hash, key, ...).
ENTRY_OVERHEAD = 512
#: Stored states up to this size come with the page's rows; larger ones are read once
#: they are known to fit (so a page of large events is never all read into memory).
INLINE_STATE = 16 * 1024
#: Event fields that are bookkeeping, not data.
SKIP = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


_MAPPER = ledger_mapper()


def plain(value: Any) -> Any:
    """A value of an event as JSON data: dates ISO, amounts decimal strings."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format_amount(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def event_data(event: Any) -> dict[str, Any]:
    """The data of a domain event (its own fields, without `effective`)."""
    return {
        f.name: plain(getattr(event, f.name))
        for f in dataclasses.fields(event)
        if f.name not in SKIP and f.name != "effective"
    }


def _redact(data: dict[str, Any], public: set[str]) -> dict[str, Any]:
    """Replaces references to resolutions that are not known to be public by None."""
    reference = data.get("resolution")
    if isinstance(reference, str) and reference not in public:
        data = {**data, "resolution": None}
    values = data.get("values")
    if isinstance(values, dict):
        reference = values.get("resolution")
        if isinstance(reference, str) and reference not in public:
            data = {**data, "values": {**values, "resolution": None}}
    return data


def _mentioned(data: dict[str, Any]) -> list[str]:
    values = data.get("values")
    found = [data.get("resolution"), values.get("resolution") if isinstance(values, dict) else None]
    return [r for r in found if isinstance(r, str)]


def events(
    rm: ReadModel,
    *,
    after: int = 0,
    limit: int = 100,
    body: str | None = None,
    type: str | None = None,  # the contract's parameter name
    include_private: bool = False,
    with_data: bool = True,
) -> dict[str, Any]:
    """The audit trail: events after a position, in position order, at most `limit`.

    `type` matches the event type ("Measure.StatusUpdated") or its last part
    ("StatusUpdated"); a type no record stores is refused (QueryError). `next_after` is
    the `after` of the next page; `truncated` is true when the page stopped at
    MAX_PAGE_BYTES before `limit` events. Anonymous callers do
    not see the events of resolutions that are not public or of findings that are not
    published (as the ledger knows them now, whatever their dates), and references to
    resolutions not known to be public are redacted (None). Without `with_data` the
    entries carry no `data` (the trail page does not show it): no event is decoded.
    """
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise QueryError("after", f"must be a position ≥ 0, got {after!r}")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise QueryError("limit", f"must be a whole number 1..{MAX_LIMIT}, got {limit!r}")
    if type is not None and (problem := check_event_type(type)) is not None:
        # A misspelt type would match nothing and look like an empty trail.
        raise QueryError("type", problem)
    with rm.view() as view:
        position = view.position
        if view.schema is None:
            return {"events": [], "next_after": after, "position": position, "truncated": False}
        t = view.schema.events
        stored, chain = ledger_tables(view.conn.dialect.name)
        size = func.length(stored.c.state)
        # The page's byte budget counts the stored bytes either way, so a page holds the
        # same events with and without their data.
        stored_columns = (
            [
                stored.c.topic,
                case((size <= INLINE_STATE, stored.c.state), else_=None).label("state"),
            ]
            if with_data
            else []
        )
        statement = (
            select(t, *stored_columns, size.label("size"), chain.c.hash)
            .join(stored, stored.c.position == t.c.position)
            .join(chain, chain.c.position == t.c.position)
            .where(t.c.position <= position)
        )
        if body is not None:
            statement = statement.where(t.c.body == body)
        if type is not None:
            statement = statement.where(
                (t.c.type == type) | t.c.type.endswith("." + type, autoescape=True)
            )
        chosen: list[RowMapping] = []
        cursor = after
        used = 0
        truncated = False
        while len(chosen) < limit and not truncated:
            wanted = limit - len(chosen)
            rows = list(
                view.conn.execute(
                    statement.where(t.c.position > cursor).order_by(t.c.position).limit(wanted)
                ).mappings()
            )
            if not rows:
                break
            cursor = rows[-1]["position"]
            hidden = set() if include_private else _hidden(view, rows)
            for r in rows:
                if r["entity"] in hidden:
                    continue
                cost = int(r["size"]) + ENTRY_OVERHEAD
                if chosen and used + cost > MAX_PAGE_BYTES:
                    truncated = True
                    break
                used += cost
                chosen.append(r)
        if not with_data:
            out = [_entry(r) for r in chosen]
        else:
            large = _large_states(
                view, stored, [r["position"] for r in chosen if r["state"] is None]
            )
            page = [(r, _data(r, large.get(r["position"]))) for r in chosen]
            if not include_private:
                public = _public(view, page)
                page = [(r, _redact(d, public.get(r["body"] or "", set()))) for r, d in page]
            out = [_entry(row, data) for row, data in page]
    return {
        "events": out,
        "next_after": out[-1]["position"] if out else after,
        "position": position,
        "truncated": truncated,
    }


def _large_states(view: View, stored: Table, positions: list[int]) -> dict[int, bytes]:
    """The stored states at these positions (those too large to come with the rows)."""
    if not positions:
        return {}
    found = view.conn.execute(
        select(stored.c.position, stored.c.state).where(stored.c.position.in_(positions))
    )
    return {p: bytes(state) for p, state in found}


def _data(row: RowMapping, state: bytes | None = None) -> dict[str, Any]:
    event = _MAPPER.to_domain_event(
        StoredEvent(
            originator_id=UUID(row["entity"]),
            originator_version=row["version"],
            topic=row["topic"],
            state=state if state is not None else bytes(row["state"]),
        )
    )
    return event_data(event)


def _entry(row: RowMapping, data: dict[str, Any] | None = None) -> dict[str, Any]:
    entry = {
        "position": row["position"],
        "recorded_at": row["recorded_at"].replace(tzinfo=UTC).isoformat(),
        "effective": row["effective"].isoformat() if row["effective"] else None,
        "body": row["body"],
        "record": row["record"],
        "key": row["key"],
        "version": row["version"],
        "type": row["type"],
        "data": data,
        "hash": bytes(row["hash"]).hex(),
    }
    if data is None:
        del entry["data"]
    return entry


def _hidden(view: View, rows: list[RowMapping]) -> set[str]:
    """Of the records these events belong to: those an anonymous reader may not see
    (non-public resolutions, unpublished findings; see `anonymous_records`)."""
    hidden: set[str] = set()
    for record, model in FLAGGED_RECORDS.items():
        ids = {r["entity"] for r in rows if r["record"] == record}
        if ids:
            hidden |= ids - anonymous_records(view, model, ids=sorted(ids)).keys()
    return hidden


def _public(view: View, page: list[tuple[RowMapping, dict[str, Any]]]) -> dict[str, set[str]]:
    """Of the resolutions the page's events mention: those an anonymous reader may see, by
    body."""
    mentioned: dict[str, set[str]] = {}
    for row, data in page:
        for reference in _mentioned(data):
            mentioned.setdefault(row["body"] or "", set()).add(reference)
    return {
        owner: set(
            anonymous_records(view, "resolution", body=owner, keys=sorted(references)).values()
        )
        for owner, references in mentioned.items()
    }


def head(rm: ReadModel) -> dict[str, Any]:
    """The ledger position the read model reflects, with its chain hash and digest."""
    with rm.view() as view:
        position = view.position
        found = None
        if view.schema is not None and position > 0:
            chain = ledger_tables(view.conn.dialect.name)[1]
            found = view.conn.execute(
                select(chain.c.hash).where(chain.c.position == position)
            ).scalar()
    digest_hash = bytes(found).hex() if found is not None else None
    return {
        "position": position,
        "hash": digest_hash,
        "digest": f"{position}:{digest_hash}" if digest_hash else None,
    }
