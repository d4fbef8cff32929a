"""The hash chain: its exact byte encoding, digests, chained events and chain errors."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from typing import TYPE_CHECKING, Final, NamedTuple
from uuid import UUID

if TYPE_CHECKING:
    from collections.abc import Iterable

# The chain, defined once.
#
#   h(0) = GENESIS = 32 zero bytes
#   h(n) = SHA-256( h(n-1)                           32 raw bytes
#                || position                         uint64 big-endian
#                || len(recorded_at) || recorded_at  uint32 BE length, ASCII text
#                || len(originator_id) || oid        uint32 BE length, UTF-8 text
#                || originator_version               int64 big-endian
#                || len(topic) || topic              uint32 BE length, UTF-8 text
#                || len(state) || state )            uint32 BE length, raw bytes
#
# position     the eventsourcing notification id (SQLite rowid, PostgreSQL notification_id)
# recorded_at  UTC, "YYYY-MM-DDTHH:MM:SS.ffffffZ" (always 27 characters, microseconds)
# originator_id  a UUID as 32 lowercase hex digits without dashes (UUID.hex)
# topic, state the stored event's topic and state bytes exactly as stored
#
# The last five fields are "the stored bytes" of the event (see event_bytes()).
#
# The state of every event stored by the ledger application carries a per-event salt:
# the key "salt", 16 random bytes (128 bits, from `secrets`) as unpadded base64url
# (ledger.store.salt). The chain hashes it like every other stored byte; since no reader
# of the API or the CLI sees it, a served hash cannot be recomputed over guessed values of
# a redacted field. Events stored before the salt was introduced have none.

GENESIS: Final = bytes(32)
CHAIN_TABLE: Final = "ledger_chain"
EVENTS_TABLE: Final = "stored_events"

_RECORDED_AT_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_HEX64_RE: Final = re.compile(r"[0-9a-f]{64}")
_pack_u64 = struct.Struct(">Q").pack
_pack_i64 = struct.Struct(">q").pack
_pack_u32 = struct.Struct(">I").pack


# How many ids one existence query names.
ID_CHUNK = 500


class StoreError(Exception):
    """Base class of the event store's errors."""


class ChainError(StoreError):
    """Raised when a write would break the hash chain, or the chain is damaged."""


class DigestError(StoreError, ValueError):
    """Raised when a digest string is not of the form POSITION:HASH."""


def format_recorded_at(moment: datetime) -> str:
    """Return the canonical recorded_at text of an aware datetime (UTC, microseconds, 'Z')."""
    if moment.tzinfo is None:
        msg = f"recorded_at must be timezone-aware, got naive {moment.isoformat()}"
        raise ValueError(msg)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_recorded_at(text: str) -> datetime:
    """Parse canonical recorded_at text into an aware UTC datetime; ValueError if not canonical."""
    if not isinstance(text, str) or not _RECORDED_AT_RE.fullmatch(text):
        msg = f"recorded_at must look like 2024-01-31T12:00:00.000000Z, got {text!r}"
        raise ValueError(msg)
    try:
        return datetime.fromisoformat(text)  # Python >= 3.11 reads the "Z" as UTC
    except ValueError as e:
        msg = f"recorded_at {text!r} is not a real date and time ({e})"
        raise ValueError(msg) from None


def now_recorded_at() -> str:
    """Return the current UTC time as canonical recorded_at text."""
    return format_recorded_at(datetime.now(UTC))


def next_recorded_at(now: str, previous: str | None) -> str:
    """Return max(now, previous): recorded_at never decreases along the position order."""
    if previous is not None and previous > now:
        return previous
    return now


def canonical_originator_id(originator_id: UUID | str) -> str:
    """Return the originator id as it is hashed: a UUID as 32 lowercase hex digits."""
    if isinstance(originator_id, UUID):
        return originator_id.hex
    return UUID(originator_id).hex


def event_bytes(originator_id: str, originator_version: int, topic: str, state: bytes) -> bytes:
    """Return the canonical 'stored bytes' of one event (originator_id already canonical)."""
    oid = originator_id.encode()
    top = topic.encode()
    return b"".join(
        (
            _pack_u32(len(oid)),
            oid,
            _pack_i64(originator_version),
            _pack_u32(len(top)),
            top,
            _pack_u32(len(state)),
            state,
        )
    )


def link_data(
    position: int,
    recorded_at: str,
    originator_id: str,
    originator_version: int,
    topic: str,
    state: bytes,
) -> bytes:
    """The bytes h(n) hashes after h(n-1): position, recorded_at and the stored bytes.

    The same bytes are the event's leaf in the Merkle tree (SHA-256(0x00 || these)), so
    that the tree commits to everything the chain does.
    """
    rec = recorded_at.encode()
    oid = originator_id.encode()
    top = topic.encode()
    return b"".join(
        (
            _pack_u64(position),
            _pack_u32(len(rec)),
            rec,
            _pack_u32(len(oid)),
            oid,
            _pack_i64(originator_version),
            _pack_u32(len(top)),
            top,
            _pack_u32(len(state)),
            state,
        )
    )


