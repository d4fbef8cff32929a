"""RFC 9162 §2.1 Merkle tree: hashing, the growing tree's frontier, proofs from stored nodes.

The tree is kept as its *complete subtrees*: node (level, index) is the Merkle Tree Hash of
leaves [index * 2**level, (index + 1) * 2**level). Once written a complete subtree never
changes, so any tree size N up to the current one is described by the same stored nodes:
its root, inclusion and consistency proofs fold O(log N) of them, read in one batch.

Appending a leaf completes the leaf itself (level 0) and one node more for each trailing one
bit of its index: 2n - popcount(n) nodes for n leaves, about two per leaf. Numbered in
post-order (`postorder_id`), nodes are completed in increasing id order, so a store can
keep them in an append-only table keyed by one integer. Or it keeps one row per leaf (the
"by-leaf" layout): the leaf's hash followed by the hashes of the nodes its append
completed, level by level; node (level, index) is then found at `node_location`.
"""

from __future__ import annotations

from hashlib import sha256
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

#: MTH({}) = SHA-256(""): the root of the empty tree.
EMPTY_ROOT: Final = sha256(b"").digest()
HASH_SIZE: Final = 32

#: A complete subtree: (level, index) covers leaves [index << level, (index + 1) << level).
NodeId = tuple[int, int]


class ProofError(ValueError):
    """Raised when a proof is asked for sizes or an index that do not make one."""


class MissingNodeError(LookupError):
    """Raised by a NodeReader when a complete subtree is not stored (the tree is smaller)."""


class NodeReader(Protocol):
    """Where stored complete subtrees are read from (a store table, or memory in tests)."""

    def read_nodes(self, ids: Sequence[NodeId]) -> Sequence[bytes]:
        """The hashes of these complete subtrees, in the order asked.

        Raises MissingNodeError when one is not stored. Proofs ask for at most about
        2 * log2(size) nodes at once, so one query with an IN list suffices.
        """
        ...


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || data)."""
    return sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return sha256(b"\x01" + left + right).digest()


def postorder_id(level: int, index: int) -> int:
    """The post-order number of node (level, index), from 0: the order nodes are completed in.

    The nodes before it are the whole trees over leaves [0, index << level), 2m - popcount(m)
    of them for m leaves, and the 2**(level+1) - 2 nodes below it.
    """
    first = index << level
    return 2 * first - first.bit_count() + (2 << level) - 2


def node_count(size: int) -> int:
    """How many complete subtrees a tree of `size` leaves has (2n - popcount(n))."""
    return 2 * size - size.bit_count()


def size_for_node_count(count: int) -> int:
    """The tree size whose nodes are exactly `count` complete subtrees; ValueError if none."""
    if count < 0:
        msg = f"node count must be >= 0, got {count}"
        raise ValueError(msg)
    # node_count grows with size and node_count(n) >= n, so search [count // 2, count].
    low, high = count // 2, count
    while low < high:
        middle = (low + high) // 2
        if node_count(middle) < count:
            low = middle + 1
        else:
            high = middle
    if node_count(low) != count:
        msg = f"{count} nodes is no whole tree (a tree of {low} leaves has {node_count(low)})"
        raise ValueError(msg)
    return low


def leaf_completing(node: int) -> int:
    """The index of the leaf whose append completes the node with this post-order id."""
    if node < 0:
        msg = f"node id must be >= 0, got {node}"
        raise ValueError(msg)
    # The largest m with node_count(m) <= node: leaves [0, m) are done before it.
    low, high = 0, node + 1
    while low < high:
        middle = (low + high + 1) // 2
        if node_count(middle) <= node:
            low = middle
        else:
            high = middle - 1
    return low


def node_location(level: int, index: int) -> tuple[int, int]:
    """Where the by-leaf layout keeps node (level, index): (leaf index, byte offset).

    The node is completed by the append of its last leaf, ((index + 1) << level) - 1,
    whose row holds the hashes of levels 0, 1, ... of the nodes it completed.
    """
    return ((index + 1) << level) - 1, HASH_SIZE * level


def range_nodes(begin: int, end: int) -> list[NodeId]:
    """The maximal complete subtrees covering leaves [begin, end), left to right."""
    ids: list[NodeId] = []
    while begin < end:
        # The largest aligned subtree starting at begin that fits before end.
        level = (end - begin).bit_length() - 1
        if begin:
            level = min(level, (begin & -begin).bit_length() - 1)
        ids.append((level, begin >> level))
        begin += 1 << level
    return ids


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """Hash subtree roots of decreasing sizes into the root over their union (RFC 9162 split)."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = sha256(b"\x01" + left + root).digest()
    return root


