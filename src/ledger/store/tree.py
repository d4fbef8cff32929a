"""The RFC 9162 Merkle tree over the chain, kept in each appending transaction (both backends).

Leaf i is the (i+1)-th chain link in position order (PostgreSQL positions can have gaps, so
the leaf index is not position - 1); its leaf hash is SHA-256(0x00 || the bytes h(n) hashes
after h(n-1)), see `ledger.store.chain.link_data`. Each leaf has a row in ledger.tlog.merkle's
by-leaf layout: the leaf hash followed by the hashes of the complete subtrees its append
completed (64 bytes a leaf on average). The store keeps these rows in groups of GROUP
consecutive leaves, one row of `ledger_tree` per group (grp, first_position, positions,
hashes): the leaves' positions as big-endian uint64s and their rows concatenated. A group
row costs the append one INSERT per GROUP events instead of one per event; where each
leaf's row starts in a group follows from the leaf indices alone (`ROW_OFFSETS`).

The rows are written in the transaction that writes the chain rows, under the same write
lock, from the frontier (the roots of the maximal complete subtrees) that the recorder keeps
between appends and checks against the last leaf's row; nothing is recomputed from scratch.
A store that has chain rows without tree rows (made before the tree existed) gets them once,
computed from the chain, when a recorder opens it; an append that finds the tree behind the
chain builds the rest the same way.

Signed checkpoints of the tree are kept in `ledger_checkpoint` (tree_size, root, signed_at,
note): the history that `ledger checkpoint` and the followers write, with the cosignatures
witnesses added to each note.
"""

from __future__ import annotations

