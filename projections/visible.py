"""The as-of lookup: per record, the row valid on as_of as known at known_at.

The statements are built once per (table, filters used, columns) with bind parameters and
reused: SQLAlchemy then memoises their cache keys and reuses the compiled SQL, so a query
costs its execution, not the building of an alias and its column collection every time.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, Table, and_, bindparam, or_, select

from projections.axes import Axes

#: Prebuilt statements by (table, entities, body?, scope?, keys?, ids?, columns).
_statements: dict[tuple[Any, ...], Select[Any]] = {}
_lock = threading.Lock()


def _statement(
    table: Table,
    entities: Table,
    shape: tuple[bool, bool, bool, bool],
    columns: tuple[str, ...] | None,
) -> Select[Any]:
    key = (table, entities, shape, columns)
    found = _statements.get(key)
    if found is not None:
        return found
    with_body, with_scope, with_keys, with_ids = shape
    known = bindparam("known_at", type_=table.c.recorded_from.type)
    as_of = bindparam("as_of", type_=table.c.valid_from.type)
    inner = table.alias("v")
    latest = (
        select(inner.c.id)
        .where(
            inner.c.entity == entities.c.entity,
            inner.c.valid_from <= as_of,
            inner.c.recorded_from <= known,
            or_(inner.c.recorded_to.is_(None), inner.c.recorded_to > known),
        )
        .order_by(inner.c.valid_from.desc())
        .limit(1)
        .correlate(entities)
        .scalar_subquery()
    )
    conditions = [entities.c.model == bindparam("model", type_=entities.c.model.type)]
    if with_body:
        conditions.append(entities.c.body == bindparam("body", type_=entities.c.body.type))
    if with_scope:
        conditions.append(entities.c.scope == bindparam("scope", type_=entities.c.scope.type))
    if with_keys:
        conditions.append(entities.c.key.in_(bindparam("keys", expanding=True)))
    if with_ids:
        conditions.append(entities.c.entity.in_(bindparam("ids", expanding=True)))
    chosen = select(latest).where(and_(*conditions))
    selected = [table.c[name] for name in columns] if columns is not None else [table]
    statement = (
        select(*selected, entities.c.key.label("record_key"))
        .join(entities, entities.c.entity == table.c.entity)
        .where(
            table.c.id.in_(chosen),
            or_(table.c.valid_to.is_(None), table.c.valid_to > as_of),
        )
        .order_by(table.c.id)
    )
    with _lock:
        return _statements.setdefault(key, statement)


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
    statement = _statement(table, entities, shape, tuple(columns) if columns is not None else None)
    params: dict[str, Any] = {
        "model": model,
        "as_of": axes.as_of,
        "known_at": axes.known_at_naive,
    }
    if body is not None:
        params["body"] = body
    if scope is not None:
        params["scope"] = scope
    if keys is not None:
        params["keys"] = list(keys)
    if ids is not None:
        params["ids"] = list(ids)
    return list(conn.execute(statement, params).mappings())


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
            entities.c.body == bindparam("body", type_=entities.c.body.type),
        ]
        if scope is not None:
            conditions.append(entities.c.scope == bindparam("scope", type_=entities.c.scope.type))
        if keys is not None:
            conditions.append(entities.c.key.in_(bindparam("keys", expanding=True)))
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
    return list(conn.execute(statement, params).mappings())
