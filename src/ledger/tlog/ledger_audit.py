#!/usr/bin/env python3
"""ledger-audit: check a ledger export offline against its signed checkpoints.

One file, Python >= 3.11 and the `cryptography` package (pip install cryptography); it
imports nothing of the ledger, so an auditor can read all of it. Written from RFC 9162
(Merkle tree, inclusion and consistency proofs) and C2SP signed-note, tlog-checkpoint,
tlog-cosignature and tlog-witness.

    ledger-audit.py verify EVENTS.jsonl --checkpoint CP --vkey KEY.pub [--since OLD_CP]
    ledger-audit.py prove POSITION EVENTS.jsonl --checkpoint CP --vkey KEY.pub [--format json]
    ledger-audit.py cosign CP --key WITNESS.key --state FILE [--vkey KEY.pub]
                           [--proof PROOF.json | --events EVENTS.jsonl]
    ledger-audit.py keygen NAME --out PREFIX          (a witness's cosigning key)

Exit status: 0 intact (or cosigned), 1 a check failed (the message names the first bad
position or the check), 2 bad input (unreadable or malformed file, bad arguments).

The chain: h(0) = 32 zero bytes and h(n) = SHA-256(h(n-1) || E(n)), where E(n) is
  position (uint64 BE) || len || recorded_at (ASCII) || len || originator_id (32 hex digits)
  || originator_version (int64 BE) || len || topic (UTF-8) || len || state (raw bytes),
each len a uint32 BE byte count. The tree: leaf n is SHA-256(0x00 || E(n)), in position order;
interior nodes SHA-256(0x01 || left || right), split at the largest power of two below the
size (RFC 9162 §2.1.1). A checkpoint signs (origin, tree size N, root of the first N leaves).
"""

from __future__ import annotations

import argparse
import binascii
import contextlib
import hashlib
import io
import itertools
import json
import os
import re
import struct
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator, Sequence

DESCRIPTION = "Check a ledger export offline against its signed checkpoints (RFC 9162, C2SP)."
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
GENESIS = bytes(32)
EMPTY_ROOT = hashlib.sha256(b"").digest()
ED25519, COSIGNATURE_V1 = 0x01, 0x04
SIG_PREFIX = "\u2014 "  # em dash, space

_u32 = struct.Struct(">I").pack
# An event's bytes up to its topic: position, recorded_at (always 27 characters) and the
# originator's id (always 32 hex digits), each after its length, the version and the
# topic's length; in one pack.
_HEAD = struct.Struct(">QI27sI32sqI").pack
_RECORDED_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
FIELDS = ("position", "recorded_at", "originator_id", "originator_version", "topic", "state")


class BadInputError(Exception):
    """A file or argument that cannot be read as what it should be (exit 2)."""


class CheckFailedError(Exception):
    """A check that failed: tampering, a bad signature, an inconsistent history (exit 1)."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


# --- RFC 9162 Merkle tree -------------------------------------------------------------


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def fold(stack: Sequence[bytes]) -> bytes:
    """The root over complete subtrees of decreasing size (a compact range), left to right."""
    if not stack:
        return EMPTY_ROOT
    root = stack[-1]
    for left in reversed(stack[:-1]):
        root = node_hash(left, root)
    return root


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def mth(leaves: Sequence[bytes], begin: int, end: int) -> bytes:
    """MTH(D[begin:end]) over leaf hashes, in one pass with a stack."""
    stack: list[bytes] = []
    for count, leaf in enumerate(leaves[begin:end]):
        h = leaf
        while count & 1:
            h = node_hash(stack.pop(), h)
            count >>= 1
        stack.append(h)
    return fold(stack)


def inclusion_path(leaves: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) (RFC 9162 §2.1.3.1)."""
    path: list[bytes] = []
    begin, end = 0, size
    while end - begin > 1:
        k = split_point(end - begin)
        if index < begin + k:
            path.append(mth(leaves, begin + k, end))
            end = begin + k
        else:
            path.append(mth(leaves, begin, begin + k))
            begin += k
    path.reverse()
    return path


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size or len(leaf) != 32:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
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
    """RFC 9162 §2.1.4.2 (a proof from size 0 proves nothing and is refused)."""
    if size1 <= 0 or size2 < size1:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if not proof:
        return False
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
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
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


# --- C2SP signed notes, checkpoints, cosignatures -----------------------------------------


