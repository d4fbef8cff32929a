"""The as-of lookup: per record, the row valid on as_of as known at known_at.

The statements are built once per (table, filters used, columns) with bind parameters and
reused: SQLAlchemy then memoises their cache keys and reuses the compiled SQL, so a query
costs its execution, not the building of an alias and its column collection every time.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    RowMapping,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    or_,
    select,
    true,
)

from projections.engine.axes import Axes

#: Columns a timeline keeps apart from its rows (or checks once and drops).
_BOOKKEEPING = frozenset(
    ["entity", "valid_from", "valid_to", "recorded_from", "recorded_to", "record_key"]
)


class Timeline:
    """One record's rows as known now, ordered by valid_from."""

    __slots__ = ("ends", "memo", "rows", "starts")

    def __init__(self) -> None:
        self.starts: list[date] = []
        self.ends: list[date | None] = []
        self.rows: list[dict[str, Any]] = []
        #: Per row, what a renderer derived from it once (e.g. its JSON text), or None.
        self.memo: list[Any] = []

    def index(self, day: date) -> int | None:
        """The index of the row valid on `day` (None: the record does not exist that day)."""
        i = bisect_right(self.starts, day) - 1
        if i < 0:
            return None
        end = self.ends[i]
        if end is not None and end <= day:
            return None
        return i

    def at(self, day: date) -> dict[str, Any] | None:
        """The row valid on `day` (None: the record does not exist on that day)."""
        i = self.index(day)
        return self.rows[i] if i is not None else None


def shown_now(line: Timeline, flag: str) -> bool:
    """Whether a timeline known now is shown: its last, open row carries `flag` (the rule of
    `projections.models.visibility.anonymous_records`, on a timeline in memory)."""
    return bool(line.rows) and line.ends[-1] is None and line.rows[-1][flag] is True


def timelines(rows: Sequence[RowMapping], built: datetime) -> list[Timeline] | None:
    """Rows ordered by (entity, valid_from) as one timeline per record.

    None when they are not plain timelines as known at `built` (a row recorded after it or
    closed after it, or two rows of a record from the same day): such records go to the
    database.
    """
    out: list[Timeline] = []
    entity = None
    line = Timeline()
    for r in rows:
        if r["recorded_to"] is not None or r["recorded_from"] > built:
            return None
        if r["entity"] != entity:
            entity = r["entity"]
            line = Timeline()
            out.append(line)
        elif line.starts[-1] >= r["valid_from"]:
            return None
        line.starts.append(r["valid_from"])
        line.ends.append(r["valid_to"])
        row = {k: v for k, v in r.items() if k not in _BOOKKEEPING}
        if line.rows:  # values unchanged since the previous row share its objects
            previous = line.rows[-1]
            row = {k: previous[k] if previous.get(k) == v else v for k, v in row.items()}
        line.rows.append(row)
        line.memo.append(None)
    return out


def entity_filters(entities: Table, shape: tuple[bool, bool, bool, bool]) -> list[Any]:
    """The conditions on the record directory (`entities`) of a query's filters, each a bind
    parameter, for those used: shape = (body?, scope?, keys?, ids?)."""
    with_body, with_scope, with_keys, with_ids = shape
    conditions: list[Any] = []
    if with_body:
        conditions.append(entities.c.body == bindparam("body", type_=entities.c.body.type))
    if with_scope:
        conditions.append(entities.c.scope == bindparam("scope", type_=entities.c.scope.type))
    if with_keys:
        conditions.append(entities.c.key.in_(bindparam("keys", expanding=True)))
    if with_ids:
        conditions.append(entities.c.entity.in_(bindparam("ids", expanding=True)))
    return conditions


def entity_params(
    body: str | None,
    scope: str | None,
    keys: Sequence[str] | None,
    ids: Sequence[str] | None,
) -> dict[str, Any]:
    """The values of `entity_filters`' bind parameters, for the filters given."""
    given = {"body": body, "scope": scope}
    params: dict[str, Any] = {name: value for name, value in given.items() if value is not None}
    if keys is not None:
        params["keys"] = list(keys)
    if ids is not None:
        params["ids"] = list(ids)
    return params


#: Prebuilt statements by (table, entities, body?, scope?, keys?, ids?, columns).
_statements: dict[tuple[Any, ...], Select[Any]] = {}
_lock = threading.Lock()


