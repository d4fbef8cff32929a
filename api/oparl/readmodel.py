"""What the OParl routes read: a body's bodies, committees and resolutions with their history.

OParl needs, beyond the state as it stands, when each object was created and last
modified (transaction time) and which objects were deleted (retracted), so this reads every
row of a body's records as the read model keeps them, whatever their transaction time: the
rows still open are the record as known now, the closed ones its past. A record whose rows
are all closed has been retracted: OParl shows it as `deleted: true`. A vote or decision
that is in a closed row of its resolution and in no open one was retracted on its own.

Anonymous readers see a resolution only when `projections.models.visibility.anonymous_records` says
so (public in every row known now), as on `/v1`; a retracted resolution, which has no row
known now, only when every row it ever had was public.

The documents are built once per read-model position and kept (a few per process), so that
paging through a long list costs one read of the body, not one per page.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from projections.engine.store import View
from projections.models.visibility import anonymous_records
from projections.queries import ReadModel

#: Snapshots kept per read model (a position with and without a token is two).
KEPT = 4


@dataclass
class Record:
    """One record: its state as known now (None: retracted), its history, its times."""

    key: str
    current: dict[str, Any] | None
    rows: list[dict[str, Any]]
    created: datetime
    modified: datetime

    @property
    def deleted(self) -> bool:
        """Whether the record was retracted (no row is known now)."""
        return self.current is None


@dataclass(frozen=True)
class Tally:
    """A committee's vote or decision on a resolution in a meeting, as the read model has it."""

    reference: str
    committee: str
    day: date
    outcome: str | None
    wording: str
    counts: dict[str, int]
    created: datetime
    modified: datetime
    deleted: bool


@dataclass
class BodyData:
    """One body with its committees, resolutions and their votes and decisions."""

    body: Record
    committees: dict[str, Record] = field(default_factory=dict)
    resolutions: dict[str, Record] = field(default_factory=dict)
    tallies: list[Tally] = field(default_factory=list)


@dataclass
class Snapshot:
    """Every body as one reader may see it, at one read-model position."""

    position: int
    bodies: dict[str, BodyData] = field(default_factory=dict)


#: Per read model: (generation, position, private) -> Snapshot, least recently used first.
_kept: weakref.WeakKeyDictionary[ReadModel, OrderedDict[tuple[int | None, int, bool], Snapshot]]
_kept = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def snapshot(rm: ReadModel, private: bool) -> Snapshot:
    """The bodies as the read model holds them now, for a reader with or without a token."""
    with rm.view() as view:
        generation = view.schema.generation if view.schema is not None else None
        key = (generation, view.position, private)
        with _lock:
            kept = _kept.setdefault(rm, OrderedDict())
            found = kept.get(key)
            if found is not None:
                kept.move_to_end(key)
                return found
        built = _build(view, private)
    with _lock:
        kept[key] = built
        while len(kept) > KEPT:
            kept.popitem(last=False)
    return built


def _build(view: View, private: bool) -> Snapshot:
    out = Snapshot(view.position)
    if view.schema is None:
        return out
    for slug, body in _records(view, "body", None).items():
        data = BodyData(body)
        data.committees = _records(view, "committee", slug)
        resolutions = _records(view, "resolution", slug)
        if not private:
            shown = set(anonymous_records(view, "resolution", body=slug).values())
            resolutions = {
                k: r
                for k, r in resolutions.items()
                if (k in shown and r.current is not None and r.current.get("public"))
                or (r.deleted and all(row.get("public") for row in r.rows))
            }
        data.resolutions = resolutions
        data.tallies = [t for r in resolutions.values() for t in _tallies(r)]
        out.bodies[slug] = data
    return out


def _records(view: View, model: str, body: str | None) -> dict[str, Record]:
    """Every record of a model (of a body) with all its rows, by natural key."""
    assert view.schema is not None
    table = view.schema.table(model)
    entities = view.schema.entities
    statement = (
        select(table, entities.c.key.label("record_key"))
        .join(entities, entities.c.entity == table.c.entity)
        .where(entities.c.model == model)
        .order_by(table.c.entity, table.c.recorded_from, table.c.valid_from)
    )
    if body is not None:
        statement = statement.where(entities.c.body == body)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in view.conn.execute(statement).mappings():
        grouped.setdefault(str(row["record_key"]), []).append(dict(row))
    out = {}
    for key, rows in grouped.items():
        open_rows = [r for r in rows if r["recorded_to"] is None]
        current = max(open_rows, key=lambda r: r["valid_from"]) if open_rows else None
        times = [r["recorded_from"] for r in rows]
        times += [r["recorded_to"] for r in rows if r["recorded_to"] is not None]
        out[key] = Record(key, current, rows, _utc(min(times)), _utc(max(times)))
    return out


def _tallies(record: Record) -> list[Tally]:
    """The votes and decisions a resolution has had, each with its times; retracted ones
    (in no row known now, or all of the resolution retracted) as deleted."""
    seen: dict[tuple[str, str], tuple[dict[str, Any], datetime]] = {}
    for row in record.rows:
        for entry in _entries(row):
            key = (str(entry["committee"]), str(entry["day"]))
            first = seen.get(key)
            at = _utc(row["recorded_from"])
            if first is None or at < first[1]:
                seen[key] = (entry, at)
    standing = {
        (str(e["committee"]), str(e["day"])): e
        for e in (_entries(record.current) if record.current else [])
    }
    out = []
    for key, (entry, created) in seen.items():
        latest = standing.get(key, entry)
        out.append(
            Tally(
                reference=record.key,
                committee=key[0],
                day=date.fromisoformat(key[1]),
                outcome=latest.get("outcome"),
                wording=str(latest.get("wording") or ""),
                counts={
                    n: int(latest[n])
                    for n in ("yes", "no", "abstentions", "recused")
                    if isinstance(latest.get(n), int)
                },
                created=created,
                modified=record.modified,
                deleted=key not in standing,
            )
        )
    return out


def _entries(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A resolution row's votes and decisions, each with its meeting date as `day`."""
    out = []
    for name in ("votes", "decisions"):
        for entry in row.get(name) or []:
            if not isinstance(entry, dict) or "committee" not in entry:
                continue
            day = entry.get("meeting_date") or entry.get("effective") or entry.get("date")
            if isinstance(day, str) and len(day) >= 10:
                out.append({**entry, "day": day[:10]})
    return out


def _utc(moment: datetime) -> datetime:
    """A read-model time (naive UTC) as an aware one."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
