"""An independent check of the verifiable log for the tests: RFC 9162 and C2SP from the texts.

Nothing here imports ledger.tlog: the leaf bytes are laid out from the README's chain formula,
the tree hash, the proofs' verification and the signed notes are written from RFC 9162
§2.1 and C2SP signed-note / tlog-checkpoint / tlog-cosignature, so that the tests compare
the ledger's code with a second implementation.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import uuid
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def leaf_bytes(event: dict[str, Any]) -> bytes:
    """The bytes h(n) hashes after h(n-1), from one exported event (a JSON line)."""

    def counted(data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + data

    return (
        struct.pack(">Q", event["position"])
        + counted(event["recorded_at"].encode("ascii"))
        + counted(uuid.UUID(event["originator_id"]).hex.encode())
        + struct.pack(">q", event["originator_version"])
        + counted(event["topic"].encode())
        + counted(base64.b64decode(event["state"]))
    )


def leaf(data: bytes) -> bytes:
    """RFC 9162: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    """RFC 9162: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1, recursively."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def export_leaves(lines: list[str]) -> tuple[list[int], list[bytes]]:
    """Positions and leaf hashes of an export's lines."""
    events = [json.loads(line) for line in lines if line.strip()]
    return [e["position"] for e in events], [leaf(leaf_bytes(e)) for e in events]


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: list[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn //= 2
                    sn //= 2
        else:
            r = node(r, p)
        fn //= 2
        sn //= 2
    return sn == 0 and r == root


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2."""
    if size1 == 0 or size1 > size2:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if size1 & (size1 - 1) == 0:
        proof = [root1, *proof]
    if not proof:
        return False
    fn, sn = size1 - 1, size2 - 1
    while fn % 2 == 1:
        fn //= 2
        sn //= 2
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn //= 2
                    sn //= 2
        else:
            sr = node(sr, c)
        fn //= 2
        sn //= 2
    return sn == 0 and fr == root1 and sr == root2


def checkpoint_fields(note: str) -> tuple[str, int, bytes]:
    """(origin, tree size, root) of a C2SP checkpoint note."""
    body = note.partition("\n\n")[0]
    origin, size, root = body.split("\n")[:3]
    return origin, int(size), base64.b64decode(root, validate=True)


def _key(vkey: str) -> tuple[str, bytes, int, Ed25519PublicKey]:
    name, key_hash, data = vkey.strip().split("+", 2)
    raw = base64.b64decode(data)
    assert len(raw) == 33
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4] == bytes.fromhex(key_hash)
    return name, bytes.fromhex(key_hash), raw[0], Ed25519PublicKey.from_public_bytes(raw[1:])


def signed_by(note: str, vkey: str) -> bool:
    """Whether the note carries a valid signature of the key (type 0x01: Ed25519 over the
    text; type 0x04: cosignature/v1 over its header, timestamp and the text)."""
    name, key_hash, key_type, public = _key(vkey)
    text, _, block = note.partition("\n\n")
    message = (text + "\n").encode()
    for line in block.split("\n"):
        if not line.startswith("\u2014 "):
            continue
        signer, _, data = line[2:].partition(" ")
        blob = base64.b64decode(data)
        if signer != name or blob[:4] != key_hash:
            continue
        signature = blob[4:]
        if key_type == 0x04:
            (timestamp,) = struct.unpack(">Q", signature[:8])
            signed = b"cosignature/v1\ntime %d\n" % timestamp + message
            signature = signature[8:]
        else:
            signed = message
        try:
            public.verify(signature, signed)
        except InvalidSignature:
            return False
        return True
    return False


def b64(text: str) -> bytes:
    """Standard base64, strictly."""
    return base64.b64decode(text, validate=True)
