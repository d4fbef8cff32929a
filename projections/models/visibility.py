"""Who may see which records: the one rule every anonymous route and the audit trail apply.

Non-public (nichtöffentliche) resolutions and unpublished findings are not shown to an
anonymous reader; `anonymous_records` decides which records are, from their timelines as
the ledger knows them now.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, cast

from sqlalchemy import Select, Table, bindparam, case, func, or_, select, true

from projections.engine.axes import axes
from projections.engine.remembered import Remembered
from projections.engine.visible import entity_filters, entity_params

if TYPE_CHECKING:
    from projections.engine.store import View

#: Prebuilt statements by (table, entities, flag, body?, scope?, keys?, ids?).
_statements: dict[tuple[Any, ...], Select[Any]] = {}
_lock = threading.Lock()
#: Answers of `anonymous_records`: at one read-model position they cannot change (they are
#: decided as known now, at any date asked), so a page asked again does not scan the records
#: again. At most ANSWERS answers a store, each naming at most ANSWERED_KEYS keys or ids.
ANSWERS: Final = 256
ANSWERED_KEYS: Final = 1000
_answers: Final[Remembered[dict[str, str]]] = Remembered(ANSWERS)


#: The models whose records an anonymous reader may not see, and the state column that
#: says they may: non-public (nichtöffentliche) resolutions and unpublished findings.
FLAGS: Final = {"resolution": "public", "finding": "published"}
#: The same models by the record name the audit trail carries.
FLAGGED_RECORDS: Final = {"Resolution": "resolution", "Finding": "finding"}


def _shown_statement(
    table: Table, entities: Table, flag: str, shape: tuple[bool, bool, bool, bool]
) -> Select[Any]:
    key = ("shown", table, entities, flag, shape)
    found = _statements.get(key)
    if found is not None:
        return found
    known = bindparam("known_at", type_=table.c.recorded_from.type)
    conditions = [
        entities.c.model == bindparam("model", type_=entities.c.model.type),
        # The last row of the timeline known now (the open one), whatever its valid time:
        # a record that only starts after today is decided like any other (finding 7 of
        # issue 21), and a record published after a non-public start is shown.
        table.c.recorded_from <= known,
        or_(table.c.recorded_to.is_(None), table.c.recorded_to > known),
        table.c.valid_to.is_(None),
    ]
    conditions.extend(entity_filters(entities, shape))
    # Shown only when that row carries the flag (a NULL flag is not a yes).
    flagged = case((table.c[flag] == true(), 1), else_=0)
    statement = cast(
        "Select[Any]",
        select(entities.c.entity, entities.c.key)
        .join(table, table.c.entity == entities.c.entity)
        .where(*conditions)
        .group_by(entities.c.entity, entities.c.key)
        .having(func.min(flagged) == 1),
    )
    with _lock:
        return _statements.setdefault(key, statement)


def anonymous_records(
    view: View,
    model: str,
    *,
    body: str | None = None,
    scope: str | None = None,
    keys: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
) -> dict[str, str]:
    """Of a model's records (in `body`, `scope`, with a key in `keys`, an id in `ids`: each
    filter only when given), those an anonymous reader may see, as {entity id: record key}.

    The one decision every anonymous route and the audit trail make: a resolution is
    shown only if it is public, a finding only if it is published, in the last row of its
    timeline as the ledger knows it now (its current standing), whatever that row's valid
    date: a record that starts next year is decided today like any other, and one made
    public after a non-public start is shown. A record with no row known now is not shown.
    A query at past axes must in addition check the flag in the row it shows.
    `model` is one of FLAGS.
    """
    if view.schema is None or (keys is not None and not keys) or (ids is not None and not ids):
        return {}
    wanted = (
        tuple(sorted(set(keys))) if keys is not None else None,
        tuple(sorted(set(ids))) if ids is not None else None,
    )
    question = (model, body, scope, *wanted)
    found = _answers.get(view, question)
    if found is None:
        found = _ask(view, model, body, scope, *wanted)
        if sum(len(w) for w in wanted if w is not None) <= ANSWERED_KEYS:
            _answers.put(view, question, found)
    return dict(found)


def _ask(
    view: View,
    model: str,
    body: str | None,
    scope: str | None,
    keys: tuple[str, ...] | None,
    ids: tuple[str, ...] | None,
) -> dict[str, str]:
    """`anonymous_records` asked of the database."""
    assert view.schema is not None
    shape = (body is not None, scope is not None, keys is not None, ids is not None)
    statement = _shown_statement(
        view.schema.table(model), view.schema.entities, FLAGS[model], shape
    )
    params = {
        "model": model,
        "known_at": axes().known_at_naive,
        **entity_params(body, scope, keys, ids),
    }
    return {row.entity: row.key for row in view.conn.execute(statement, params)}
