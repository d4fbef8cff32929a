"""The proof documents the CLI and the API give, and the checks of what was asked.

    inclusion:   {"position", "leaf_index", "tree_size", "leaf_hash", "hashes"}
    consistency: {"from", "to", "hashes"}

Hashes are standard base64; the proofs are RFC 9162's (§2.1.3 and §2.1.4), read from the
stored complete subtrees in one batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger.tlog.merkle import consistency_ranges, hashes_of_ranges, inclusion_ranges
from ledger.tlog.note import b64encode

if TYPE_CHECKING:
    from ledger.tlog.merkle import NodeReader


class ProofRequestError(ValueError):
    """A proof asked for sizes or a position that make none; names the parameter."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")


def check_size(size: int, tree_size: int, parameter: str = "size") -> int:
    """A tree size of a proof: 1..tree_size; ProofRequestError naming `parameter` if not."""
    if size < 1:
        raise ProofRequestError(parameter, f"must be a tree size >= 1, got {size}")
    if size > tree_size:
        raise ProofRequestError(
            parameter, f"is beyond the tree: it has {tree_size} leaves, got {size}"
        )
    return size


def check_inclusion(position: int, leaf_index: int | None, size: int) -> int:
    """The leaf index of `position` if a tree of `size` leaves includes it."""
    if leaf_index is None:
        raise ProofRequestError("position", f"no event at position {position} in the tree")
    if leaf_index >= size:
        raise ProofRequestError(
            "position",
            f"position {position} is leaf {leaf_index}, after the tree of size {size}: "
            f"ask with a size of at least {leaf_index + 1}",
        )
    return leaf_index


def check_consistency(first: int, second: int, tree_size: int) -> None:
    """Sizes of a consistency proof: 1 <= first <= second <= tree_size."""
    check_size(first, tree_size, "from")
    check_size(second, tree_size, "to")
    if first > second:
        raise ProofRequestError("from", f"must not be larger than to ({second}), got {first}")


def inclusion_document(
    reader: NodeReader, position: int, leaf_index: int, size: int
) -> dict[str, Any]:
    """The inclusion proof of the event at `position` (leaf `leaf_index`) in the tree of
    `size` leaves, with its leaf hash: one read of stored nodes."""
    ranges = [(leaf_index, leaf_index + 1), *inclusion_ranges(leaf_index, size)]
    leaf, *path = hashes_of_ranges(reader, ranges)
    return {
        "position": position,
        "leaf_index": leaf_index,
        "tree_size": size,
        "leaf_hash": b64encode(leaf),
        "hashes": [b64encode(h) for h in path],
    }


def consistency_document(reader: NodeReader, first: int, second: int) -> dict[str, Any]:
    """The consistency proof from the tree of `first` leaves to that of `second`."""
    path = hashes_of_ranges(reader, consistency_ranges(first, second)) if first != second else []
    return {"from": first, "to": second, "hashes": [b64encode(h) for h in path]}