def b64(data: bytes) -> str:
    """Standard base64 with padding."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    """Strict standard base64; BadInputError naming `what`."""
    try:
        return binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise BadInputError(f"{what} is not standard base64: {text[:60]!r}") from None


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || type || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def check_name(name: str, what: str) -> str:
    """A key name: non-empty, no spaces, no '+'."""
    if not name or "+" in name or any(c.isspace() for c in name) or _CONTROL.search(name):
        raise BadInputError(f"{what}: key name must be non-empty, without spaces or '+': {name!r}")
    return name


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise BadInputError(
            "this needs the cryptography package: pip install cryptography"
        ) from None
    return ed25519


@dataclass(frozen=True)
class VerifierKey:
    """A signed-note verifier key: name, key ID, type (0x01 note, 0x04 cosignature), key."""

    name: str
    key_id: bytes
    key_type: int
    public_key: bytes

    @classmethod
    def parse(cls, text: str, what: str) -> VerifierKey:
        """Parse `<name>+<hex key ID>+base64(type || public key)`."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise BadInputError(f"{what}: a verifier key is <name>+<8 hex digits>+<base64 key>")
        name = check_name(parts[0], what)
        raw = unb64(parts[2], f"{what}'s key")
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
            raise BadInputError(f"{what}: the key must be a type byte (0x01 or 0x04) and 32 bytes")
        if key_id(name, raw[0], raw[1:]) != bytes.fromhex(parts[1]):
            raise BadInputError(f"{what}: key id {parts[1]} does not match the key")
        return cls(name, bytes.fromhex(parts[1]), raw[0], raw[1:])

    def text(self) -> str:
        """The vkey text."""
        return f"{self.name}+{self.key_id.hex()}+{b64(bytes([self.key_type]) + self.public_key)}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Ed25519 over the note text (type 0x01) or over the cosigned message (type 0x04)."""
        if self.key_type == COSIGNATURE_V1:
            if len(signature) != 72:
                return False
            timestamp = int.from_bytes(signature[:8], "big")
            message = b"cosignature/v1\ntime %d\n" % timestamp + message
            signature = signature[8:]
        try:
            _crypto().Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except Exception:  # cryptography's InvalidSignature, or a malformed signature
            return False
        return True


@dataclass(frozen=True)
class Note:
    """A signed note: its text (with the final newline) and its signature lines."""

    text: str
    signatures: tuple[tuple[str, bytes, bytes], ...]  # (name, key id, signature)

    @classmethod
    def parse(cls, note: str, what: str) -> Note:
        """Split at the last blank line; each signature line is `— <name> base64(id || sig)`."""
        if _CONTROL.search(note):
            raise BadInputError(f"{what}: a note must not contain control characters but newline")
        split = note.rfind("\n\n")
        if split < 0 or not note.endswith("\n"):
            raise BadInputError(f"{what}: not a signed note (text, blank line, signature lines)")
        text, block = note[: split + 1], note[split + 2 :]
        lines = list(dict.fromkeys(block[:-1].split("\n")))
        if len(lines) > 100:
            raise BadInputError(f"{what}: more than 100 signatures")
        sigs = []
        for line in lines:
            if not line.startswith(SIG_PREFIX):
                raise BadInputError(f"{what}: a signature line must start with '— ': {line[:40]!r}")
            name, _, data = line[len(SIG_PREFIX) :].partition(" ")
            blob = unb64(data, f"{what}: the signature of {check_name(name, what)}")
            if len(blob) < 5:
                raise BadInputError(f"{what}: the signature of {name} is too short")
            sigs.append((name, blob[:4], blob[4:]))
        return cls(text, tuple(sigs))

    def verify(self, key: VerifierKey, what: str) -> None:
        """CheckFailedError unless `key` signed the note (other keys' signatures are ignored)."""
        mine = [s for s in self.signatures if s[0] == key.name and s[1] == key.key_id]
        if not mine:
            raise CheckFailedError(f"{what} carries no signature by {key.name}+{key.key_id.hex()}")
        for _, _, sig in mine:
            if not key.verify(self.text.encode(), sig):
                raise CheckFailedError(f"{what}: the signature of {key.name} does not verify")


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head: origin, size, root (C2SP tlog-checkpoint) and its note."""

    origin: str
    size: int
    root: bytes
    note: Note
    source: str

    @classmethod
    def parse(cls, note: str, what: str) -> Checkpoint:
        """Parse a signed checkpoint (not yet verified)."""
        parsed = Note.parse(note, what)
        lines = parsed.text[:-1].split("\n")
        if len(lines) < 3 or not lines[0]:
            raise BadInputError(f"{what}: a checkpoint needs origin, tree size and root hash lines")
        if not _DECIMAL.fullmatch(lines[1]):
            raise BadInputError(f"{what}: tree size (line 2) must be decimal digits: {lines[1]!r}")
        root = unb64(lines[2], f"{what}: root hash (line 3)")
        if len(root) != 32:
            raise BadInputError(f"{what}: root hash (line 3) must be 32 bytes")
        if any(not line for line in lines[3:]):
            raise BadInputError(f"{what}: extension lines must not be empty")
        return cls(lines[0], int(lines[1]), root, parsed, what)

    def describe(self) -> str:
        """origin, size and root for messages."""
        return f"{self.origin} size {self.size} root {b64(self.root)}"


def read_text(path: str, what: str) -> str:
    """A UTF-8 file's text; BadInputError if it cannot be read."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise BadInputError(f"{what} {path}: {getattr(e, 'strerror', None) or e}") from None


def load_checkpoint(path: str, key: VerifierKey, what: str) -> Checkpoint:
    """Read, parse and verify a checkpoint file (CheckFailedError if the signature fails)."""
    checkpoint = Checkpoint.parse(read_text(path, what), f"{what} {path}")
    checkpoint.note.verify(key, f"{what} {path}")
    return checkpoint


def load_vkey(path: str) -> VerifierKey:
    """The log's verifier key (type 0x01) from a file."""
    key = VerifierKey.parse(read_text(path, "verifier key"), f"verifier key {path}")
    if key.key_type != ED25519:
        raise BadInputError(f"verifier key {path}: the log's key must be of type 0x01 (Ed25519)")
    return key