def link_hash(
    previous: bytes,
    position: int,
    recorded_at: str,
    originator_id: str,
    originator_version: int,
    topic: str,
    state: bytes,
) -> bytes:
    """Return h(n) = SHA-256(h(n-1) || position || recorded_at || stored bytes), 32 raw bytes."""
    rec = recorded_at.encode()
    oid = originator_id.encode()
    top = topic.encode()
    return sha256(
        b"".join(
            (
                previous,
                _pack_u64(position),
                _pack_u32(len(rec)),
                rec,
                _pack_u32(len(oid)),
                oid,
                _pack_i64(originator_version),
                _pack_u32(len(top)),
                top,
                _pack_u32(len(state)),
                state,
            )
        )
    ).digest()


#: One new link as the writers give it: position, originator id (UUID.hex), originator
#: version, topic, state.
NewLink = tuple[int, str, int, str, bytes]


def extend_links(
    previous: bytes, last: int, recorded_at: str, links: Iterable[NewLink]
) -> tuple[list[bytes], list[bytes]]:
    """The chain hashes h(n) and the tree's leaf hashes of new links, in position order.

    `previous` and `last` are the chain head's hash and position; every link is written at
    `recorded_at`. Each link's bytes (`link_data`) are laid out once and hashed twice: after
    h(n-1) for the chain, after 0x00 for its leaf (ledger.store.tree.leaf_of). ChainError
    when a position is not after the one before.
    """
    rec = recorded_at.encode()
    rec_part = _pack_u32(len(rec)) + rec
    u64, i64, u32, join = _pack_u64, _pack_i64, _pack_u32, b"".join
    hashes: list[bytes] = []
    leaves: list[bytes] = []
    add_hash, add_leaf = hashes.append, leaves.append
    for position, originator_id, originator_version, topic, state in links:
        if position <= last:
            msg = (
                f"new event position {position} is not after the chain head {last}: "
                "the store is damaged (run verify)"
            )
            raise ChainError(msg)
        oid = originator_id.encode()
        top = topic.encode()
        data = join(
            (
                u64(position),
                rec_part,
                u32(len(oid)),
                oid,
                i64(originator_version),
                u32(len(top)),
                top,
                u32(len(state)),
                state,
            )
        )
        previous = sha256(previous + data).digest()
        add_hash(previous)
        add_leaf(sha256(b"\x00" + data).digest())
        last = position
    return hashes, leaves


@dataclass(frozen=True)
class Digest:
    """A chain position with its hash (hex): the ledger's digest, written POSITION:HASH."""

    position: int
    hash: str

    def __post_init__(self) -> None:
        if self.position < 1:
            msg = f"digest position must be a whole number >= 1, got {self.position}"
            raise DigestError(msg)
        if not _HEX64_RE.fullmatch(self.hash):
            msg = f"digest hash must be 64 lowercase hex digits, got {self.hash!r}"
            raise DigestError(msg)

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Parse 'POSITION:HASH' (e.g. '12:9f86d0...'); DigestError naming the rule if malformed."""
        rule = "a digest is POSITION:HASH, a position >= 1 and 64 hex digits, e.g. 12:9f86d081…"
        position_text, sep, hash_text = text.strip().partition(":")
        if not sep or not position_text.isdigit():
            msg = f"invalid digest {text!r}: {rule}"
            raise DigestError(msg)
        hash_text = hash_text.lower()
        if not _HEX64_RE.fullmatch(hash_text) or int(position_text) < 1:
            msg = f"invalid digest {text!r}: {rule}"
            raise DigestError(msg)
        return cls(int(position_text), hash_text)

    @property
    def hash_bytes(self) -> bytes:
        """The hash as 32 raw bytes."""
        return bytes.fromhex(self.hash)

    def __str__(self) -> str:
        return f"{self.position}:{self.hash}"


class ChainedEvent(NamedTuple):
    """A stored event together with its chain row (position, recorded_at, hash).

    A named tuple, not a dataclass: the projector reads millions of them, and a frozen
    dataclass's `__init__` costs several times a tuple's construction.
    """

    position: int
    recorded_at: datetime
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes
    hash: bytes

    @property
    def recorded_at_text(self) -> str:
        """recorded_at as the canonical text that is hashed."""
        return format_recorded_at(self.recorded_at)

    def expected_hash(self, previous: bytes) -> bytes:
        """The hash this event's chain row must have, given the previous link's hash."""
        return link_hash(
            previous,
            self.position,
            self.recorded_at_text,
            self.originator_id.hex,
            self.originator_version,
            self.topic,
            self.state,
        )


@dataclass(frozen=True)
class ChainHead:
    """The last chain row as the writer needs it: position, recorded_at text and raw hash."""

    position: int
    recorded_at: str
    hash: bytes

    @property
    def digest(self) -> Digest:
        """This head as a Digest."""
        return Digest(self.position, self.hash.hex())
