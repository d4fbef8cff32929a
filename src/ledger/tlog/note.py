"""C2SP signed-note (c2sp.org/signed-note): Ed25519 keys, signing and verifying notes.

A note is a text ending in a newline, a blank line, and signature lines
`— <key name> base64(key ID || signature)`. A key is identified by its name and its 4-byte
key ID, SHA-256(name || 0x0A || type || public key)[:4]. Keys are written as
`PRIVATE+KEY+<name>+<hex key ID>+base64(type || seed)` (signer) and
`<name>+<hex key ID>+base64(type || public key)` (verifier key, "vkey").
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field
from hashlib import sha256
from typing import TYPE_CHECKING, Final, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

#: Signature type of plain Ed25519 note signatures.
ED25519: Final = 0x01
#: Signature type of timestamped Ed25519 checkpoint cosignatures (c2sp.org/tlog-cosignature).
COSIGNATURE_V1: Final = 0x04
SIGNATURE_PREFIX: Final = "— "  # em dash, space
PRIVATE_KEY_PREFIX: Final = "PRIVATE+KEY+"
#: Verifiers must accept at least 16 signatures; beyond this many a note is refused.
MAX_SIGNATURES: Final = 100

_CONTROL_RE: Final = re.compile(r"[\x00-\x09\x0b-\x1f]")
_KEY_ID_RE: Final = re.compile(r"[0-9a-f]{8}")


class NoteError(ValueError):
    """Raised when a note or key is malformed, or a note's signatures do not verify."""


class Signer(Protocol):
    """Something that signs note texts under a key name and key ID."""

    @property
    def name(self) -> str:
        """The key name."""
        ...

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        ...

    def sign(self, message: bytes) -> bytes:
        """The signature of the note text (without the key ID)."""
        ...


class Verifier(Protocol):
    """Something that checks signatures made under a key name and key ID."""

    @property
    def name(self) -> str:
        """The key name."""
        ...

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        ...

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True if `signature` (without the key ID) signs the note text `message`."""
        ...


def check_key_name(name: str) -> str:
    """Return the name if it is a valid key name (non-empty, no spaces, no '+'); else NoteError."""
    if not name or "+" in name or any(c.isspace() for c in name) or _CONTROL_RE.search(name):
        msg = f"key name must be non-empty, without spaces or '+', got {name!r}"
        raise NoteError(msg)
    return name


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || type || public key)[:4]: the key ID of a signed-note key."""
    return sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def b64decode(text: str, what: str) -> bytes:
    """Strict standard base64 (RFC 4648 §4), NoteError naming `what` if it is not."""
    try:
        return binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        msg = f"{what} must be standard base64, got {text[:60]!r}"
        raise NoteError(msg) from None


def b64encode(data: bytes) -> str:
    """Standard base64 text with padding."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")


@dataclass(frozen=True)
class Ed25519Verifier:
    """A verifier key of type 0x01: Ed25519 over the note text."""

    name: str
    key_id: bytes
    public_key: bytes

    key_type: int = field(default=ED25519, init=False)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True if `signature` is this key's Ed25519 signature of `message`."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True

    @property
    def vkey(self) -> str:
        """The verifier key text."""
        return format_vkey(self.name, self.key_type, self.public_key)


@dataclass(frozen=True)
class Ed25519Signer:
    """A private key of type 0x01, signing note texts with Ed25519."""

    name: str
    key_id: bytes
    private_key: Ed25519PrivateKey = field(repr=False)

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature of `message`."""
        return self.private_key.sign(message)

    @property
    def verifier(self) -> Ed25519Verifier:
        """The matching verifier."""
        return Ed25519Verifier(
            self.name, self.key_id, self.private_key.public_key().public_bytes_raw()
        )