# --- The export -----------------------------------------------------------------------
#
# The export is read in chunks of lines, each parsed and hashed on its own (by worker
# processes when the file is large and there are several cores): a chunk checks every link
# but its first, h(n) = SHA-256(h(n-1) || E(n)), with h(n-1) the hash exported on the line
# before, and returns its leaf hashes. Checking against the exported previous hash finds
# the same first bad position as recomputing from genesis: up to it, both hashes agree.
# The main process checks each chunk's first link against the last hash of the chunk
# before it and builds the tree from the leaf hashes in order.

CHUNK_BYTES = 4 << 20
# A line `ledger export` writes, split at its first 16 quotes, has 17 parts: the fields
# before the state at 2 (":position,"), 5, 9, 12 (":version,") and 15, and the rest. The
# line must start as these keys and punctuation with those fields put in between.
_FAST_KEYS = (
    b'{"position":',
    b',"recorded_at":"',
    b'","originator_id":"',
    b'","originator_version":',
    b',"topic":"',
    b'","state":"',
)
# Checks by translate(), several times faster than a regular expression per field.
_DIGITS_TO_ZERO = bytes.maketrans(b"0123456789", b"0000000000")
_RECORDED_AT_SHAPE = b"0000-00-00T00:00:00.000000Z"
_HEX_TO_ZERO = bytes.maketrans(b"0123456789abcdef", b"0" * 16)
_UUID_SHAPE = b"00000000-0000-0000-0000-000000000000"
# Maps what may not stand unescaped in the fast path's topic (control characters,
# backslash, non-ASCII) to 0, and the rest to itself.
_MARK_NOT_PLAIN = bytes(c if 32 <= c < 127 and c != 92 else 0 for c in range(256))


@dataclass
class Chunk:
    """What a worker found in one chunk of lines (all plain data, to cross processes)."""

    lines: int = 0
    leaves: bytes = b""
    positions: list[int] = field(default_factory=list)
    # The first event: position, recorded_at, E bytes, exported hash and line index (its
    # link is checked by the main process), and the last: position, recorded_at, hash.
    first: tuple[int, str, bytes, bytes, int] | None = None
    last: tuple[int, str, bytes] | None = None
    # The first problem: (exit status, message, position or None, line index in the chunk).
    problem: tuple[int, str, int | None, int] | None = None


def _slow_line(raw: bytes) -> tuple[int, bytes, bytes, int, bytes, bytes, bytes]:
    """Parse a line the fast path did not take, with json; BadInputError naming what is wrong."""
    try:
        record = json.loads(raw)
    except ValueError as e:
        raise BadInputError(f"not valid JSON ({e})") from None
    try:
        position = record["position"]
        version = record["originator_version"]
        recorded_at = record["recorded_at"]
        oid = record["originator_id"]
        topic = record["topic"]
        stored = record["hash"]
        if (
            type(position) is not int
            or type(version) is not int
            or not 1 <= position < 1 << 64
            or not -(1 << 63) <= version < 1 << 63
            or not _RECORDED_AT.fullmatch(recorded_at)
            or type(topic) is not str
            or not re.fullmatch(r"[0-9a-fA-F]{64}", stored)
        ):
            raise TypeError
        state = binascii.a2b_base64(record["state"], strict_mode=True)
        oid_hex = uuid.UUID(oid).hex
    except Exception:
        raise _bad_line(record) from None
    return (
        position,
        recorded_at.encode(),
        oid_hex.encode(),
        version,
        topic.encode(),
        state,
        bytes.fromhex(stored),
    )


def _bad_line(record: Any) -> BadInputError:
    """The precise complaint about an export line (the caller names the line)."""
    if not isinstance(record, dict):
        return BadInputError("expected a JSON object")
    for name in (*FIELDS, "hash"):
        if name not in record:
            return BadInputError(f"field {name!r} is missing")
    for name in ("position", "originator_version"):
        value = record[name]
        if type(value) is not int:
            return BadInputError(f"field {name!r} must be an integer, got {value!r}")
    if not 1 <= record["position"] < 1 << 64:
        return BadInputError(f"field 'position' must be >= 1, got {record['position']}")
    if not -(1 << 63) <= record["originator_version"] < 1 << 63:
        return BadInputError("field 'originator_version' is out of the int64 range")
    for name in ("recorded_at", "originator_id", "topic", "state", "hash"):
        if not isinstance(record[name], str):
            return BadInputError(f"field {name!r} must be a string")
    if not _RECORDED_AT.fullmatch(record["recorded_at"]):
        return BadInputError("field 'recorded_at' must look like 2024-01-31T12:00:00.000000Z")
    try:
        uuid.UUID(record["originator_id"])
    except ValueError:
        return BadInputError("field 'originator_id' must be a UUID")
    try:
        binascii.a2b_base64(record["state"], strict_mode=True)
    except (binascii.Error, ValueError):
        return BadInputError("field 'state' must be standard base64")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", record["hash"]):
        return BadInputError("field 'hash' must be 64 hex digits")
    return BadInputError("unreadable event")