def _statement(
    table: Table,
    entities: Table,
    shape: tuple[bool, bool, bool, bool],
    columns: tuple[str, ...] | None,
    lateral: bool,
) -> Select[Any]:
    key = (table, entities, shape, columns, lateral)
    found = _statements.get(key)
    if found is not None:
        return found
    known = bindparam("known_at", type_=table.c.recorded_from.type)
    as_of = bindparam("as_of", type_=table.c.valid_from.type)
    conditions = [entities.c.model == bindparam("model", type_=entities.c.model.type)]
    conditions.extend(entity_filters(entities, shape))
    inner = table.alias("v")
    known_then = (
        inner.c.entity == entities.c.entity,
        inner.c.valid_from <= as_of,
        inner.c.recorded_from <= known,
        or_(inner.c.recorded_to.is_(None), inner.c.recorded_to > known),
    )
    statement: Select[Any]
    if lateral:
        # PostgreSQL: per record, one backward index scan that yields the row itself.
        row = (
            select(inner)
            .where(*known_then)
            .order_by(inner.c.valid_from.desc())
            .limit(1)
            .lateral("r")
        )
        selected = [row.c[name] for name in columns] if columns is not None else list(row.c)
        statement = (
            select(*selected, entities.c.key.label("record_key"))
            .select_from(entities)
            .join(row, true())
            .where(and_(*conditions), or_(row.c.valid_to.is_(None), row.c.valid_to > as_of))
            .order_by(row.c.id)
        )
    else:
        latest = (
            select(inner.c.id)
            .where(*known_then)
            .order_by(inner.c.valid_from.desc())
            .limit(1)
            .correlate(entities)
            .scalar_subquery()
        )
        chosen = select(latest).where(and_(*conditions))
        columns_read = [table.c[name] for name in columns] if columns is not None else [table]
        statement = (
            select(*columns_read, entities.c.key.label("record_key"))
            .join(entities, entities.c.entity == table.c.entity)
            .where(
                table.c.id.in_(chosen),
                or_(table.c.valid_to.is_(None), table.c.valid_to > as_of),
            )
            .order_by(table.c.id)
        )
    with _lock:
        return _statements.setdefault(key, cast("Select[Any]", statement))


def visible(
    conn: Connection,
    table: Table,
    entities: Table,
    model: str,
    axes: Axes,
    *,
    body: str | None = None,
    scope: str | None = None,
    keys: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
) -> list[RowMapping]:
    """The rows of a model's records at (as_of, known_at): one indexed lookup per record.

    The records are those of `model` in `body`, `scope`, with a key in `keys`, with an
    id in `ids` (each filter only when given). `columns` limits the state columns read
    (default: all of them).

    Per record, the row known at known_at with the greatest valid_from <= as_of; records
    unknown then, or not yet in existence on as_of, have none. Each row also carries the
    record's natural key as `record_key` (a fact may take effect before the event that
    created the record, so the state's own key fields can still be empty).
    """
    shape = (body is not None, scope is not None, keys is not None, ids is not None)
    lateral = conn.dialect.name == "postgresql"
    wanted = tuple(columns) if columns is not None else None
    statement = _statement(table, entities, shape, wanted, lateral)
    params: dict[str, Any] = {
        "model": model,
        "as_of": axes.as_of,
        "known_at": axes.known_at_naive,
        **entity_params(body, scope, keys, ids),
    }
    return list(conn.execute(statement, params).mappings().all())


def known_now(
    conn: Connection,
    table: Table,
    entities: Table,
    model: str,
    now: Axes,
    *,
    body: str,
    scope: str | None = None,
    keys: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
) -> list[RowMapping]:
    """Every row of the records (as in `visible`) still known at `now.known_at`, whatever
    their valid time: per record its timeline, ordered by (entity, valid_from).

    Rows carry `entity`, the four time columns, the state columns (all, or `columns`) and
    `record_key`. A row closed after known_at (a projector clock ahead of ours) is included.
    """
    names_wanted = tuple(columns) if columns is not None else None
    key = ("known_now", table, entities, scope is not None, keys is not None, names_wanted)
    statement = _statements.get(key)
    if statement is None:
        times = ["entity", "valid_from", "valid_to", "recorded_from", "recorded_to"]
        names = [*times, *names_wanted] if names_wanted is not None else None
        conditions = [
            entities.c.model == bindparam("model", type_=entities.c.model.type),
            *entity_filters(entities, (True, scope is not None, keys is not None, False)),
        ]
        known = bindparam("known_at", type_=table.c.recorded_from.type)
        selected = [table.c[name] for name in names] if names is not None else [table]
        built: Select[Any] = (
            select(*selected, entities.c.key.label("record_key"))
            .join(entities, entities.c.entity == table.c.entity)
            .where(
                and_(*conditions),
                or_(table.c.recorded_to.is_(None), table.c.recorded_to > known),
            )
            .order_by(table.c.entity, table.c.valid_from)
        )
        with _lock:
            statement = _statements.setdefault(key, built)
    params: dict[str, Any] = {"model": model, "body": body, "known_at": now.known_at_naive}
    if scope is not None:
        params["scope"] = scope
    if keys is not None:
        params["keys"] = list(keys)
    return list(conn.execute(statement, params).mappings().all())


def records_exist(
    conn: Connection, entities: Table, body: str, probes: Sequence[tuple[str, str | None]]
) -> list[bool]:
    """Per (model, key) probe, whether a record of that model (with that key, if given) of
    the body has been projected: one statement for all of them."""
    shape = ("exist", entities, tuple(key is not None for _, key in probes))
    statement = _statements.get(shape)
    if statement is None:
        checks = []
        for n, (_, key) in enumerate(probes):
            conditions = [
                entities.c.model == bindparam(f"model{n}", type_=entities.c.model.type),
                entities.c.body == bindparam("body", type_=entities.c.body.type),
            ]
            if key is not None:
                conditions.append(entities.c.key == bindparam(f"key{n}", type_=entities.c.key.type))
            checks.append(exists().where(*conditions).label(f"found{n}"))
        built = cast("Select[Any]", select(*checks))
        with _lock:
            statement = _statements.setdefault(shape, built)
    params: dict[str, Any] = {"body": body}
    for n, (model, key) in enumerate(probes):
        params[f"model{n}"] = model
        if key is not None:
            params[f"key{n}"] = key
    row = conn.execute(statement, params).one()
    return [bool(found) for found in row]
