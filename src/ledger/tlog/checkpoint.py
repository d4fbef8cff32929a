"""C2SP tlog-checkpoint (the signed tree head) and tlog-cosignature/v1 (a witness's cosignature).

A checkpoint's note text is the origin line, the tree size in decimal, the root hash in
base64 and optional extension lines. A cosignature/v1 is a note signature of key type 0x04
whose signed message is `cosignature/v1\\ntime <T>\\n` followed by the checkpoint's note
text, and whose signature bytes are the timestamp T (uint64, big-endian) and the Ed25519
signature.
"""

from __future__ import annotations

import re
import struct
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.tlog.merkle import HASH_SIZE
from ledger.tlog.note import (
    COSIGNATURE_V1,
    Note,
    NoteError,
    PrivateKey,
    Signature,
    Signer,
    Verifier,
    b64decode,
    b64encode,
    check_text,
    format_vkey,
    generate_key,
    key_id,
    parse_note,
    parse_vkey,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

_SIZE_RE: Final = re.compile(r"0|[1-9][0-9]*")
_u64: Final = struct.Struct(">Q")
COSIGNATURE_HEADER: Final = b"cosignature/v1\n"
MAX_TIMESTAMP: Final = (1 << 63) - 1


class CheckpointError(NoteError):
    """Raised when a checkpoint is malformed or its signatures do not verify."""


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin, tree size, root hash and (rarely) extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            msg = f"checkpoint origin must be one non-empty line, got {self.origin!r}"
            raise CheckpointError(msg)
        if self.size < 0:
            msg = f"checkpoint tree size must be >= 0, got {self.size}"
            raise CheckpointError(msg)
        if len(self.root) != HASH_SIZE:
            msg = f"checkpoint root hash must be {HASH_SIZE} bytes, got {len(self.root)}"
            raise CheckpointError(msg)
        if any(not line or "\n" in line for line in self.extensions):
            msg = "checkpoint extension lines must be non-empty single lines"
            raise CheckpointError(msg)

    def text(self) -> str:
        """The note text: origin, size, base64 root, extension lines, each ending in newline."""
        lines = [self.origin, str(self.size), b64encode(self.root), *self.extensions]
        return check_text("".join(line + "\n" for line in lines))

    @classmethod
    def parse_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint's note text; CheckpointError naming the line that is wrong."""
        try:
            check_text(text)
        except NoteError as e:
            raise CheckpointError(f"checkpoint: {e}") from None
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            msg = "a checkpoint needs an origin, a tree size and a root hash line"
            raise CheckpointError(msg)
        origin, size, root, *extensions = lines
        if not origin:
            raise CheckpointError("checkpoint origin line (line 1) is empty")
        if not _SIZE_RE.fullmatch(size):
            msg = f"checkpoint tree size (line 2) must be a decimal without leading zeros: {size!r}"
            raise CheckpointError(msg)
        try:
            root_hash = b64decode(root, "checkpoint root hash (line 3)")
        except NoteError as e:
            raise CheckpointError(str(e)) from None
        if len(root_hash) != HASH_SIZE or b64encode(root_hash) != root:
            msg = f"checkpoint root hash (line 3) must be 32 bytes in base64, got {root!r}"
            raise CheckpointError(msg)
        return cls(origin, int(size), root_hash, tuple(extensions))


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint together with the note carrying its signatures."""

    checkpoint: Checkpoint
    note: Note

    def format(self) -> str:
        """The signed note text as served at /checkpoint."""
        return self.note.format()

    def with_signatures(self, signatures: Sequence[Signature]) -> SignedCheckpoint:
        """The same checkpoint with more signature lines (e.g. a witness's cosignature)."""
        return SignedCheckpoint(self.checkpoint, self.note.with_signatures(signatures))


def parse_checkpoint(note: str) -> SignedCheckpoint:
    """Parse a signed checkpoint without verifying anything (CheckpointError if malformed)."""
    try:
        parsed = parse_note(note)
    except NoteError as e:
        raise CheckpointError(f"checkpoint: {e}") from None
    return SignedCheckpoint(Checkpoint.parse_text(parsed.text), parsed)


def open_checkpoint(
    note: str, verifiers: Sequence[Verifier], *, origin: str | None = None
) -> SignedCheckpoint:
    """Parse a signed checkpoint and verify it; CheckpointError unless a known key signed it."""
    signed = parse_checkpoint(note)
    if origin is not None and signed.checkpoint.origin != origin:
        msg = f"checkpoint origin is {signed.checkpoint.origin!r}, expected {origin!r}"
        raise CheckpointError(msg)
    try:
        signed.note.verified_by(verifiers)
    except NoteError as e:
        raise CheckpointError(f"checkpoint: {e}") from None
    return signed


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[Signer]) -> SignedCheckpoint:
    """Sign a checkpoint's note text with each signer (the log's key first)."""
    text = checkpoint.text()
    message = text.encode()
    sigs = tuple(Signature(s.name, s.key_id, s.sign(message)) for s in signers)
    return SignedCheckpoint(checkpoint, Note(text, sigs))


def cosigned_message(text: str, timestamp: int) -> bytes:
    """`cosignature/v1\\ntime <timestamp>\\n` followed by the checkpoint's note text."""
    return COSIGNATURE_HEADER + f"time {timestamp}\n".encode() + text.encode()


def _check_timestamp(timestamp: int) -> int:
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        msg = f"cosignature timestamp must be in 0..2^63-1, got {timestamp}"
        raise CheckpointError(msg)
    return timestamp


@dataclass(frozen=True)
class CosignatureVerifier:
    """A cosigner's key (type 0x04): checks timestamped cosignatures of checkpoints."""

    name: str
    key_id: bytes
    public_key: bytes

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True if `signature` is timestamp || Ed25519 over the cosigned message of `message`."""
        if len(signature) != 8 + 64:
            return False
        (timestamp,) = _u64.unpack(signature[:8])
        if timestamp > MAX_TIMESTAMP:
            return False
        signed = COSIGNATURE_HEADER + f"time {timestamp}\n".encode() + message
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature[8:], signed)
        except InvalidSignature:
            return False
        return True

    @property
    def vkey(self) -> str:
        """The cosigner's verifier key text (type 0x04)."""
        return format_vkey(self.name, COSIGNATURE_V1, self.public_key)


def cosignature_verifier(vkey: str) -> CosignatureVerifier:
    """The cosignature verifier of a type 0x04 verifier key; NoteError otherwise."""
    name, ident, key_type, public = parse_vkey(vkey)
    if key_type != COSIGNATURE_V1:
        msg = f"verifier key {name} has type {key_type:#04x}, a cosigner's key has 0x04"
        raise NoteError(msg)
    return CosignatureVerifier(name, ident, public)


def cosignature_timestamp(signature: Signature) -> int:
    """The timestamp a cosignature/v1 signature line carries."""
    if len(signature.signature) != 8 + 64:
        msg = (
            f"the cosignature of {signature.name} must be 72 bytes, got {len(signature.signature)}"
        )
        raise CheckpointError(msg)
    (timestamp,) = _u64.unpack(signature.signature[:8])
    return int(timestamp)


@dataclass(frozen=True)
class CosignatureSigner:
    """A cosigner's private key: signs checkpoints with cosignature/v1 at the clock's time.

    The key ID is always computed with type 0x04, whatever type byte the key text had.
    """

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)

    @classmethod
    def from_key(cls, key: PrivateKey, clock: Callable[[], float] = time.time) -> CosignatureSigner:
        """The cosigner of a parsed private key."""
        return cls(key.name, key.private_key, clock)

    @property
    def public_key(self) -> bytes:
        """The 32-byte Ed25519 public key."""
        return self.private_key.public_key().public_bytes_raw()

    @property
    def key_id(self) -> bytes:
        """SHA-256(name || 0x0A || 0x04 || public key)[:4]."""
        return key_id(self.name, COSIGNATURE_V1, self.public_key)

    @property
    def verifier(self) -> CosignatureVerifier:
        """The matching verifier."""
        return CosignatureVerifier(self.name, self.key_id, self.public_key)

    def sign(self, message: bytes) -> bytes:
        """timestamp || Ed25519(cosignature/v1 header, time line, note text `message`)."""
        timestamp = _check_timestamp(int(self.clock()))
        signed = COSIGNATURE_HEADER + f"time {timestamp}\n".encode() + message
        return _u64.pack(timestamp) + self.private_key.sign(signed)

    def cosign(self, checkpoint: Checkpoint) -> Signature:
        """The cosignature of a checkpoint (its signature line is `.line()`)."""
        return Signature(self.name, self.key_id, self.sign(checkpoint.text().encode()))


def generate_cosigner(name: str) -> PrivateKey:
    """A new cosigner key (type 0x04)."""
    return generate_key(name, COSIGNATURE_V1)


def cosigner_from_seed(name: str, seed: bytes) -> CosignatureSigner:
    """A cosigner from a 32-byte Ed25519 seed (tests, deterministic keys)."""
    return CosignatureSigner(name, Ed25519PrivateKey.from_private_bytes(seed))
