"""The verifiable log as the API reads it: checkpoints and RFC 9162 proofs, from the ledger's
own tree and checkpoint tables (never written here), in the read model's snapshot.

The ledger keeps the tree in `ledger_tree` (one row per leaf: the leaf hash and the nodes its
append completed) and the signed checkpoints in `ledger_checkpoint`; see ledger.store.tree.
Checkpoints and consistency proofs are public. An inclusion proof names one event, so an
anonymous caller gets it only for an event the audit trail shows him: not for an event of a
non-public resolution or an unpublished finding (`projections.models.visibility.anonymous_records`,
the rule of every route), nor for one the read model has not projected yet (404, as for the
record itself). The position each answer reports (X-Ledger-Position) is the tree's last
leaf's: the ledger position the tree, and so the proof, reflects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    LargeBinary,
    MetaData,
    Table,
    Text,
    select,
)

from ledger.store.tree import (
    CHECKPOINT_TABLE,
    GROUP,
    TREE_TABLE,
    group_leaves,
    leaf_in_group,
    unpack_positions,
)
from ledger.store.url import POSTGRES_SCHEMA
from ledger.tlog.merkle import LeafRowReader, NodeId
from ledger.tlog.note import b64encode
from ledger.tlog.proofs import (
    ProofRequestError,
    check_consistency,
    check_inclusion,
    check_size,
    consistency_document,
    inclusion_document,
)
from projections.engine.errors import NotFoundError, QueryError
from projections.engine.store import ReadModel, View
from projections.models.visibility import FLAGGED_RECORDS, anonymous_records

MAX_CHECKPOINTS: Final = 1000

_TABLES: dict[str, tuple[Table, Table]] = {}
for _dialect, _schema in (("sqlite", None), ("postgresql", POSTGRES_SCHEMA)):
    _metadata = MetaData(schema=_schema)
    _TABLES[_dialect] = (
        Table(
            TREE_TABLE,
            _metadata,
            Column("grp", BigInteger, primary_key=True),
            Column("first_position", BigInteger, nullable=False),
            Column("positions", LargeBinary, nullable=False),
            Column("hashes", LargeBinary, nullable=False),
        ),
        Table(
            CHECKPOINT_TABLE,
            _metadata,
            Column("tree_size", BigInteger, primary_key=True),
            Column("root", LargeBinary, nullable=False),
            Column("signed_at", Text, nullable=False),
            Column("note", Text, nullable=False),
        ),
    )


def log_tables(dialect: str) -> tuple[Table, Table]:
    """The ledger's (tree, checkpoint history) tables in a dialect."""
    return _TABLES[dialect]


