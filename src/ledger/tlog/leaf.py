"""The tree's leaves: each event's bytes exactly as the chain hashes them after h(n-1)."""

from __future__ import annotations

import struct
from hashlib import sha256
from typing import TYPE_CHECKING, Final

from ledger.store.chain import event_bytes

if TYPE_CHECKING:
    from ledger.store.base import ChainRow

_pack_u64 = struct.Struct(">Q").pack
_pack_u32 = struct.Struct(">I").pack
_LEAF_PREFIX: Final = b"\x00"


def leaf_data(
    position: int,
    recorded_at: str,
    originator_id: str,
    originator_version: int,
    topic: str,
    state: bytes,
) -> bytes:
    """position || len(recorded_at) || recorded_at || stored bytes: h(n) hashes h(n-1) || this.

    Position and recorded_at are part of the leaf, as of the chain link, so that the tree
    commits to everything the chain does (no part checked only by its ends).
    """
    rec = recorded_at.encode()
    return b"".join(
        (
            _pack_u64(position),
            _pack_u32(len(rec)),
            rec,
            event_bytes(originator_id, originator_version, topic, state),
        )
    )


def event_leaf_hash(
    position: int,
    recorded_at: str,
    originator_id: str,
    originator_version: int,
    topic: str,
    state: bytes,
) -> bytes:
    """SHA-256(0x00 || leaf_data(...)): the event's RFC 9162 leaf hash."""
    data = leaf_data(position, recorded_at, originator_id, originator_version, topic, state)
    return sha256(_LEAF_PREFIX + data).digest()


def row_leaf_hash(row: ChainRow) -> bytes:
    """The leaf hash of a chain scan row; ValueError if its event row is missing."""
    position, recorded_at, _, oid, version, topic, state = row
    if oid is None or version is None or topic is None or state is None:
        msg = f"position {position}: the event row is missing, it has no leaf"
        raise ValueError(msg)
    return event_leaf_hash(position, recorded_at, oid, version, topic, state)
