"""The as-of lookup: per record, the row valid on as_of as known at known_at."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, RowMapping, Table, and_, or_, select

from projections.axes import Axes


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
) -> list[RowMapping]:
    """The rows of a model's records at (as_of, known_at): one indexed lookup per record.

    The records are those of `model` in `body`, `scope`, with a key in `keys`, with an
    id in `ids` (each filter only when given).

    Per record, the row known at known_at with the greatest valid_from <= as_of; records
    unknown then, or not yet in existence on as_of, have none. Each row also carries the
    record's natural key as `record_key` (a fact may take effect before the event that
    created the record, so the state's own key fields can still be empty).
    """
    known = axes.known_at_naive
    inner = table.alias("v")
    latest = (
        select(inner.c.id)
        .where(
            inner.c.entity == entities.c.entity,
            inner.c.valid_from <= axes.as_of,
            inner.c.recorded_from <= known,
            or_(inner.c.recorded_to.is_(None), inner.c.recorded_to > known),
        )
        .order_by(inner.c.valid_from.desc())
        .limit(1)
        .correlate(entities)
        .scalar_subquery()
    )
    conditions = [entities.c.model == model]
    if body is not None:
        conditions.append(entities.c.body == body)
    if scope is not None:
        conditions.append(entities.c.scope == scope)
    if keys is not None:
        conditions.append(entities.c.key.in_(list(keys)))
    if ids is not None:
        conditions.append(entities.c.entity.in_(list(ids)))
    chosen = select(latest).where(and_(*conditions))
    statement = (
        select(table, entities.c.key.label("record_key"))
        .join(entities, entities.c.entity == table.c.entity)
        .where(
            table.c.id.in_(chosen),
            or_(table.c.valid_to.is_(None), table.c.valid_to > axes.as_of),
        )
        .order_by(table.c.id)
    )
    return list(conn.execute(statement).mappings())