import struct
from bisect import bisect_left
from hashlib import sha256
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from ledger.store.chain import ChainError, link_data
from ledger.tlog.merkle import (
    HASH_SIZE,
    Frontier,
    LeafRowReader,
    MissingNodeError,
    NodeId,
    root_hash,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ledger.store.chain import ChainedEvent

    #: A chain scan row (ledger.store.base.ChainRow; not imported: base imports this module).
    ChainRow = tuple[Any, ...]

TREE_TABLE: Final = "ledger_tree"
CHECKPOINT_TABLE: Final = "ledger_checkpoint"
#: Chain rows read at once while a tree is built from the chain.
BUILD_BATCH: Final = 20_000
#: Leaves per row of the tree table.
GROUP: Final = 16


def _trailing_ones(n: int) -> int:
    return (~n & (n + 1)).bit_length() - 1


#: Where the row of the j-th leaf of a group starts in its hashes: leaf 16g + j (j < 15)
#: completes as many nodes as j has trailing one bits; the last leaf's row is the rest.
ROW_OFFSETS: Final = tuple(
    sum(HASH_SIZE * (1 + _trailing_ones(t)) for t in range(j)) for j in range(GROUP)
)


def pack_positions(positions: Sequence[int]) -> bytes:
    """Positions as big-endian uint64s."""
    return struct.pack(f">{len(positions)}Q", *positions)


def unpack_positions(blob: bytes) -> tuple[int, ...]:
    """The positions of a group row (a blob of whole uint64s; a partial one is dropped)."""
    count = len(blob) // 8
    return struct.unpack(f">{count}Q", blob[: count * 8])


def group_leaves(grp: int, positions: bytes, hashes: bytes) -> list[TreeTail]:
    """The leaves a group row holds: (leaf index, position, row) each, in order."""
    found = unpack_positions(bytes(positions))
    hashes = bytes(hashes)
    first = grp * GROUP
    out = []
    for j, position in enumerate(found[:GROUP]):
        end = ROW_OFFSETS[j + 1] if j + 1 < GROUP else len(hashes)
        out.append(TreeTail(first + j, position, hashes[ROW_OFFSETS[j] : end]))
    return out


def leaf_in_group(positions: bytes, position: int) -> int | None:
    """Which leaf of a group (0..GROUP-1) has this position, if one has."""
    found = unpack_positions(bytes(positions))
    j = bisect_left(found, position)
    return j if j < len(found) and found[j] == position else None


def leaf_of(data: bytes) -> bytes:
    """The RFC 9162 leaf hash of a link's bytes: SHA-256(0x00 || data)."""
    return sha256(b"\x00" + data).digest()


def event_leaf(event: ChainedEvent) -> bytes:
    """The leaf hash of a chained event (an import's)."""
    return leaf_of(
        link_data(
            event.position,
            event.recorded_at_text,
            event.originator_id.hex,
            event.originator_version,
            event.topic,
            event.state,
        )
    )


def row_leaf(row: ChainRow) -> bytes:
    """The leaf hash of a chain scan row; ChainError if its event row is missing."""
    position, recorded_at, _, oid, version, topic, state = row
    if oid is None or version is None or topic is None or state is None:
        msg = (
            f"position {position}: the event row is missing, so the tree cannot be extended "
            "over it: the store is damaged (run verify)"
        )
        raise ChainError(msg)
    return leaf_of(link_data(position, recorded_at, oid, version, topic, bytes(state)))


class TreeTail(NamedTuple):
    """The tree's last row: its leaf index, the event position and the hashes it holds."""

    leaf: int
    position: int
    hashes: bytes

    @property
    def size(self) -> int:
        """The tree size this row ends."""
        return self.leaf + 1


class LastGroup(NamedTuple):
    """The tree's last group row as stored: its number, positions and hashes."""

    grp: int
    positions: bytes
    hashes: bytes

    @property
    def tail(self) -> TreeTail | None:
        """Its last leaf (None for a row without leaves, which only damage makes)."""
        count = min(len(self.positions) // 8, GROUP)
        if not count:
            return None
        position = int.from_bytes(self.positions[8 * count - 8 : 8 * count], "big")
        start = ROW_OFFSETS[count - 1]
        end = ROW_OFFSETS[count] if count < GROUP else len(self.hashes)
        return TreeTail(self.grp * GROUP + count - 1, position, self.hashes[start:end])


class StoredCheckpoint(NamedTuple):
    """A row of the checkpoint history: size, root, when it was signed, the signed note."""

    tree_size: int
    root: bytes
    signed_at: str
    note: str


class TreeSQL:
    """The tree's and the checkpoint history's statements in one DB-API parameter style."""

    def __init__(self, mark: str, prefix: str = "", *, blob: str, group_key: str) -> None:
        t, k, m = prefix + TREE_TABLE, prefix + CHECKPOINT_TABLE, mark
        self.mark = mark
        self.create = [
            f"CREATE TABLE IF NOT EXISTS {t} (grp {group_key} PRIMARY KEY, "
            f"first_position BIGINT NOT NULL, positions {blob} NOT NULL, hashes {blob} NOT NULL)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {TREE_TABLE}_position ON {t} (first_position)",
            f"CREATE TABLE IF NOT EXISTS {k} ("
            f"tree_size BIGINT PRIMARY KEY, root {blob} NOT NULL, "
            "signed_at TEXT NOT NULL, note TEXT NOT NULL)",
        ]
        self.table = t
        columns = "grp, positions, hashes"
        self.tail = f"SELECT {columns} FROM {t} ORDER BY grp DESC LIMIT 1"
        self.group = f"SELECT {columns} FROM {t} WHERE grp = {m}"
        self.scan = f"SELECT {columns} FROM {t} WHERE grp >= {m} ORDER BY grp LIMIT {m}"
        self.group_of = (
            f"SELECT grp, positions FROM {t} WHERE first_position <= {m} "
            "ORDER BY first_position DESC LIMIT 1"
        )
        self.insert = (
            f"INSERT INTO {t} (grp, first_position, positions, hashes) VALUES ({m}, {m}, {m}, {m})"
        )
        self.update = f"UPDATE {t} SET positions = {m}, hashes = {m} WHERE grp = {m}"
        columns = "tree_size, root, signed_at, note"
        self.latest = f"SELECT {columns} FROM {k} ORDER BY tree_size DESC LIMIT 1"
        self.checkpoint_at = f"SELECT {columns} FROM {k} WHERE tree_size = {m}"
        self.checkpoints_after = (
            f"SELECT {columns} FROM {k} WHERE tree_size > {m} ORDER BY tree_size LIMIT {m}"
        )
        self.checkpoints_before = (
            f"SELECT {columns} FROM {k} WHERE tree_size < {m} ORDER BY tree_size DESC LIMIT {m}"
        )
        self.insert_checkpoint = f"INSERT INTO {k} ({columns}) VALUES ({m}, {m}, {m}, {m})"
        self.update_note = f"UPDATE {k} SET note = {m} WHERE tree_size = {m}"

    def groups(self, count: int) -> str:
        """SELECT grp, positions, hashes of `count` groups named in an IN list."""
        marks = ", ".join([self.mark] * count)
        return f"SELECT grp, positions, hashes FROM {self.table} WHERE grp IN ({marks})"


class TreeCursor:
    """The tree and the checkpoint history read (and written) through one open DB-API cursor.

    The cursor's rows must be indexable (tuples, sqlite3.Row). Used inside the store's
    snapshots (proofs, verify, export) and write transactions (appends, checkpoints).
    """

    def __init__(self, sql: TreeSQL, cursor: Any) -> None:
        self.sql = sql
        self.cursor = cursor

    def _all(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        self.cursor.execute(statement, tuple(params))
        return list(self.cursor.fetchall())

    def tail(self) -> TreeTail | None:
        """The last leaf of the tree, or None when the tree is empty."""
        group = self.last_group()
        return None if group is None else group.tail

    def last_group(self) -> LastGroup | None:
        """The tree's last group row, or None when the tree is empty (one query)."""
        rows = self._all(self.sql.tail)
        if not rows:
            return None
        group = LastGroup(int(rows[0][0]), bytes(rows[0][1]), bytes(rows[0][2]))
        return group if group.tail is not None else None

    def size(self) -> int:
        """How many leaves the stored tree has."""
        tail = self.tail()
        return 0 if tail is None else tail.size

    def leaf_rows(self, leaves: Sequence[int]) -> dict[int, bytes]:
        """The rows of these leaves, by leaf index (absent ones are left out)."""
        if not leaves:
            return {}
        wanted = set(leaves)
        groups = sorted({leaf // GROUP for leaf in wanted})
        found: dict[int, bytes] = {}
        for grp, positions, hashes in self._all(self.sql.groups(len(groups)), groups):
            for stored in group_leaves(int(grp), positions, hashes):
                if stored.leaf in wanted:
                    found[stored.leaf] = stored.hashes
        return found

    def read_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        """NodeReader: the complete subtrees' hashes, from one query."""
        return LeafRowReader(self.leaf_rows).read_nodes(ids)

    def scan(self, first_leaf: int, limit: int) -> list[TreeTail]:
        """Leaves from `first_leaf` on, in leaf order, at most `limit` (a gap where rows
        are missing)."""
        groups = self._all(self.sql.scan, (first_leaf // GROUP, limit // GROUP + 2))
        out: list[TreeTail] = []
        for grp, positions, hashes in groups:
            out.extend(t for t in group_leaves(int(grp), positions, hashes) if t.leaf >= first_leaf)
        return out[:limit]

    def leaf_index(self, position: int) -> int | None:
        """The leaf index of the event at `position`, or None if the tree has no such leaf."""
        rows = self._all(self.sql.group_of, (position,))
        if not rows:
            return None
        j = leaf_in_group(rows[0][1], position)
        return None if j is None else int(rows[0][0]) * GROUP + j

    def root(self, size: int) -> bytes:
        """MTH of the first `size` leaves, from O(log size) stored nodes."""
        try:
            return root_hash(self, size)
        except MissingNodeError as e:
            msg = f"the stored tree is damaged ({e}): run verify"
            raise ChainError(msg) from None

    def frontier(self, size: int) -> Frontier:
        """The frontier of the stored tree at `size` leaves (one query)."""
        try:
            return Frontier.load(self, size)
        except MissingNodeError as e:
            msg = f"the stored tree is damaged ({e}): run verify"
            raise ChainError(msg) from None

    def insert(
        self,
        first_leaf: int,
        positions: Sequence[int],
        rows: Sequence[bytes],
        last: LastGroup | None = None,
    ) -> None:
        """Write the rows of leaves first_leaf, first_leaf + 1, ...: the group the tree ends
        in is completed (UPDATE), the others are new (INSERT). `last` is that group's row as
        read in this transaction, if the caller has it (else it is read here)."""
        done = 0
        filled = first_leaf % GROUP
        if filled:
            grp = first_leaf // GROUP
            if last is None or last.grp != grp:
                found = self._all(self.sql.group, (grp,))
                last = LastGroup(grp, bytes(found[0][1]), bytes(found[0][2])) if found else None
            held = 0 if last is None else len(last.positions) // 8
            if last is None or held != filled:
                msg = f"the tree's group {grp} holds {held} leaves, not {filled}: run verify"
                raise ChainError(msg)
            done = min(GROUP - filled, len(rows))
            self.cursor.execute(
                self.sql.update,
                (
                    last.positions + pack_positions(positions[:done]),
                    last.hashes + b"".join(rows[:done]),
                    grp,
                ),
            )
        groups = []
        first_group = (first_leaf + done) // GROUP
        for number, start in enumerate(range(done, len(rows), GROUP), first_group):
            end = start + GROUP
            groups.append(
                (
                    number,
                    positions[start],
                    pack_positions(positions[start:end]),
                    b"".join(rows[start:end]),
                )
            )
        if groups:
            self.insert_groups(groups)

    def insert_groups(self, groups: Sequence[tuple[int, int, bytes, bytes]]) -> None:
        """INSERT new group rows (grp, first_position, positions, hashes)."""
        self.cursor.executemany(self.sql.insert, groups)

    # -- the checkpoint history ----------------------------------------------------------

    @staticmethod
    def _checkpoint(row: Sequence[Any]) -> StoredCheckpoint:
        return StoredCheckpoint(int(row[0]), bytes(row[1]), str(row[2]), str(row[3]))

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The checkpoint of the largest tree size, if any was signed."""
        rows = self._all(self.sql.latest)
        return self._checkpoint(rows[0]) if rows else None

    def checkpoint_at(self, size: int) -> StoredCheckpoint | None:
        """The checkpoint of this tree size, if one was signed."""
        rows = self._all(self.sql.checkpoint_at, (size,))
        return self._checkpoint(rows[0]) if rows else None

    def checkpoints(self, after: int, limit: int) -> list[StoredCheckpoint]:
        """Checkpoints of tree sizes > after, smallest first, at most `limit`."""
        return [self._checkpoint(r) for r in self._all(self.sql.checkpoints_after, (after, limit))]

    def checkpoints_before(self, size: int, limit: int) -> list[StoredCheckpoint]:
        """Checkpoints of tree sizes < size, largest first, at most `limit`."""
        return [self._checkpoint(r) for r in self._all(self.sql.checkpoints_before, (size, limit))]

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        """Insert a checkpoint row (its tree size must be new)."""
        self.cursor.execute(self.sql.insert_checkpoint, tuple(checkpoint))

    def set_note(self, size: int, note: str) -> None:
        """Replace the signed note of the checkpoint of this size (more signatures)."""
        self.cursor.execute(self.sql.update_note, (note, size))


class TreeKeeper:
    """Appends leaves to a recorder's tree inside its write transactions.

    Keeps the frontier between appends: it is used when its size and its last hash match
    the tree's last row (the smallest complete subtree's root is the last hash that row
    holds), and loaded from the stored nodes otherwise (another process appended, or the
    transaction that extended it was rolled back). Callers hold the store's write lock.
    """

    def __init__(self) -> None:
        self._frontier: Frontier | None = None

    def _current(self, tree: TreeCursor, tail: TreeTail | None) -> Frontier:
        kept = self._frontier
        if tail is None:
            frontier = Frontier()
        elif (
            kept is not None
            and kept.size == tail.size
            and kept.hashes[-1] == tail.hashes[-HASH_SIZE:]
        ):
            frontier = kept
        else:
            frontier = tree.frontier(tail.size)
        self._frontier = frontier
        return frontier

    def prepare(
        self, tree: TreeCursor, chain_rows: Callable[[int, int], Sequence[ChainRow]], head: int
    ) -> Frontier:
        """The frontier of the tree over the chain up to position `head` (the chain's head
        before this transaction's links), building the leaves the tree lacks from the chain.

        ChainError when the tree goes beyond `head` or cannot be built (a missing event).
        """
        return self._prepare(tree, chain_rows, head)[0]

    def _prepare(
        self, tree: TreeCursor, chain_rows: Callable[[int, int], Sequence[ChainRow]], head: int
    ) -> tuple[Frontier, LastGroup | None]:
        """`prepare`, and the tree's last group row when no leaf had to be built."""
        last = tree.last_group()
        tail = None if last is None else last.tail
        frontier = self._current(tree, tail)
        done = tail.position if tail is not None else 0
        if done > head:
            msg = (
                f"the tree has a leaf for position {done}, after the chain's head {head}: "
                "the store is damaged (run verify)"
            )
            raise ChainError(msg)
        while done < head:
            last = None
            rows = [r for r in chain_rows(done, BUILD_BATCH) if r[0] <= head]
            if not rows:
                break
            leaves: list[bytes] = []
            try:
                for row in rows:
                    leaves.append(row_leaf(row))
            finally:
                # What could be computed is written (a damaged row stops the build there).
                if leaves:
                    first = frontier.size
                    positions = [r[0] for r in rows[: len(leaves)]]
                    tree.insert(first, positions, frontier.extend_by_leaf(leaves))
            done = rows[-1][0]
        return frontier, last

    def append(
        self,
        tree: TreeCursor,
        chain_rows: Callable[[int, int], Sequence[ChainRow]],
        head: int,
        positions: Sequence[int],
        leaves: Sequence[bytes],
    ) -> None:
        """Add the leaves of links just written at `positions` (in order, after `head`)."""
        if not leaves:
            return
        frontier, last = self._prepare(tree, chain_rows, head)
        first = frontier.size
        tree.insert(first, positions, frontier.extend_by_leaf(leaves), last)

    def catch_up(
        self, tree: TreeCursor, chain_rows: Callable[[int, int], Sequence[ChainRow]], head: int
    ) -> int:
        """Build the leaves the tree lacks up to the chain's head; the tree size after.

        For opening a store made before the tree existed: a damaged chain stops the build
        where it is damaged (verify names it) instead of failing the open.
        """
        try:
            return self.prepare(tree, chain_rows, head).size
        except ChainError:
            return tree.size()
