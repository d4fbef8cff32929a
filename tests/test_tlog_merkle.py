"""The RFC 9162 tree: public vectors, and every generated proof checked by independent code.

The vectors are transparency-dev/merkle's (tests/data/tlog/merkle-testdata, Apache-2.0).
The property tests check each proof two ways that share nothing with ledger.tlog.merkle:
against RFC 9162's recursive definitions (PATH, PROOF) computed over the leaves in memory,
and with a verifier written the way transparency-dev/merkle decomposes proofs (inner part
and border part) rather than with the RFC's bit walk.
"""

from __future__ import annotations

import base64
import json
import re
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.tlog.merkle import (
    EMPTY_ROOT,
    Frontier,
    LeafRowReader,
    MemoryNodes,
    MissingNodeError,
    NodeId,
    ProofError,
    consistency_proof,
    first_difference,
    inclusion_proof,
    leaf_completing,
    leaf_hash,
    node_count,
    postorder_id,
    root_hash,
    size_for_node_count,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

DATA = Path(__file__).parent / "data" / "tlog" / "merkle-testdata"
INCLUSION = sorted((DATA / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((DATA / "consistency").rglob("*.json"))


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def vector(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def ident(path: Path) -> str:
    return str(path.relative_to(DATA))


# --- Independent reference code, from RFC 9162 and transparency-dev/merkle's method ---------


def h_leaf(data: bytes) -> bytes:
    return sha256(b"\x00" + data).digest()


def h_node(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right).digest()


def mth(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.1, recursively, over leaf hashes."""
    n = len(leaves)
    if n == 0:
        return sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return h_node(mth(leaves[:k]), mth(leaves[k:]))


def rfc_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n])."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*rfc_path(m, leaves[:k]), mth(leaves[k:])]
    return [*rfc_path(m - k, leaves[k:]), mth(leaves[:k])]


def rfc_subproof(m: int, leaves: Sequence[bytes], whole: bool) -> list[bytes]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b)."""
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*rfc_subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*rfc_subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def decompose(index: int, size: int) -> tuple[int, int]:
    """transparency-dev: (inner, border) lengths of the inclusion proof of index in size."""
    inner = (index ^ (size - 1)).bit_length()
    return inner, bin(index >> inner).count("1")


def independent_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Root from an inclusion proof, inner then border, as transparency-dev/merkle does."""
    if not 0 <= index < size:
        return False
    inner, border = decompose(index, size)
    if len(proof) != inner + border:
        return False
    h = leaf
    for i, sibling in enumerate(proof[:inner]):
        h = h_node(sibling, h) if (index >> i) & 1 else h_node(h, sibling)
    for sibling in proof[inner:]:
        h = h_node(sibling, h)
    return h == root


def independent_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> bool:
    """Consistency as transparency-dev/merkle checks it: seed, inner part, border part."""
    if size1 < 1 or size2 < size1:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    inner, border = decompose(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    if size1 == 1 << shift:
        seed, rest = root1, list(proof)
    else:
        if not proof:
            return False
        seed, rest = proof[0], list(proof[1:])
    if len(rest) != inner + border:
        return False
    mask = (size1 - 1) >> shift
    first = second = seed
    for i, sibling in enumerate(rest[:inner]):
        if (mask >> i) & 1:
            first = h_node(sibling, first)
            second = h_node(sibling, second)
        else:
            second = h_node(second, sibling)
    for sibling in rest[inner:]:
        first = h_node(sibling, first)
        second = h_node(sibling, second)
    return first == root1 and second == root2


def leaves_of(count: int, salt: int = 0) -> list[bytes]:
    return [h_leaf(f"{salt}:{i}".encode()) for i in range(count)]


class CountingReader:
    """A NodeReader that records its calls, to check proofs read few nodes in one batch."""

    def __init__(self, store: MemoryNodes) -> None:
        self.store = store
        self.calls: list[list[NodeId]] = []

    def read_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        self.calls.append(list(ids))
        return self.store.read_nodes(ids)


# --- Vectors -------------------------------------------------------------------------


def test_the_vectors_are_all_there() -> None:
    assert len(INCLUSION) == 98
    assert len(CONSISTENCY) == 98
    assert "Apache License" in (DATA / "LICENSE").read_text()


@pytest.mark.parametrize("path", INCLUSION, ids=ident)
def test_inclusion_vector(path: Path) -> None:
    v = vector(path)
    proof = [b64(p) for p in v["proof"] or []]
    ok = verify_inclusion(v["leafIdx"], v["treeSize"], b64(v["leafHash"]), proof, b64(v["root"]))
    assert ok is not v["wantErr"], v["desc"]


@pytest.mark.parametrize("path", CONSISTENCY, ids=ident)
def test_consistency_vector(path: Path) -> None:
    v = vector(path)
    proof = [b64(p) for p in v["proof"] or []]
    ok = verify_consistency(v["size1"], v["size2"], b64(v["root1"]), b64(v["root2"]), proof)
    assert ok is not v["wantErr"], v["desc"]


def _constants() -> tuple[list[bytes], list[list[bytes]], list[bytes]]:
    """LeafInputs, NodeHashes and RootHashes (sizes 1..8) of constants.go."""
    text = (DATA / "constants.go").read_text()

    def hexes(function: str) -> list[bytes]:
        body = text.split(f"func {function}()")[1].split("\n}\n")[0]
        return [bytes.fromhex(h) for h in re.findall(r'hd\("([0-9a-f]*)"\)', body)]

    nodes_body = text.split("func NodeHashes()")[1].split("\n}\n")[0]
    levels = [
        [bytes.fromhex(h) for h in re.findall(r'hd\("([0-9a-f]*)"\)', level)]
        for level in nodes_body.split("}, {")
    ]
    # RootHashes starts with EmptyRootHash() (size 0), then hd(...) for sizes 1..8.
    return hexes("LeafInputs"), levels, hexes("RootHashes")


def test_constants_leaf_and_node_hashes() -> None:
    inputs, levels, _ = _constants()
    assert len(inputs) == 8 and [len(level) for level in levels] == [8, 4, 2, 1]
    leaves = [leaf_hash(data) for data in inputs]
    assert leaves == levels[0]
    assert tree_hash([]) == EMPTY_ROOT == sha256(b"").digest()
    store = MemoryNodes()
    for leaf in leaves:
        store.append([leaf])
    for level, hashes in enumerate(levels):
        for index, expected in enumerate(hashes):
            assert store.read_nodes([(level, index)]) == [expected]


def test_constants_roots_for_every_size() -> None:
    inputs, _, roots = _constants()
    leaves = [leaf_hash(data) for data in inputs]
    assert len(roots) == 8
    store = MemoryNodes.of_leaves(leaves)
    for size in range(1, 9):
        assert tree_hash(leaves[:size]) == roots[size - 1]
        assert root_hash(store, size) == roots[size - 1]


@pytest.mark.parametrize(
    "path", [p for p in INCLUSION if p.name == "happy-path.json" and p.parent.name.isdigit()]
)
def test_generated_inclusion_proofs_equal_the_vectors(path: Path) -> None:
    inputs, _, _ = _constants()
    v = vector(path)
    store = MemoryNodes.of_leaves([leaf_hash(data) for data in inputs])
    proof = inclusion_proof(store, v["leafIdx"], v["treeSize"])
    assert proof == [b64(p) for p in v["proof"] or []]
    assert root_hash(store, v["treeSize"]) == b64(v["root"])


@pytest.mark.parametrize(
    "path", [p for p in CONSISTENCY if p.name == "happy-path.json" and p.parent.name.isdigit()]
)
def test_generated_consistency_proofs_equal_the_vectors(path: Path) -> None:
    inputs, _, _ = _constants()
    v = vector(path)
    store = MemoryNodes.of_leaves([leaf_hash(data) for data in inputs])
    assert consistency_proof(store, v["size1"], v["size2"]) == [b64(p) for p in v["proof"] or []]
    assert root_hash(store, v["size1"]) == b64(v["root1"])
    assert root_hash(store, v["size2"]) == b64(v["root2"])


# --- Properties ----------------------------------------------------------------------

stored_sizes = st.integers(min_value=1, max_value=300)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), stored=stored_sizes, salt=st.integers(0, 3))
def test_every_inclusion_proof_verifies_independently(
    data: st.DataObject, stored: int, salt: int
) -> None:
    leaves = leaves_of(stored, salt)
    store = MemoryNodes.of_leaves(leaves)
    size = data.draw(st.integers(1, stored), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(store, index, size)
    root = root_hash(store, size)
    assert root == mth(leaves[:size])
    assert proof == rfc_path(index, leaves[:size])
    assert independent_inclusion(index, size, leaves[index], proof, root)
    assert verify_inclusion(index, size, leaves[index], proof, root)
    # Any other leaf, index or root fails.
    if size > 1:
        other = (index + 1) % size
        assert not verify_inclusion(other, size, leaves[index], proof, root)
        assert not verify_inclusion(index, size, leaves[other], proof, root)
    assert not verify_inclusion(index, size, leaves[index], proof, sha256(root).digest())


@settings(max_examples=200, deadline=None)
@given(data=st.data(), stored=stored_sizes, salt=st.integers(0, 3))
def test_every_consistency_proof_verifies_independently(
    data: st.DataObject, stored: int, salt: int
) -> None:
    leaves = leaves_of(stored, salt)
    store = MemoryNodes.of_leaves(leaves)
    size2 = data.draw(st.integers(1, stored), label="size2")
    size1 = data.draw(st.integers(1, size2), label="size1")
    proof = consistency_proof(store, size1, size2)
    root1, root2 = root_hash(store, size1), root_hash(store, size2)
    assert proof == rfc_subproof(size1, leaves[:size2], True)
    assert independent_consistency(size1, size2, root1, root2, proof)
    assert verify_consistency(size1, size2, root1, root2, proof)
    # A different old tree of the same size is not consistent with the new one.
    forged = [*leaves[: size1 - 1], h_leaf(b"forged")]
    assert not verify_consistency(size1, size2, mth(forged), root2, proof)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), stored=st.integers(2, 200))
def test_a_changed_proof_hash_fails(data: st.DataObject, stored: int) -> None:
    leaves = leaves_of(stored)
    store = MemoryNodes.of_leaves(leaves)
    size = data.draw(st.integers(2, stored), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(store, index, size)
    which = data.draw(st.integers(0, len(proof) - 1), label="which")
    bit = data.draw(st.integers(0, 255), label="bit")
    changed = list(proof)
    flipped = bytearray(changed[which])
    flipped[bit // 8] ^= 1 << (bit % 8)
    changed[which] = bytes(flipped)
    root = root_hash(store, size)
    assert not verify_inclusion(index, size, leaves[index], changed, root)
    assert not verify_inclusion(index, size, leaves[index], proof[:-1], root)
    assert not verify_inclusion(index, size, leaves[index], [*proof, proof[0]], root)


@settings(max_examples=100, deadline=None)
@given(sizes=st.lists(st.integers(0, 40), min_size=1, max_size=8))
def test_the_frontier_completes_nodes_in_postorder_and_gives_the_root(sizes: list[int]) -> None:
    """Appending in batches of any size: the hashes come in post-order, ids without gaps."""
    leaves = leaves_of(sum(sizes))
    stored: list[bytes] = []  # by post-order id, as a store's table
    done = 0
    for batch in sizes:
        frontier = Frontier.load(MemoryNodes.of_leaves(leaves[:done]), done)
        assert frontier.root() == mth(leaves[:done])
        assert frontier.next_id == len(stored) == node_count(done)
        stored.extend(frontier.extend(leaves[done : done + batch]))
        done += batch
        assert len(stored) == node_count(done)
        assert size_for_node_count(len(stored)) == done
        assert frontier.root() == mth(leaves[:done])
    for level in range(done.bit_length()):
        for index in range(done >> level):
            covered = leaves[index << level : (index + 1) << level]
            assert stored[postorder_id(level, index)] == mth(covered)


def test_postorder_ids_of_a_small_tree() -> None:
    # Leaves 0,1 -> ids 0,1; their parent 2; leaves 2,3 -> 3,4; parent 5; root of 4 -> 6.
    assert [postorder_id(0, i) for i in range(4)] == [0, 1, 3, 4]
    assert [postorder_id(1, 0), postorder_id(1, 1), postorder_id(2, 0)] == [2, 5, 6]
    assert node_count(0) == 0 and node_count(1) == 1 and node_count(4) == 7
    with pytest.raises(ValueError, match="no whole tree"):
        size_for_node_count(2)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 1000, 1023, 1024, 1025, 65_537, 10**6])
def test_proofs_read_few_nodes_in_one_batch(size: int) -> None:
    """O(log n) nodes per proof, in one read: what keeps proofs fast from a table."""

    class Sparse(MemoryNodes):
        """Every node 'stored' (computed on demand as a fake hash): no 10^6 leaves needed."""

        def read_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
            return [sha256(f"{level}/{index}".encode()).digest() for level, index in ids]

    reader = CountingReader(Sparse())
    bound = 2 * size.bit_length() + 2
    for index in {0, size // 2, size - 1}:
        inclusion_proof(reader, index, size)
        assert len(reader.calls) == 1 and len(reader.calls[0]) <= bound
        reader.calls.clear()
    for size1 in {1, size // 3 or 1, size - 1 or 1}:
        consistency_proof(reader, size1, size)
        assert len(reader.calls) <= 1 and all(len(call) <= bound for call in reader.calls)
        reader.calls.clear()
    root_hash(reader, size)
    assert len(reader.calls) == 1 and len(reader.calls[0]) == size.bit_count()


def test_proof_requests_that_make_no_proof_are_refused() -> None:
    store = MemoryNodes.of_leaves(leaves_of(10))
    with pytest.raises(ProofError, match="leaf index"):
        inclusion_proof(store, 10, 10)
    with pytest.raises(ProofError, match="leaf index"):
        inclusion_proof(store, 0, 0)
    with pytest.raises(ProofError, match="0 < size1 <= size2"):
        consistency_proof(store, 0, 5)
    with pytest.raises(ProofError, match="0 < size1 <= size2"):
        consistency_proof(store, 6, 5)
    with pytest.raises(MissingNodeError, match="not stored"):
        inclusion_proof(store, 3, 11)
    with pytest.raises(MissingNodeError, match="not stored"):
        root_hash(store, 11)
    assert consistency_proof(store, 7, 7) == []
    assert root_hash(store, 0) == EMPTY_ROOT


def test_proofs_for_older_sizes_come_from_the_same_stored_nodes() -> None:
    leaves = leaves_of(100)
    store = MemoryNodes.of_leaves(leaves)
    older = MemoryNodes.of_leaves(leaves[:37])
    for index in range(37):
        assert inclusion_proof(store, index, 37) == inclusion_proof(older, index, 37)
    assert consistency_proof(store, 20, 37) == consistency_proof(older, 20, 37)


def test_a_frontier_must_match_its_size() -> None:
    with pytest.raises(ValueError, match="has 2 hashes"):
        Frontier(3, [EMPTY_ROOT])
    frontier = Frontier.load(MemoryNodes.of_leaves(leaves_of(6)), 6)
    copy = frontier.copy()
    copy.extend([h_leaf(b"x")])
    assert frontier.size == 6 and copy.size == 7


def test_leaf_completing_maps_every_node_to_the_leaf_that_completes_it() -> None:
    frontier = Frontier()
    node = 0
    for leaf_index in range(300):
        for _ in frontier.extend([h_leaf(bytes([leaf_index % 256]))]):
            assert leaf_completing(node) == leaf_index
            node += 1


@settings(max_examples=100, deadline=None)
@given(data=st.data(), stored=st.integers(1, 200))
def test_first_difference_names_the_leaf_of_a_changed_node_or_leaf(
    data: st.DataObject, stored: int
) -> None:
    leaves = leaves_of(stored)
    table = MemoryNodes.of_leaves(leaves).hashes
    assert first_difference(Frontier(), leaves, table) is None
    node = data.draw(st.integers(0, len(table) - 1), label="node")
    damaged = list(table)
    damaged[node] = sha256(damaged[node]).digest()
    assert first_difference(Frontier(), leaves, damaged) == leaf_completing(node)
    changed = data.draw(st.integers(0, stored - 1), label="leaf")
    other = [*leaves[:changed], h_leaf(b"changed"), *leaves[changed + 1 :]]
    assert first_difference(Frontier(), other, table) == changed
    # Checked in two batches, the second from the frontier the first one left.
    half = stored // 2
    frontier = Frontier()
    assert first_difference(frontier, leaves[:half], table[: node_count(half)]) is None
    assert first_difference(frontier, leaves[half:], table[node_count(half) :]) is None
    # A stored tree with rows missing at its end names the first leaf without them.
    assert first_difference(Frontier(), leaves, table[:-1]) == stored - 1


@settings(max_examples=100, deadline=None)
@given(data=st.data(), batches=st.lists(st.integers(0, 60), min_size=1, max_size=5))
def test_the_by_leaf_layout_gives_the_same_nodes_and_proofs(
    data: st.DataObject, batches: list[int]
) -> None:
    """One row per leaf (its hash and the nodes it completes) serves the same proofs."""
    total = sum(batches)
    leaves = leaves_of(total)
    rows: list[bytes] = []
    frontier = Frontier()
    done = 0
    for batch in batches:
        rows.extend(frontier.extend_by_leaf(leaves[done : done + batch]))
        done += batch
    assert len(rows) == total
    assert b"".join(rows) == b"".join(MemoryNodes.of_leaves(leaves).hashes)
    if not total:
        return
    reader = LeafRowReader(lambda wanted: {leaf: rows[leaf] for leaf in wanted if leaf < total})
    table = MemoryNodes.of_leaves(leaves)
    size = data.draw(st.integers(1, total), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    size1 = data.draw(st.integers(1, size), label="size1")
    assert inclusion_proof(reader, index, size) == inclusion_proof(table, index, size)
    assert consistency_proof(reader, size1, size) == consistency_proof(table, size1, size)
    assert root_hash(reader, size) == mth(leaves[:size])
    with pytest.raises(MissingNodeError, match="not stored"):
        root_hash(reader, total + 1)