@dataclass(frozen=True)
class PrivateKey:
    """A parsed `PRIVATE+KEY+...` text: name, key type and Ed25519 seed."""

    name: str
    key_type: int
    private_key: Ed25519PrivateKey = field(repr=False)

    @property
    def public_key(self) -> bytes:
        """The 32-byte Ed25519 public key."""
        return self.private_key.public_key().public_bytes_raw()

    @property
    def key_id(self) -> bytes:
        """The key ID for this key's own type."""
        return key_id(self.name, self.key_type, self.public_key)

    def text(self) -> str:
        """The private key text (keep it secret)."""
        seed = b64encode(bytes([self.key_type]) + self.private_key.private_bytes_raw())
        return f"{PRIVATE_KEY_PREFIX}{self.name}+{self.key_id.hex()}+{seed}"

    @property
    def vkey(self) -> str:
        """The verifier key text for this key's type."""
        return format_vkey(self.name, self.key_type, self.public_key)

    def signer(self) -> Ed25519Signer:
        """A note signer (type 0x01 keys only)."""
        if self.key_type != ED25519:
            msg = f"key {self.name} has type {self.key_type:#04x}, a note signer needs 0x01"
            raise NoteError(msg)
        return Ed25519Signer(self.name, self.key_id, self.private_key)


def generate_key(name: str, key_type: int = ED25519) -> PrivateKey:
    """A new random Ed25519 key under `name` (type 0x01 for logs, 0x04 for cosigners)."""
    if key_type not in (ED25519, COSIGNATURE_V1):
        msg = f"key type must be 0x01 or 0x04, got {key_type:#04x}"
        raise NoteError(msg)
    return PrivateKey(check_key_name(name), key_type, Ed25519PrivateKey.generate())


def format_vkey(name: str, key_type: int, public_key: bytes) -> str:
    """`<name>+<hex key ID>+base64(type || public key)`."""
    ident = key_id(name, key_type, public_key).hex()
    return f"{name}+{ident}+{b64encode(bytes([key_type]) + public_key)}"


def _split_key(text: str, what: str) -> tuple[str, bytes, int, bytes]:
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        msg = f"{what} must be <name>+<hex key id>+<base64 key>, got {text.strip()[:60]!r}"
        raise NoteError(msg)
    name, ident, data = parts
    check_key_name(name)
    if not _KEY_ID_RE.fullmatch(ident):
        msg = f"{what}: the key id must be 8 lowercase hex digits, got {ident!r}"
        raise NoteError(msg)
    raw = b64decode(data, f"{what}'s key")
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
        msg = f"{what}: the key must be a type byte 0x01 or 0x04 and 32 bytes of Ed25519 key"
        raise NoteError(msg)
    return name, bytes.fromhex(ident), raw[0], raw[1:]


def parse_private_key(text: str) -> PrivateKey:
    """Parse `PRIVATE+KEY+<name>+<hex key ID>+base64(type || seed)`; NoteError if malformed."""
    text = text.strip()
    if not text.startswith(PRIVATE_KEY_PREFIX):
        msg = "a private key must start with PRIVATE+KEY+"
        raise NoteError(msg)
    name, ident, key_type, seed = _split_key(text[len(PRIVATE_KEY_PREFIX) :], "private key")
    key = PrivateKey(name, key_type, Ed25519PrivateKey.from_private_bytes(seed))
    if key.key_id != ident:
        msg = (
            f"private key {name}: key id {ident.hex()} does not match the key ({key.key_id.hex()})"
        )
        raise NoteError(msg)
    return key


def parse_vkey(text: str) -> tuple[str, bytes, int, bytes]:
    """Parse a verifier key into (name, key ID, type, public key); NoteError if malformed."""
    name, ident, key_type, public = _split_key(text, "verifier key")
    if key_id(name, key_type, public) != ident:
        msg = f"verifier key {name}: key id {ident.hex()} does not match the key"
        raise NoteError(msg)
    return name, ident, key_type, public


def ed25519_verifier(vkey: str) -> Ed25519Verifier:
    """The note verifier of a type 0x01 verifier key; NoteError otherwise."""
    name, ident, key_type, public = parse_vkey(vkey)
    if key_type != ED25519:
        msg = f"verifier key {name} has type {key_type:#04x}, expected 0x01 (Ed25519)"
        raise NoteError(msg)
    return Ed25519Verifier(name, ident, public)