def scan_chunk(path: str, start: int, end: int) -> Chunk:
    """Parse and hash the lines in bytes [start, end) of the export (a worker's job)."""
    chunk = Chunk()
    try:
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read(end - start)
    except OSError as e:
        chunk.problem = (EXIT_BAD_INPUT, f"events {path}: {e.strerror or e}", None, -1)
        return chunk
    lines = io.BytesIO(data).readlines()  # each with its newline; faster than split
    chunk.lines = len(lines)
    sha, a2b, unhex = hashlib.sha256, binascii.a2b_base64, binascii.a2b_hex
    head, u32 = _HEAD, _u32
    digits, hex_digits, mark = _DIGITS_TO_ZERO, _HEX_TO_ZERO, _MARK_NOT_PLAIN
    recorded_at_shape, uuid_shape = _RECORDED_AT_SHAPE, _UUID_SHAPE
    k0, k1, k2, k3, k4, k5 = _FAST_KEYS
    leaves: list[bytes] = []
    positions = chunk.positions
    previous: bytes | None = None
    last_position, last_recorded_at = 0, b""
    index = -1
    try:
        for index, raw in enumerate(lines):
            # The fast path takes exactly the lines `ledger export` writes; anything else
            # (other spacing, escapes, key order, non-ASCII topics) goes through json. It
            # splits only the short fields: the rest after the topic is the state and the
            # hash, cut out by their fixed surroundings.
            p = raw.split(b'"', 16)
            try:
                tail = p[-1]
                if (
                    len(p) != 17
                    # ,"state":" <base64> ","hash":" <64 hex digits> "}\n, not overlapping
                    or len(tail) < 87
                    or tail[-77:-67] != b'","hash":"'
                    or tail[-3:] != b'"}\n'
                ):
                    raise ValueError
                stored = unhex(tail[-67:-3])
                position_text, version_text = p[2][1:-1], p[12][1:-1]
                recorded_at, dashed, topic = p[5], p[9], p[15]
                if (
                    # <digits> without a leading zero: a JSON integer >= 1 (others: json)
                    not position_text.isdigit()  # ASCII digits only, for bytes
                    or position_text[0] == 48  # "0"
                    or not version_text.isdigit()
                    or version_text[0] == 48
                    or recorded_at.translate(digits) != recorded_at_shape
                    or dashed.translate(hex_digits) != uuid_shape  # lowercase, dashed
                    or 0 in topic.translate(mark)  # printable ASCII, no backslash
                    # The fields hold no quote: the line starts as the keys with them.
                    or not raw.startswith(
                        b"".join(
                            (
                                k0,
                                position_text,
                                k1,
                                recorded_at,
                                k2,
                                dashed,
                                k3,
                                version_text,
                                k4,
                                topic,
                                k5,
                            )
                        )
                    )
                ):
                    raise ValueError
                position, version = int(position_text), int(version_text)
                if position >= 1 << 64 or version >= 1 << 63:
                    raise ValueError
                oid = dashed.replace(b"-", b"")
                state = a2b(tail[10:-77], strict_mode=True)
            except ValueError:  # binascii.Error is one
                if not raw.strip():
                    continue
                position, recorded_at, oid, version, topic, state, stored = _slow_line(raw)
            data = b"".join(
                (
                    head(position, 27, recorded_at, 32, oid, version, len(topic)),
                    topic,
                    u32(len(state)),
                    state,
                )
            )
            if previous is None:
                chunk.first = (position, recorded_at.decode("ascii"), data, stored, index)
            else:
                if position <= last_position:
                    raise CheckFailedError(
                        f"positions must increase (after {last_position})", position
                    )
                if sha(previous + data).digest() != stored:
                    raise CheckFailedError(_MISMATCH, position)
                if recorded_at < last_recorded_at:
                    raise CheckFailedError(
                        f"recorded_at {recorded_at.decode()} is earlier than "
                        f"{last_recorded_at.decode()} before it",
                        position,
                    )
            previous, last_position, last_recorded_at = stored, position, recorded_at
            leaves.append(sha(b"\x00" + data).digest())
            positions.append(position)
    except CheckFailedError as e:
        chunk.problem = (EXIT_FAILED, str(e), e.position, index)
    except BadInputError as e:
        chunk.problem = (EXIT_BAD_INPUT, str(e), None, index)
    chunk.leaves = b"".join(leaves)
    if previous is not None:
        chunk.last = (last_position, last_recorded_at.decode("ascii"), previous)
    return chunk


_MISMATCH = (
    "chain hash mismatch: the event's bytes, its recorded_at or its exported hash were "
    "changed, or an event before it was removed"
)


@dataclass
class Scan:
    """What one pass over an export found: the chain's end and the tree at chosen sizes."""

    count: int = 0
    head: tuple[int, str] | None = None
    roots: dict[int, bytes] = field(default_factory=dict)
    positions: dict[int, int] = field(default_factory=dict)  # size -> last position in it
    leaves: list[bytes] | None = None
    index_of: dict[int, int] = field(default_factory=dict)  # wanted position -> leaf index