def _split(size: int) -> int:
    """k: the largest power of two smaller than size (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


# A proof is planned as ranges of leaves whose Merkle Tree Hashes it lists; every range
# below is a whole complete subtree or, for the right side of the first split, a range
# whose maximal complete subtrees decrease in size, so fold_right gives its hash.


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form PATH(index, D[0:size]) (RFC 9162 §2.1.3.1), in order."""
    if not 0 <= index < size:
        msg = f"leaf index must be in 0..{size - 1} for a tree of size {size}, got {index}"
        raise ProofError(msg)
    ranges: list[tuple[int, int]] = []
    begin, end = 0, size
    while end - begin > 1:
        k = _split(end - begin)
        if index < begin + k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            begin += k
    ranges.reverse()
    return ranges


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form PROOF(size1, D[0:size2]) (RFC 9162 §2.1.4.1)."""
    if not 0 < size1 <= size2:
        msg = f"a consistency proof needs 0 < size1 <= size2, got {size1} and {size2}"
        raise ProofError(msg)
    ranges: list[tuple[int, int]] = []
    begin, end, whole = 0, size2, True
    while size1 != end:
        k = _split(end - begin)
        if size1 <= begin + k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            begin += k
            whole = False
    if not whole:
        # SUBPROOF(m, D[m], false) = [MTH(D[m])]: the old tree's last subtree.
        ranges.append((begin, end))
    ranges.reverse()
    return ranges


def hashes_of_ranges(reader: NodeReader, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """The Merkle Tree Hash of each range, from one batched read of stored nodes."""
    plans = [range_nodes(begin, end) for begin, end in ranges]
    wanted = list(dict.fromkeys(node for plan in plans for node in plan))
    found = dict(zip(wanted, reader.read_nodes(wanted), strict=True))
    return [fold_right([found[node] for node in plan]) for plan in plans]


def root_hash(reader: NodeReader, size: int) -> bytes:
    """MTH(D[0:size]) from stored nodes (O(log size) of them)."""
    if size < 0:
        msg = f"tree size must be >= 0, got {size}"
        raise ProofError(msg)
    if size == 0:
        return EMPTY_ROOT
    return hashes_of_ranges(reader, [(0, size)])[0]


def leaf_hash_at(reader: NodeReader, index: int) -> bytes:
    """The stored leaf hash of leaf `index`."""
    return bytes(reader.read_nodes([(0, index)])[0])


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `size` leaves (any size stored)."""
    return hashes_of_ranges(reader, inclusion_ranges(index, size))