@dataclass(frozen=True)
class Signature:
    """One signature line of a note."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """The signature line, without its newline."""
        return f"{SIGNATURE_PREFIX}{self.name} {b64encode(self.key_id + self.signature)}"


@dataclass(frozen=True)
class Note:
    """A note's text (with its final newline) and its signatures."""

    text: str
    signatures: tuple[Signature, ...]

    def verified_by(self, verifiers: Iterable[Verifier]) -> list[Signature]:
        """The signatures made by known keys, all of which verify; NoteError otherwise.

        Unknown keys are ignored (also ones sharing only the name or only the key ID with
        a known key). A known key's signature that fails rejects the note, and so does a
        note with no signature of a known key.
        """
        known = {(v.name, v.key_id): v for v in verifiers}
        message = self.text.encode()
        good: list[Signature] = []
        for sig in self.signatures:
            verifier = known.get((sig.name, sig.key_id))
            if verifier is None:
                continue
            if not verifier.verify(message, sig.signature):
                msg = f"the signature of {sig.name} ({sig.key_id.hex()}) does not verify"
                raise NoteError(msg)
            good.append(sig)
        if not good:
            names = ", ".join(sorted({f"{v.name}+{v.key_id.hex()}" for v in known.values()}))
            msg = f"the note has no signature by a known key ({names})"
            raise NoteError(msg)
        return good

    def format(self) -> str:
        """The signed note text."""
        return self.text + "\n" + "".join(sig.line() + "\n" for sig in self.signatures)

    def with_signatures(self, signatures: Iterable[Signature]) -> Note:
        """This note with more signatures; a (name, key ID) already present is not added twice."""
        present = {(s.name, s.key_id) for s in self.signatures}
        added = list(self.signatures)
        for sig in signatures:
            if (sig.name, sig.key_id) not in present:
                present.add((sig.name, sig.key_id))
                added.append(sig)
        return Note(self.text, tuple(added))


def check_text(text: str) -> str:
    """Return a note text if it is valid (non-empty, ends in newline, no control chars)."""
    if not text.endswith("\n"):
        msg = "a note text must end with a newline"
        raise NoteError(msg)
    if _CONTROL_RE.search(text):
        msg = "a note must not contain control characters other than newline"
        raise NoteError(msg)
    return text


def parse_signature_line(line: str) -> Signature:
    """Parse `— <name> base64(key ID || signature)` (no newline); NoteError if malformed."""
    if not line.startswith(SIGNATURE_PREFIX):
        msg = f"a signature line must start with '— ', got {line[:40]!r}"
        raise NoteError(msg)
    name, sep, data = line[len(SIGNATURE_PREFIX) :].partition(" ")
    check_key_name(name)
    blob = b64decode(data, f"the signature of {name}") if sep else b""
    if len(blob) < 5:
        msg = f"the signature of {name} must be a key id and a signature, in base64"
        raise NoteError(msg)
    return Signature(name, blob[:4], blob[4:])


def parse_note(note: str) -> Note:
    """Split a signed note into its text and signature lines (nothing verified yet)."""
    if _CONTROL_RE.search(note):
        msg = "a note must not contain control characters other than newline"
        raise NoteError(msg)
    split = note.rfind("\n\n")
    if split < 0:
        msg = "a signed note needs a blank line between its text and its signatures"
        raise NoteError(msg)
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        msg = "a signed note must end with a signature line and a newline"
        raise NoteError(msg)
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        msg = f"a note may carry at most {MAX_SIGNATURES} signatures, this one has {len(lines)}"
        raise NoteError(msg)
    signatures: list[Signature] = []
    seen: set[str] = set()
    for line in lines:
        if line in seen:  # a repeated line says nothing more
            continue
        seen.add(line)
        signatures.append(parse_signature_line(line))
    return Note(text, tuple(signatures))


def open_note(note: str, verifiers: Sequence[Verifier]) -> Note:
    """Parse a signed note and verify it with known keys; NoteError unless it is trusted."""
    parsed = parse_note(note)
    parsed.verified_by(verifiers)
    return parsed


def sign_note(text: str, signers: Sequence[Signer]) -> str:
    """The signed note: `text` (ending in newline), a blank line, one signature per signer."""
    check_text(text)
    message = text.encode()
    sigs = [Signature(s.name, s.key_id, s.sign(message)) for s in signers]
    return Note(text, tuple(sigs)).format()