def chunk_bounds(path: str, chunk_bytes: int = 0) -> list[tuple[int, int]]:
    """Byte ranges of about chunk_bytes (default CHUNK_BYTES) each, cut after a newline."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    try:
        size = os.path.getsize(path)
        bounds = [0]
        with open(path, "rb") as f:
            while bounds[-1] + chunk_bytes < size:
                f.seek(bounds[-1] + chunk_bytes)
                f.readline()
                bounds.append(min(f.tell(), size))
    except OSError as e:
        raise BadInputError(f"events {path}: {e.strerror or e}") from None
    if bounds[-1] < size:
        bounds.append(size)
    return list(itertools.pairwise(bounds))


def default_jobs() -> int:
    """How many processes parse the export: the usable cores, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _pool(jobs: int) -> Any:
    """A process pool, or None where processes cannot be started (then one process reads)."""
    try:
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=jobs)
    except (ImportError, OSError, NotImplementedError):  # e.g. no /dev/shm in a container
        return None


def _chunks(path: str, jobs: int, chunk_bytes: int) -> Generator[Chunk, None, None]:
    """The export's chunks, scanned in order (by `jobs` processes when there are several)."""
    bounds = chunk_bounds(path, chunk_bytes)
    pool = _pool(min(jobs, len(bounds))) if jobs > 1 and len(bounds) > 1 else None
    if pool is None:
        for start, end in bounds:
            yield scan_chunk(path, start, end)
        return
    try:
        # A few chunks ahead of the one being folded into the tree, not the whole file.
        pending: list[Any] = []
        for start, end in bounds:
            pending.append(pool.submit(scan_chunk, path, start, end))
            if len(pending) > 2 * jobs:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def scan(
    path: str,
    sizes: Sequence[int] = (),
    *,
    keep_leaves: bool = False,
    find: Sequence[int] = (),
    jobs: int = 0,
    chunk_bytes: int = 0,
) -> Scan:
    """Read the export once: check every chain link, build the tree; fail at the first break.

    Records the root after each of `sizes` leaves, and the leaf index of each position in
    `find`. Blank lines are skipped, as `ledger import` does.
    """
    result = Scan(leaves=[] if keep_leaves else None)
    wanted = set(sizes)
    found = set(find)
    sha = hashlib.sha256
    stack: list[bytes] = []
    count = 0
    lines_before = 0
    previous, last_position, last_recorded_at = GENESIS, 0, ""
    with contextlib.closing(_chunks(path, jobs or default_jobs(), chunk_bytes)) as chunks:
        for chunk in chunks:
            if chunk.first is not None:
                position, recorded_at, data, stored, index = chunk.first
                line = lines_before + index + 1
                where = f"position {position} (events line {line})"
                if position <= last_position:
                    raise CheckFailedError(
                        f"{where}: positions must increase (after {last_position})", position
                    )
                if sha(previous + data).digest() != stored:
                    raise CheckFailedError(f"{where}: {_MISMATCH}", position)
                if recorded_at < last_recorded_at:
                    raise CheckFailedError(
                        f"{where}: recorded_at {recorded_at} is earlier than {last_recorded_at}",
                        position,
                    )
            if chunk.problem is not None:
                status, message, position_or_none, index = chunk.problem
                line = lines_before + index + 1
                if status == EXIT_FAILED:
                    raise CheckFailedError(
                        f"position {position_or_none} (events line {line}): {message}",
                        position_or_none,
                    )
                raise BadInputError(message if index < 0 else f"events line {line}: {message}")
            leaves = chunk.leaves
            if result.leaves is not None:
                result.leaves.extend(leaves[i : i + 32] for i in range(0, len(leaves), 32))
            if found:
                for offset, position in enumerate(chunk.positions):
                    if position in found:
                        result.index_of[position] = count + offset
            for i in range(0, len(leaves), 32):
                h = leaves[i : i + 32]
                merge = count
                while merge & 1:
                    h = sha(b"\x01" + stack.pop() + h).digest()
                    merge >>= 1
                stack.append(h)
                count += 1
                if count in wanted:
                    result.roots[count] = fold(stack)
                    result.positions[count] = chunk.positions[i // 32]
            if chunk.last is not None:
                last_position, last_recorded_at, previous = chunk.last
            lines_before += chunk.lines
    result.count = count
    if count:
        result.head = (last_position, previous.hex())
    return result


# --- Commands -------------------------------------------------------------------------


def say(text: str) -> None:
    """One line of result on standard output."""
    print(text, flush=True)


def check_tree(scanned: Scan, checkpoint: Checkpoint, what: str) -> None:
    """Fail unless the checkpoint's root is the tree over the export's first N events."""
    size = checkpoint.size
    if scanned.count < size:
        raise CheckFailedError(
            f"{what} covers {size} events but the export holds only {scanned.count}: events "
            "were removed from its end (a truncated tail), or the export predates the checkpoint"
        )
    root = EMPTY_ROOT if size == 0 else scanned.roots[size]
    if root != checkpoint.root:
        last = scanned.positions.get(size, 0)
        raise CheckFailedError(
            f"{what} ({checkpoint.describe()}) does not match the tree over the export's first "
            f"{size} events (positions up to {last}, root {b64(root)}): the events it signed "
            "were changed, inserted, removed or reordered, and the chain recomputed"
        )


def cmd_verify(args: argparse.Namespace) -> int:
    """verify: every chain link, the tree, the checkpoint(s)."""
    key = load_vkey(args.vkey)
    checkpoint = load_checkpoint(args.checkpoint, key, "checkpoint")
    older = load_checkpoint(args.since, key, "older checkpoint") if args.since else None
    if older is not None and older.origin != checkpoint.origin:
        raise CheckFailedError(
            f"the older checkpoint is for origin {older.origin!r}, "
            f"the checkpoint for {checkpoint.origin!r}"
        )
    if older is not None and older.size > checkpoint.size:
        raise CheckFailedError(
            f"the older checkpoint (size {older.size}) is larger than the checkpoint (size "
            f"{checkpoint.size}): the log went back, or the two were given the wrong way round"
        )
    sizes = [checkpoint.size] + ([older.size] if older is not None else [])
    started = time.perf_counter()
    scanned = scan(args.events, sizes, jobs=args.jobs, chunk_bytes=args.chunk_bytes)
    seconds = time.perf_counter() - started
    head = f"head {scanned.head[0]}:{scanned.head[1]}" if scanned.head else "empty"
    say(f"chain intact: {scanned.count} events, {head}")
    check_tree(scanned, checkpoint, "the checkpoint")
    say(
        f"checkpoint verified: {checkpoint.describe()}, signed by {key.name}+{key.key_id.hex()}; "
        f"its root is the tree over the first {checkpoint.size} events"
    )
    if older is not None:
        if older.size == 0:
            if older.root != EMPTY_ROOT:
                raise CheckFailedError(
                    "the older checkpoint has size 0 but not the empty tree's root"
                )
        else:
            try:
                check_tree(scanned, older, "the older checkpoint")
            except CheckFailedError as e:
                raise CheckFailedError(
                    f"consistency: {e} — the history the older checkpoint signed was rewritten"
                ) from None
        say(
            f"consistent: the older checkpoint ({older.describe()}) is a prefix of the "
            "checkpoint's tree"
        )
    extra = scanned.count - checkpoint.size
    if extra:
        first = scanned.positions.get(checkpoint.size, 0)
        say(
            f"{extra} events after the checkpoint (after position {first}) are not covered by "
            "it; their chain verifies"
        )
    if args.timing:
        rate = scanned.count / seconds if seconds else 0.0
        spent = os.times()  # CPU of this process, and of the worker processes it waited for
        here, workers = spent.user + spent.system, spent.children_user + spent.children_system
        say(
            f"timing: {scanned.count} events in {seconds:.3f} s, {rate:,.0f} events/s; "
            f"CPU {here:.2f} s here, {workers:.2f} s in workers"
        )
    return EXIT_OK


def cmd_prove(args: argparse.Namespace) -> int:
    """prove: compute and check the inclusion proof of one position."""
    key = load_vkey(args.vkey)
    checkpoint = load_checkpoint(args.checkpoint, key, "checkpoint")
    if args.position < 1:
        raise BadInputError(f"POSITION must be >= 1, got {args.position}")
    scanned = scan(args.events, [checkpoint.size], keep_leaves=True, find=[args.position])
    leaves = scanned.leaves or []
    index = scanned.index_of.get(args.position)
    if index is None:
        raise CheckFailedError(f"position {args.position} is not in the export", args.position)
    if index >= checkpoint.size:
        raise CheckFailedError(
            f"position {args.position} is leaf {index}, after the checkpoint's {checkpoint.size} "
            "events: a later checkpoint covers it",
            args.position,
        )
    if scanned.count < checkpoint.size:
        check_tree(scanned, checkpoint, "the checkpoint")
    proof = inclusion_path(leaves, index, checkpoint.size)
    if not verify_inclusion(index, checkpoint.size, leaves[index], proof, checkpoint.root):
        raise CheckFailedError(
            f"position {args.position}: the inclusion proof computed from the export does not "
            f"verify against the checkpoint ({checkpoint.describe()})",
            args.position,
        )
    document = {
        "position": args.position,
        "leaf_index": index,
        "tree_size": checkpoint.size,
        "leaf_hash": b64(leaves[index]),
        "hashes": [b64(h) for h in proof],
    }
    if args.format == "json":
        say(json.dumps(document))
    else:
        say(
            f"included: position {args.position} is leaf {index} of {checkpoint.describe()}; "
            f"the proof of {len(proof)} hashes verifies (RFC 9162 §2.1.3.2)"
        )
        say(f"leaf_hash {document['leaf_hash']}")
        for h in document["hashes"]:
            say(f"hash {h}")
    return EXIT_OK


def read_proof(path: str, size1: int, size2: int) -> list[bytes]:
    """A consistency proof: the JSON of `ledger proof consistency`, or one base64 hash a line."""
    text = read_text(path, "consistency proof")
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except ValueError as e:
            raise BadInputError(f"consistency proof {path}: not valid JSON ({e})") from None
        if not isinstance(document, dict) or not isinstance(document.get("hashes"), list):
            raise BadInputError(f"consistency proof {path}: expected {{'from', 'to', 'hashes'}}")
        if (document.get("from"), document.get("to")) != (size1, size2):
            raise BadInputError(
                f"consistency proof {path} is from {document.get('from')} to "
                f"{document.get('to')}, the witness needs {size1} to {size2}"
            )
        lines = document["hashes"]
    else:
        # Text: the last word of each line that is a 32-byte base64 hash (other lines, such
        # as tlog-witness's "old N" or a heading, are not hashes).
        lines = [w[-1] for w in (line.split() for line in stripped.split("\n")) if w]
        lines = [word for word in lines if len(word) == 44 and word.endswith("=")]
    hashes = []
    for line in lines:
        if not isinstance(line, str):
            raise BadInputError(f"consistency proof {path}: hashes must be base64 strings")
        h = unb64(line.strip(), f"consistency proof {path}")
        if len(h) != 32:
            raise BadInputError(f"consistency proof {path}: each hash must be 32 bytes")
        hashes.append(h)
    return hashes


@contextlib.contextmanager
def locked(path: str) -> Iterator[None]:
    """Hold an exclusive lock beside the state file: the check and the update are atomic."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: one witness process at a time, by convention
        yield
        return
    try:
        handle = open(path + ".lock", "a")  # noqa: SIM115 (closed below)
    except OSError as e:
        raise BadInputError(f"state {path}.lock: {e.strerror or e}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()


def write_atomically(path: str, text: str) -> None:
    """Replace a file's content in one step (a crash leaves the old or the new state)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".witness-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def load_signing_key(path: str) -> tuple[str, Any]:
    """A `PRIVATE+KEY+<name>+<id>+base64(type || seed)` file: (name, Ed25519 private key)."""
    text = read_text(path, "key").strip()
    what = f"key {path}"
    if not text.startswith("PRIVATE+KEY+"):
        raise BadInputError(f"{what}: a private key starts with PRIVATE+KEY+")
    parts = text[len("PRIVATE+KEY+") :].split("+", 2)
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise BadInputError(f"{what}: expected PRIVATE+KEY+<name>+<8 hex digits>+<base64 key>")
    name = check_name(parts[0], what)
    raw = unb64(parts[2], what)
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise BadInputError(
            f"{what}: the key must be a type byte (0x01 or 0x04) and a 32-byte seed"
        )
    private = _crypto().Ed25519PrivateKey.from_private_bytes(raw[1:])
    public = private.public_key().public_bytes_raw()
    if key_id(name, raw[0], public) != bytes.fromhex(parts[1]):
        raise BadInputError(f"{what}: key id {parts[1]} does not match the key")
    return name, private


def cmd_cosign(args: argparse.Namespace) -> int:
    """cosign: check consistency with the last cosigned checkpoint, then cosign (tlog-witness)."""
    name, private = load_signing_key(args.key)
    public = private.public_key().public_bytes_raw()
    witness = VerifierKey(name, key_id(name, COSIGNATURE_V1, public), COSIGNATURE_V1, public)
    with locked(args.state):
        state: dict[str, Any] = {}
        if os.path.exists(args.state):
            try:
                state = json.loads(read_text(args.state, "state"))
            except ValueError:
                raise BadInputError(f"state {args.state}: not a witness state (JSON)") from None
            if not isinstance(state, dict) or not isinstance(state.get("vkey"), str):
                raise BadInputError(f"state {args.state}: not a witness state (no log vkey)")
        if args.vkey:
            key = load_vkey(args.vkey)
            if state and VerifierKey.parse(state["vkey"], "state").text() != key.text():
                raise BadInputError(
                    f"state {args.state} trusts the log key {state['vkey']}, --vkey gives "
                    f"{key.text()}: use another state file for another log"
                )
        elif state:
            key = VerifierKey.parse(state["vkey"], f"state {args.state}")
        else:
            raise BadInputError(
                f"state {args.state} does not exist yet: give the log's key with --vkey KEY.pub"
            )
        checkpoint = load_checkpoint(args.checkpoint, key, "checkpoint")
        if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
            raise CheckFailedError("the checkpoint has size 0 but not the empty tree's root")
        old = None
        if isinstance(state.get("checkpoint"), str):
            old = Checkpoint.parse(state["checkpoint"], f"state {args.state}")
        if old is not None:
            if old.origin != checkpoint.origin:
                raise CheckFailedError(
                    f"this witness state is for origin {old.origin!r}, the checkpoint is for "
                    f"{checkpoint.origin!r}"
                )
            if checkpoint.size < old.size:
                raise CheckFailedError(
                    f"the checkpoint (size {checkpoint.size}) is older than the one last "
                    f"cosigned (size {old.size}): not cosigned"
                )
            if checkpoint.size == old.size and checkpoint.root != old.root:
                raise CheckFailedError(
                    f"the checkpoint and the one last cosigned both have size {old.size} but "
                    "different roots: the log forked; not cosigned"
                )
            if 0 < old.size < checkpoint.size:
                check_consistency(args, old, checkpoint)
        timestamp = int(time.time())
        message = b"cosignature/v1\ntime %d\n" % timestamp + checkpoint.note.text.encode()
        signature = struct.pack(">Q", timestamp) + private.sign(message)
        line = f"{SIG_PREFIX}{witness.name} {b64(witness.key_id + signature)}"
        cosigned = checkpoint.note.text + "\n"
        cosigned += "".join(
            f"{SIG_PREFIX}{n} {b64(i + s)}\n" for n, i, s in checkpoint.note.signatures
        )
        cosigned += line + "\n"
        write_atomically(
            args.state,
            json.dumps({"vkey": key.text(), "checkpoint": cosigned}, indent=1) + "\n",
        )
    say(line)
    return EXIT_OK


def check_consistency(args: argparse.Namespace, old: Checkpoint, new: Checkpoint) -> None:
    """Fail unless the new checkpoint's tree extends the old one's (a proof or the events)."""
    if args.proof:
        proof = read_proof(args.proof, old.size, new.size)
        if not verify_consistency(old.size, new.size, old.root, new.root, proof):
            raise CheckFailedError(
                f"the consistency proof from size {old.size} to {new.size} does not verify: "
                "the checkpoint does not extend the one last cosigned; not cosigned"
            )
        return
    if args.events:
        scanned = scan(args.events, [old.size, new.size])
        check_tree(scanned, new, "the checkpoint")
        try:
            check_tree(scanned, old, "the checkpoint last cosigned")
        except CheckFailedError as e:
            raise CheckFailedError(f"consistency: {e}; not cosigned") from None
        return
    raise BadInputError(
        f"the last cosigned checkpoint has size {old.size}: give a consistency proof from "
        f"{old.size} to {new.size} (--proof FILE, e.g. from `ledger proof consistency "
        f"{old.size} {new.size} --format json`) or the export (--events EVENTS.jsonl)"
    )


def cmd_keygen(args: argparse.Namespace) -> int:
    """keygen: a witness's cosigning key (type 0x04): PREFIX.key (0600) and PREFIX.pub."""
    name = check_name(args.name, "keygen")
    private = _crypto().Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    public = private.public_key().public_bytes_raw()
    ident = key_id(name, COSIGNATURE_V1, public).hex()
    secret = f"PRIVATE+KEY+{name}+{ident}+{b64(bytes([COSIGNATURE_V1]) + seed)}\n"
    vkey = VerifierKey(name, bytes.fromhex(ident), COSIGNATURE_V1, public).text() + "\n"
    try:
        fd = os.open(args.out + ".key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as e:
        raise BadInputError(f"{args.out}.key: {e.strerror or e}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secret)
    try:
        with open(args.out + ".pub", "w", encoding="utf-8") as f:
            f.write(vkey)
    except OSError as e:
        raise BadInputError(f"{args.out}.pub: {e.strerror or e}") from None
    say(f"wrote {args.out}.key (keep it secret) and {args.out}.pub: {vkey.strip()}")
    return EXIT_OK


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors as BadInputError (exit 2, one line)."""

    def error(self, message: str) -> NoReturn:
        raise BadInputError(f"{message} (see --help)")


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = Parser(prog="ledger-audit.py", description=DESCRIPTION)
    commands = top.add_subparsers(dest="command", required=True, parser_class=Parser)
    p = commands.add_parser("verify", help="verify an export against a signed checkpoint")
    p.add_argument("events", help="the export (ledger export), JSON Lines")
    p.add_argument("--checkpoint", required=True, help="a signed checkpoint (ledger checkpoint)")
    p.add_argument("--vkey", required=True, help="the log's verifier key (the bundle's *.pub)")
    p.add_argument("--since", help="an older signed checkpoint: its tree must be a prefix")
    p.add_argument("--timing", action="store_true", help="also print events per second")
    p.add_argument(
        "--jobs", type=int, default=0, help="processes reading the export (default: cores)"
    )
    p.add_argument("--chunk-bytes", type=int, default=0, help=argparse.SUPPRESS)  # tests
    p.set_defaults(run=cmd_verify)
    p = commands.add_parser("prove", help="compute and check the inclusion proof of a position")
    p.add_argument("position", type=int, help="the event's position")
    p.add_argument("events", help="the export (ledger export), JSON Lines")
    p.add_argument("--checkpoint", required=True, help="a signed checkpoint")
    p.add_argument("--vkey", required=True, help="the log's verifier key")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=cmd_prove)
    p = commands.add_parser("cosign", help="witness: cosign a checkpoint consistent with the last")
    p.add_argument("checkpoint", help="the log's signed checkpoint")
    p.add_argument("--key", required=True, help="the witness's private key (keygen)")
    p.add_argument("--state", required=True, help="the witness's state file for this log")
    p.add_argument("--vkey", help="the log's verifier key (needed the first time)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--proof", help="consistency proof from the last cosigned size (JSON)")
    source.add_argument("--events", help="or the export, to recompute the tree")
    p.set_defaults(run=cmd_cosign)
    p = commands.add_parser("keygen", help="make a witness's cosigning key (type 0x04)")
    p.add_argument("name", help="the witness's key name, e.g. witness.example/w1")
    p.add_argument("--out", required=True, help="writes OUT.key (secret) and OUT.pub")
    p.set_defaults(run=cmd_keygen)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; exit 0 intact, 1 a failed check, 2 bad input."""
    try:
        args = parser().parse_args(argv)
        status: int = args.run(args)
        return status
    except CheckFailedError as e:
        print(f"ledger-audit: FAILED: {e}", file=sys.stderr)
        if e.position is not None:
            say(f"first bad position: {e.position}")
        return EXIT_FAILED
    except BadInputError as e:
        print(f"ledger-audit: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug or an unforeseen input: one line, never a traceback
        print(f"ledger-audit: error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
