"""The audit trail read model: every event as the projector saw it; `events` and `head`.

The projector's event table doubles as the store of each record's facts (rebuilding a
record's timeline reads them instead of scanning the ledger). Anonymous callers do not
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

if TYPE_CHECKING:
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


def _redact(data: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    if data.get("resolution") in hidden:
        data = {**data, "resolution": None}
    values = data.get("values")
    if isinstance(values, dict) and values.get("resolution") in hidden:
        data = {**data, "values": {**values, "resolution": None}}
    return data


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
    ("StatusUpdated"). `next_after` is the `after` of the next page.
    """
    if not isinstance(after, int) or after < 0:
        raise QueryError("after", f"must be a position ≥ 0, got {after!r}")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise QueryError("limit", f"must be a whole number 1..{MAX_LIMIT}, got {limit!r}")
    with rm.view() as view:
        position = view.position
        if view.schema is None:
            return {"events": [], "next_after": after, "position": position}
        t = view.schema.events
        statement = select(t).where(t.c.position > after)
        if body is not None:
            statement = statement.where(t.c.body == body)
        if type is not None:
            statement = statement.where((t.c.type == type) | t.c.type.endswith("." + type))
        hidden_refs: dict[str, set[str]] = {}
        if not include_private:
            now = axes()
            hidden_entities: list[str] = []
            for r in view.rows("resolution", now, body=body):
                if not r["public"]:
                    hidden_entities.append(r["entity"])
            for r in view.rows("finding", now, body=body):
                if not r["published"]:
                    hidden_entities.append(r["entity"])
            if hidden_entities:
                statement = statement.where(t.c.entity.not_in(hidden_entities))
            hidden_refs = _non_public_references(view, body)
        statement = statement.where(t.c.position <= position).order_by(t.c.position)
        rows = list(view.conn.execute(statement.limit(limit)).mappings())
    out = []
    for row in rows:
        event = _MAPPER.to_domain_event(
            StoredEvent(
                originator_id=UUID(row["entity"]),
                originator_version=row["version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
        )
        data = event_data(event)
        if hidden_refs:
            data = _redact(data, hidden_refs.get(row["body"] or "", set()))
        out.append(
            {
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
        )
    return {
        "events": out,
        "next_after": out[-1]["position"] if out else after,
        "position": position,
    }


def _non_public_references(view: View, body: str | None) -> dict[str, set[str]]:
    """References of non-public resolutions (as they stand now), by body."""
    assert view.schema is not None
    e = view.schema.entities
    hidden = {
        r["entity"]: r["reference"]
        for r in view.rows("resolution", axes(), body=body)
        if not r["public"]
    }
    by_body: dict[str, set[str]] = {}
    if hidden:
        found = view.conn.execute(select(e.c.entity, e.c.body).where(e.c.entity.in_(list(hidden))))
        for entity, owner in found:
            by_body.setdefault(str(owner), set()).add(hidden[entity])
    return by_body


def head(rm: ReadModel) -> dict[str, Any]:
    """The ledger position the read model reflects, with its chain hash and digest."""
    with rm.view() as view:
        position = view.position
        found = None
        if view.schema is not None and position > 0:
            t = view.schema.events
            found = view.conn.execute(select(t.c.hash).where(t.c.position == position)).scalar()
    digest_hash = bytes(found).hex() if found is not None else None
    return {
        "position": position,
        "hash": digest_hash,
        "digest": f"{position}:{digest_hash}" if digest_hash else None,
    }