class _Nodes:
    """A NodeReader over the tree table, through the snapshot's connection."""

    def __init__(self, conn: Connection, tree: Table) -> None:
        self._conn = conn
        self._tree = tree
        self._reader = LeafRowReader(self._rows)

    def _rows(self, leaves: Sequence[int]) -> Mapping[int, bytes]:
        t = self._tree
        wanted = set(leaves)
        groups = sorted({leaf // GROUP for leaf in wanted})
        found = self._conn.execute(
            select(t.c.grp, t.c.positions, t.c.hashes).where(t.c.grp.in_(groups))
        )
        return {
            stored.leaf: stored.hashes
            for grp, positions, hashes in found
            for stored in group_leaves(int(grp), positions, hashes)
            if stored.leaf in wanted
        }

    def read_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        """The stored complete subtrees' hashes, from one query."""
        return self._reader.read_nodes(ids)


def _tree_end(conn: Connection, tree: Table) -> tuple[int, int]:
    """The tree's size and the position of its last leaf (0, 0 when it is empty)."""
    last = conn.execute(
        select(tree.c.grp, tree.c.positions).order_by(tree.c.grp.desc()).limit(1)
    ).first()
    if last is None:
        return 0, 0
    positions = unpack_positions(bytes(last.positions))
    return int(last.grp) * GROUP + len(positions), positions[-1] if positions else 0


@contextmanager
def _snapshot(rm: ReadModel) -> Iterator[Connection]:
    """One read transaction on the ledger's tables (a snapshot on both backends)."""
    with rm.engine.connect() as conn, conn.begin():
        yield conn


def _tree_end_and_leaf(conn: Connection, tree: Table, position: int) -> tuple[int, int, int | None]:
    """The tree's size, its last leaf's position and the leaf index of `position` (None if
    no leaf has it), in one statement: two index lookups, one round trip."""
    t = tree
    last = select(t.c.grp, t.c.positions).order_by(t.c.grp.desc()).limit(1).subquery()
    hit = (
        select(t.c.grp, t.c.positions)
        .where(t.c.first_position <= position)
        .order_by(t.c.first_position.desc())
        .limit(1)
        .subquery()
    )
    row = conn.execute(
        select(
            select(last.c.grp).scalar_subquery().label("last_grp"),
            select(last.c.positions).scalar_subquery().label("last_positions"),
            select(hit.c.grp).scalar_subquery().label("hit_grp"),
            select(hit.c.positions).scalar_subquery().label("hit_positions"),
        )
    ).one()
    if row.last_grp is None:
        return 0, 0, None
    positions = unpack_positions(bytes(row.last_positions))
    size = int(row.last_grp) * GROUP + len(positions)
    j = None if row.hit_grp is None else leaf_in_group(bytes(row.hit_positions), position)
    leaf = None if j is None else int(row.hit_grp) * GROUP + j
    return size, positions[-1] if positions else 0, leaf


def _latest(conn: Connection, checkpoints: Table) -> Any:
    return conn.execute(
        select(checkpoints).order_by(checkpoints.c.tree_size.desc()).limit(1)
    ).first()


def _query_error(e: ProofRequestError) -> QueryError:
    return QueryError(e.parameter, e.message)


def latest_checkpoint(rm: ReadModel) -> tuple[str, int]:
    """The latest signed checkpoint's note (with its cosignatures) and the tree's last
    position; NotFoundError when none was signed yet."""
    with _snapshot(rm) as conn:
        tree, checkpoints_table = log_tables(conn.dialect.name)
        found = _latest(conn, checkpoints_table)
        position = _tree_end(conn, tree)[1]
    if found is None:
        raise NotFoundError("no checkpoint has been signed yet (`ledger checkpoint`)")
    return str(found.note), position


def checkpoints(rm: ReadModel, *, after: int = 0, limit: int = 100) -> dict[str, Any]:
    """The checkpoint history: checkpoints of tree sizes > after, smallest first."""
    if after < 0:
        raise QueryError("after", f"must be a tree size >= 0, got {after}")
    if not 1 <= limit <= MAX_CHECKPOINTS:
        raise QueryError("limit", f"must be a whole number 1..{MAX_CHECKPOINTS}, got {limit}")
    with _snapshot(rm) as conn:
        tree, table = log_tables(conn.dialect.name)
        rows = conn.execute(
            select(table).where(table.c.tree_size > after).order_by(table.c.tree_size).limit(limit)
        ).all()
        position = _tree_end(conn, tree)[1]
    items = [
        {
            "tree_size": int(row.tree_size),
            "root": b64encode(bytes(row.root)),
            "signed_at": str(row.signed_at),
            "checkpoint": str(row.note),
        }
        for row in rows
    ]
    return {
        "checkpoints": items,
        "next_after": items[-1]["tree_size"] if items else after,
        "position": position,
    }


def _default_size(conn: Connection, checkpoints_table: Table, tree_size: int) -> int:
    latest = _latest(conn, checkpoints_table)
    return int(latest.tree_size) if latest is not None else tree_size


def _shown_anonymously(view: View, position: int) -> bool:
    """Whether the audit trail shows the event at `position` to an anonymous caller."""
    if view.schema is None or position > view.position:
        return False
    events = view.schema.events
    row = view.conn.execute(
        select(events.c.entity, events.c.record).where(events.c.position == position)
    ).first()
    if row is None:
        return False
    model = FLAGGED_RECORDS.get(str(row.record))
    if model is None:
        return True
    return row.entity in anonymous_records(view, model, ids=[str(row.entity)])


def inclusion(
    rm: ReadModel, position: int, size: int | None = None, *, include_private: bool = False
) -> tuple[dict[str, Any], int]:
    """The inclusion proof of the event at `position` in the tree of `size` leaves (default:
    the latest checkpoint's size, or the whole tree if none), and the tree's last position.

    QueryError (naming size or position) for a size of 0 or beyond the tree, or an event
    after the tree of that size; NotFoundError when there is no such event or the caller may
    not see it. Only an anonymous caller's proof reads the read model (in the same snapshot).
    """
    if include_private:
        with _snapshot(rm) as conn:
            return _inclusion(conn, position, size, None)
    with rm.view() as view:
        return _inclusion(view.conn, position, size, view)


def _inclusion(
    conn: Connection, position: int, size: int | None, view: View | None
) -> tuple[dict[str, Any], int]:
    absent = NotFoundError(f"no event at position {position}")
    tree, checkpoints_table = log_tables(conn.dialect.name)
    tree_size, last, found = _tree_end_and_leaf(conn, tree, position)
    try:
        if size is not None:
            check_size(size, tree_size)
        chosen = size if size is not None else _default_size(conn, checkpoints_table, tree_size)
        if view is not None and not _shown_anonymously(view, position):
            raise absent
        if found is None or chosen == 0:
            raise absent
        index = check_inclusion(position, found, chosen)
    except ProofRequestError as e:
        raise _query_error(e) from None
    return inclusion_document(_Nodes(conn, tree), position, index, chosen), last


def consistency(rm: ReadModel, first: int, second: int | None = None) -> tuple[dict[str, Any], int]:
    """The consistency proof from tree size `first` to `second` (default: the latest
    checkpoint's size, or the whole tree), and the tree's last position. QueryError naming
    from or to for a size of 0, beyond the tree, or from > to."""
    with _snapshot(rm) as conn:
        tree, checkpoints_table = log_tables(conn.dialect.name)
        tree_size, last = _tree_end(conn, tree)
        to = second if second is not None else _default_size(conn, checkpoints_table, tree_size)
        try:
            check_consistency(first, to, tree_size)
        except ProofRequestError as e:
            raise _query_error(e) from None
        return consistency_document(_Nodes(conn, tree), first, to), last