def consistency_proof(reader: NodeReader, size1: int, size2: int) -> list[bytes]:
    """The consistency proof from the tree of size1 leaves to that of size2 (empty if equal)."""
    return hashes_of_ranges(reader, consistency_ranges(size1, size2))


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` show `leaf` at `index` in the tree with `root`?"""
    if not 0 <= index < size or len(leaf) != HASH_SIZE:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree (size1, root1) a prefix of the tree (size2, root2)?

    A proof from size 0 is refused (the RFC defines none); equal sizes need an empty proof
    and equal roots.
    """
    if size1 <= 0 or size2 < size1:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    if not proof:
        return False
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


def tree_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, computed in one pass (RFC 9162 §2.1.1)."""
    frontier = Frontier()
    frontier.extend(leaves)
    return frontier.root()


class Frontier:
    """The growing tree as the roots of its maximal complete subtrees (a compact range).

    For `size` leaves it holds one hash per set bit of size, largest subtree first, so the
    root is O(log n) to compute and an append hashes once per trailing one bit of the new
    leaf's index (once on average). `extend` returns the hashes of the nodes it completed,
    in post-order: their ids are node_count(size before) + 0, 1, 2, ... That is what a store
    writes in the appending transaction, one row (id, hash) each, about two per leaf.
    """

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            msg = f"a frontier of size {size} has {size.bit_count()} hashes, got {len(hashes)}"
            raise ValueError(msg)
        self.size = size
        self.hashes = [bytes(h) for h in hashes]

    @staticmethod
    def node_ids(size: int) -> list[NodeId]:
        """The complete subtrees a frontier of `size` leaves holds, largest first."""
        return range_nodes(0, size)

    @classmethod
    def load(cls, reader: NodeReader, size: int) -> Frontier:
        """The frontier of the stored tree at `size` leaves (O(log size) nodes read)."""
        ids = cls.node_ids(size)
        return cls(size, list(reader.read_nodes(ids)) if ids else [])

    @property
    def next_id(self) -> int:
        """The post-order id the next completed node gets (node_count(size))."""
        return node_count(self.size)

    def extend(self, leaves: Iterable[bytes]) -> list[bytes]:
        """Add leaf hashes in order; return the completed nodes' hashes in post-order.

        For each leaf: the leaf itself (level 0), then one parent per trailing one bit
        of its index. The i-th hash returned has id next_id (before the call) + i.
        """
        completed: list[bytes] = []
        add = completed.append
        hashes = self.hashes
        push, pop = hashes.append, hashes.pop
        index = self.size
        for leaf in leaves:
            add(leaf)
            h = leaf
            merge = index
            while merge & 1:
                h = sha256(b"\x01" + pop() + h).digest()
                add(h)
                merge >>= 1
            push(h)
            index += 1
        self.size = index
        return completed

    def extend_by_leaf(self, leaves: Iterable[bytes]) -> list[bytes]:
        """Add leaf hashes in order; return one row per leaf for the by-leaf layout.

        A leaf's row is its hash followed by the hashes of the nodes its append completed,
        level 1 upwards: 32 bytes, plus 32 per trailing one bit of its index (64 on average).
        """
        rows: list[bytes] = []
        add = rows.append
        hashes = self.hashes
        push, pop = hashes.append, hashes.pop
        index = self.size
        for leaf in leaves:
            if not index & 1:  # half the leaves complete nothing: the row is the leaf
                push(leaf)
                add(leaf)
                index += 1
                continue
            h = leaf
            row = [leaf]
            merge = index
            while merge & 1:
                h = sha256(b"\x01" + pop() + h).digest()
                row.append(h)
                merge >>= 1
            push(h)
            add(b"".join(row))
            index += 1
        self.size = index
        return rows

    def root(self) -> bytes:
        """MTH of the tree so far."""
        return fold_right(self.hashes)

    def copy(self) -> Frontier:
        """An independent copy (e.g. to roll back when the appending transaction fails)."""
        return Frontier(self.size, self.hashes)


class MemoryNodes:
    """A NodeReader over a list of node hashes by post-order id: the store's table in memory."""

    def __init__(self) -> None:
        self.hashes: list[bytes] = []
        self.frontier = Frontier()

    @classmethod
    def of_leaves(cls, leaves: Iterable[bytes]) -> MemoryNodes:
        """A store holding the tree over these leaf hashes."""
        store = cls()
        store.append(leaves)
        return store

    @property
    def size(self) -> int:
        """How many leaves are stored."""
        return self.frontier.size

    def append(self, leaves: Iterable[bytes]) -> list[bytes]:
        """Append leaf hashes as a store's transaction would: keep every node completed."""
        completed = self.frontier.extend(leaves)
        self.hashes.extend(completed)
        return completed

    def read_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        """The stored hashes of these nodes; MissingNodeError naming the first one absent."""
        stored = self.hashes
        count = len(stored)
        found = []
        for level, index in ids:
            number = postorder_id(level, index)
            if number >= count:
                msg = f"node (level {level}, index {index}) is not stored (tree size {self.size})"
                raise MissingNodeError(msg)
            found.append(stored[number])
        return found


class LeafRowReader:
    """A NodeReader over the by-leaf layout, given a function reading rows by leaf index."""

    def __init__(self, read_rows: Callable[[Sequence[int]], Mapping[int, bytes]]) -> None:
        self.read_rows = read_rows

    def read_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        """The nodes' hashes cut from their leaves' rows (one read for all of them)."""
        places = [node_location(level, index) for level, index in ids]
        rows = self.read_rows(sorted({leaf for leaf, _ in places}))
        found = []
        for (level, index), (leaf, offset) in zip(ids, places, strict=True):
            row = rows.get(leaf)
            if row is None or len(row) < offset + HASH_SIZE:
                msg = f"node (level {level}, index {index}) is not stored (no row for leaf {leaf})"
                raise MissingNodeError(msg)
            found.append(bytes(row[offset : offset + HASH_SIZE]))
        return found


def first_difference(
    frontier: Frontier, leaves: Sequence[bytes], stored: Sequence[bytes]
) -> int | None:
    """Append `leaves` to `frontier` and compare the nodes completed with the stored ones.

    `stored` are the stored hashes with ids frontier.next_id onwards, as many as the
    leaves complete (node_count(size + len(leaves)) - node_count(size)). Returns the index
    of the first leaf whose nodes differ or are missing, or None when all match: what
    `ledger verify` needs to check the stored tree against the chain, batch by batch.
    """
    first_id = frontier.next_id
    completed = frontier.extend(leaves)
    if completed == list(stored):
        return None
    for offset, (computed, kept) in enumerate(zip(completed, stored, strict=False)):
        if computed != kept:
            return leaf_completing(first_id + offset)
    return leaf_completing(first_id + min(len(completed), len(stored)))
