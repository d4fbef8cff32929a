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

Why a proof needs no snapshot
-----------------------------
A proof reads the log's end (tree size, the asked position's leaf, the latest checkpoint's
size) in one statement and the nodes in a second. An anonymous caller's inclusion proof
runs both in the read model's snapshot (it reads the read model too); every other proof
runs them on PostgreSQL without a transaction (`ReadModel.read_log`: two round trips, not
five), so the second statement may see a longer tree than the first. The proof is the same
as in one snapshot, because the tree only grows at its end: a group row, once written,
is only ever rewritten by an append, with the same bytes followed by the new leaves'
(ledger.store.tree), and every node of the tree of N leaves is stored in the row of the
leaf that completes it, a leaf below N. So for any N up to the size the first statement
saw, every row the second one reads holds what it held then. A checkpoint's tree size
never changes either (witnesses only add cosignatures to its note).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final, NamedTuple

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    LargeBinary,
    MetaData,
    Select,
    Table,
    Text,
    bindparam,
    select,
)

from ledger.store.tree import (
    CHECKPOINT_TABLE,
    GROUP,
    ROW_OFFSETS,
    TREE_TABLE,
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


def _statements(tree: Table, checkpoints: Table) -> tuple[Select[Any], Select[Any], Select[Any]]:
    """The statements of a proof, built once per dialect: the log's end, the log's end with
    the leaf of `:position`, and the tree rows of the groups `:groups`."""
    t = tree
    last = select(t.c.grp, t.c.positions).order_by(t.c.grp.desc()).limit(1).subquery()
    hit = (
        select(t.c.grp, t.c.positions)
        .where(t.c.first_position <= bindparam("position"))
        .order_by(t.c.first_position.desc())
        .limit(1)
        .subquery()
    )
    end = [
        select(last.c.grp).scalar_subquery().label("last_grp"),
        select(last.c.positions).scalar_subquery().label("last_positions"),
        select(checkpoints.c.tree_size)
        .order_by(checkpoints.c.tree_size.desc())
        .limit(1)
        .scalar_subquery()
        .label("checkpoint"),
    ]
    leaf = [
        select(hit.c.grp).scalar_subquery().label("hit_grp"),
        select(hit.c.positions).scalar_subquery().label("hit_positions"),
    ]
    rows = select(t.c.grp, t.c.positions, t.c.hashes).where(
        t.c.grp.in_(bindparam("groups", expanding=True))
    )
    return select(*end), select(*end, *leaf), rows


_STATEMENTS = {dialect: _statements(*tables) for dialect, tables in _TABLES.items()}


class _Nodes:
    """A NodeReader over the tree table, through the proof's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._rows_of_groups = _STATEMENTS[conn.dialect.name][2]
        self._reader = LeafRowReader(self._rows)

    def _rows(self, leaves: Sequence[int]) -> Mapping[int, bytes]:
        groups = sorted({leaf // GROUP for leaf in leaves})
        found = {
            int(grp): (len(positions) // 8, bytes(hashes))
            for grp, positions, hashes in self._conn.execute(
                self._rows_of_groups, {"groups": groups}
            )
        }
        rows = {}
        for leaf in leaves:
            grp, j = divmod(leaf, GROUP)
            count, hashes = found.get(grp, (0, b""))
            if j < count:
                rows[leaf] = hashes[ROW_OFFSETS[j] : ROW_OFFSETS[j + 1] if j + 1 < GROUP else None]
        return rows

    def read_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        """The stored complete subtrees' hashes, from one query."""
        return self._reader.read_nodes(ids)


@contextmanager
def _snapshot(rm: ReadModel) -> Iterator[Connection]:
    """One read transaction on the ledger's tables (a snapshot on both backends)."""
    with rm.engine.connect() as conn, conn.begin():
        yield conn


class _LogEnd(NamedTuple):
    """Where the log ends, as one statement reads it."""

    size: int  # the tree's size
    last: int  # the position of its last leaf (0 when the tree is empty)
    checkpoint: int | None  # the tree size of the latest checkpoint, if one was signed
    leaf: int | None  # the leaf index of the position asked for, if one has it

    @property
    def default_size(self) -> int:
        """The size a proof is for when none is asked: the latest checkpoint's, or the tree's."""
        return self.checkpoint if self.checkpoint is not None else self.size


def _log_end(conn: Connection, position: int | None = None) -> _LogEnd:
    """The tree's size, its last position, the latest checkpoint's size and the leaf index
    of `position` (when given), in one statement: a few index lookups, one round trip."""
    end, end_and_leaf, _ = _STATEMENTS[conn.dialect.name]
    leaf = None
    if position is None:
        row = conn.execute(end).one()
    else:
        row = conn.execute(end_and_leaf, {"position": position}).one()
        if row.hit_grp is not None:
            j = leaf_in_group(bytes(row.hit_positions), position)
            leaf = None if j is None else int(row.hit_grp) * GROUP + j
    checkpoint = None if row.checkpoint is None else int(row.checkpoint)
    if row.last_grp is None:
        return _LogEnd(0, 0, checkpoint, None)
    positions = unpack_positions(bytes(row.last_positions))
    size = int(row.last_grp) * GROUP + len(positions)
    return _LogEnd(size, positions[-1] if positions else 0, checkpoint, leaf)


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
        _, checkpoints_table = log_tables(conn.dialect.name)
        found = _latest(conn, checkpoints_table)
        position = _log_end(conn).last
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
        _, table = log_tables(conn.dialect.name)
        rows = conn.execute(
            select(table).where(table.c.tree_size > after).order_by(table.c.tree_size).limit(limit)
        ).all()
        position = _log_end(conn).last
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
        return rm.read_log(lambda conn: _inclusion(conn, position, size, None))
    with rm.view() as view:
        return _inclusion(view.conn, position, size, view)


def _inclusion(
    conn: Connection, position: int, size: int | None, view: View | None
) -> tuple[dict[str, Any], int]:
    absent = NotFoundError(f"no event at position {position}")
    end = _log_end(conn, position)
    try:
        if size is not None:
            check_size(size, end.size)
        chosen = size if size is not None else end.default_size
        if view is not None and not _shown_anonymously(view, position):
            raise absent
        if end.leaf is None or chosen == 0:
            raise absent
        index = check_inclusion(position, end.leaf, chosen)
    except ProofRequestError as e:
        raise _query_error(e) from None
    return inclusion_document(_Nodes(conn), position, index, chosen), end.last


def consistency(rm: ReadModel, first: int, second: int | None = None) -> tuple[dict[str, Any], int]:
    """The consistency proof from tree size `first` to `second` (default: the latest
    checkpoint's size, or the whole tree), and the tree's last position. QueryError naming
    from or to for a size of 0, beyond the tree, or from > to."""

    def read(conn: Connection) -> tuple[dict[str, Any], int]:
        end = _log_end(conn)
        to = second if second is not None else end.default_size
        try:
            check_consistency(first, to, end.size)
        except ProofRequestError as e:
            raise _query_error(e) from None
        return consistency_document(_Nodes(conn), first, to), end.last

    return rm.read_log(read)
