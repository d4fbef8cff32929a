"""The audit trail read model: every event the projector applied; `events` and `head`.

The projector's event table holds what the trail filters by (body, record, type); each
event's stored bytes and chain hash are read from the ledger's own tables, joined by
position in the same snapshot. Anonymous callers do not
see the events of non-public resolutions or of unpublished findings, and references to
non-public resolutions inside other events are redacted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent
from sqlalchemy import select

from ledger.application import LedgerApplication
from ledger.domain.money import format_amount
from projections.axes import axes
from projections.errors import QueryError
from projections.store import ledger_tables

if TYPE_CHECKING:
    from sqlalchemy import RowMapping

    from projections.store import ReadModel, View

MAX_LIMIT = 1000
#: Event fields that are bookkeeping, not data.
SKIP = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


def ledger_mapper() -> Mapper[UUID]:
    """Decodes stored events exactly as the ledger application encodes them."""
    transcoder = JSONTranscoder()
    # register_transcodings only touches its argument; calling it on a bare instance keeps
    # the read side in step with the write side's transcodings without opening a store.
    LedgerApplication.register_transcodings(object.__new__(LedgerApplication), transcoder)
    return Mapper(transcoder=transcoder)


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
) -> dict[str, Any]:
    """The audit trail: events after a position, in position order, at most `limit`.

    `type` matches the event type ("Measure.StatusUpdated") or its last part
    ("StatusUpdated"). `next_after` is the `after` of the next page. Anonymous callers
    do not see the events of resolutions that are not public or of findings that are not
    published (as they stand now), and references to resolutions not known to be public
    are redacted (None).
    """
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise QueryError("after", f"must be a position ≥ 0, got {after!r}")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise QueryError("limit", f"must be a whole number 1..{MAX_LIMIT}, got {limit!r}")
    with rm.view() as view:
        position = view.position
        if view.schema is None:
            return {"events": [], "next_after": after, "position": position}
        t = view.schema.events
        stored, chain = ledger_tables(view.conn.dialect.name)
        statement = (
            select(t, stored.c.topic, stored.c.state, chain.c.hash)
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
        page: list[tuple[RowMapping, dict[str, Any]]] = []
        cursor = after
        while len(page) < limit:
            wanted = limit - len(page)
            rows = list(
                view.conn.execute(
                    statement.where(t.c.position > cursor).order_by(t.c.position).limit(wanted)
                ).mappings()
            )
            if not rows:
                break
            cursor = rows[-1]["position"]
            hidden = set() if include_private else _hidden(view, rows)
            page.extend((r, _data(r)) for r in rows if r["entity"] not in hidden)
        if not include_private:
            public = _public(view, page)
            page = [(r, _redact(d, public.get(r["body"] or "", set()))) for r, d in page]
    out = [_entry(row, data) for row, data in page]
    return {
        "events": out,
        "next_after": out[-1]["position"] if out else after,
        "position": position,
    }


def _data(row: RowMapping) -> dict[str, Any]:
    event = _MAPPER.to_domain_event(
        StoredEvent(
            originator_id=UUID(row["entity"]),
            originator_version=row["version"],
            topic=row["topic"],
            state=bytes(row["state"]),
        )
    )
    return event_data(event)


def _entry(row: RowMapping, data: dict[str, Any]) -> dict[str, Any]:
    return {
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


def _hidden(view: View, rows: list[RowMapping]) -> set[str]:
    """Of the records these events belong to: the non-public resolutions and unpublished
    findings, as they stand now (looked up for these records only)."""
    now = axes()
    resolutions = [r["entity"] for r in rows if r["record"] == "Resolution"]
    found = [r["entity"] for r in rows if r["record"] == "Finding"]
    hidden = set()
    if resolutions:
        hidden |= {
            r["entity"]
            for r in view.rows("resolution", now, ids=sorted(set(resolutions)))
            if not r["public"]
        }
    if found:
        hidden |= {
            r["entity"]
            for r in view.rows("finding", now, ids=sorted(set(found)))
            if not r["published"]
        }
    return hidden


def _public(view: View, page: list[tuple[RowMapping, dict[str, Any]]]) -> dict[str, set[str]]:
    """Of the resolutions the page's events mention: those public as they stand now, by body."""
    mentioned: dict[str, set[str]] = {}
    for row, data in page:
        for reference in _mentioned(data):
            mentioned.setdefault(row["body"] or "", set()).add(reference)
    return {
        owner: {
            r["reference"]
            for r in view.rows("resolution", axes(), body=owner, keys=sorted(references))
            if r["public"]
        }
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
