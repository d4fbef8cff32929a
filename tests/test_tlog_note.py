"""C2SP signed notes, checkpoints and cosignatures: public vectors, keys, tampering, bad input."""

from __future__ import annotations

import base64
import json
import struct
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.tlog.checkpoint import (
    Checkpoint,
    CheckpointError,
    CosignatureSigner,
    cosignature_timestamp,
    cosignature_verifier,
    cosigned_message,
    cosigner_from_seed,
    generate_cosigner,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from ledger.tlog.merkle import EMPTY_ROOT
from ledger.tlog.note import (
    COSIGNATURE_V1,
    ED25519,
    NoteError,
    Signature,
    ed25519_verifier,
    generate_key,
    key_id,
    open_note,
    parse_note,
    parse_private_key,
    parse_vkey,
    sign_note,
)

VECTORS = json.loads(
    (Path(__file__).parent / "data" / "tlog" / "signed-note-vectors.json").read_text()
)
CASES: list[dict[str, Any]] = VECTORS["cases"]
SIGNING: dict[str, str] = VECTORS["signing"]
ROOT = sha256(b"root").digest()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_signed_note_vector(case: dict[str, Any]) -> None:
    verifier = ed25519_verifier(case["vkey"])
    if case["valid"]:
        note = open_note(case["note"], [verifier])
        assert note.format() == case["note"]
    else:
        with pytest.raises(NoteError):
            open_note(case["note"], [verifier])


def test_signing_is_byte_exact_with_go() -> None:
    key = parse_private_key(SIGNING["skey"])
    assert key.text() == SIGNING["skey"]
    assert key.vkey == SIGNING["vkey"]
    assert sign_note(SIGNING["text"], [key.signer()]) == SIGNING["want"]


def test_the_real_sumdb_checkpoint_parses() -> None:
    case = next(c for c in CASES if c["id"] == "sumdb-real-checkpoint-2024-09-23")
    signed = open_checkpoint(case["note"], [ed25519_verifier(case["vkey"])])
    assert signed.checkpoint.origin == "go.sum database tree"
    assert signed.checkpoint.size == 30055305
    assert signed.format() == case["note"]


def test_a_generated_key_has_the_c2sp_formats() -> None:
    key = generate_key("bars.example/ledger")
    name, rest = key.text().removeprefix("PRIVATE+KEY+").split("+", 1)
    ident, data = rest.split("+", 1)
    raw = base64.b64decode(data)
    assert name == "bars.example/ledger" and len(raw) == 33 and raw[0] == ED25519
    vname, vident, vdata = key.vkey.split("+", 2)
    public = base64.b64decode(vdata)
    assert (vname, vident) == (name, ident)
    assert public[0] == ED25519 and len(public) == 33
    # key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4]
    assert bytes.fromhex(ident) == sha256(name.encode() + b"\n" + public).digest()[:4]
    assert parse_private_key(key.text()).vkey == key.vkey
    assert parse_vkey(key.vkey) == (name, bytes.fromhex(ident), ED25519, public[1:])


def test_a_note_with_several_signatures_verifies_with_any_known_key() -> None:
    log, other = generate_key("log.example/a"), generate_key("other.example/b")
    note = sign_note("hello\n", [log.signer(), other.signer()])
    assert [s.name for s in open_note(note, [log.signer().verifier]).signatures] == [
        "log.example/a",
        "other.example/b",
    ]
    assert open_note(note, [other.signer().verifier]).text == "hello\n"
    verified = parse_note(note).verified_by([log.signer().verifier, other.signer().verifier])
    assert len(verified) == 2


def test_unknown_keys_are_ignored_even_sharing_a_name_or_an_id() -> None:
    log = generate_key("log.example/a")
    impostor = generate_key("log.example/a")  # same name, another key: another key ID
    note = sign_note("text\n", [impostor.signer(), log.signer()])
    assert open_note(note, [log.signer().verifier]).text == "text\n"
    with pytest.raises(NoteError, match="no signature by a known key"):
        open_note(sign_note("text\n", [impostor.signer()]), [log.signer().verifier])


def test_a_known_key_whose_signature_fails_rejects_the_note() -> None:
    log, other = generate_key("log.example/a"), generate_key("other.example/b")
    note = sign_note("text\n", [log.signer(), other.signer()])
    forged = note.replace("text\n", "texT\n", 1)
    with pytest.raises(NoteError, match="does not verify"):
        open_note(forged, [other.signer().verifier])


@pytest.mark.parametrize(
    ("note", "rule"),
    [
        ("text\n— a AAAAAAA=\n", "blank line"),
        ("text\n\n— a b\n\x01", "control characters"),
        ("text\n\n— a !!!!\n", "base64"),
        ("text\n\n— a+b AAAAAAAA\n", "key name"),
        ("text\n\n— a AAAA\n", "key id and a signature"),
        ("text\n\n- a AAAAAAAA\n", "must start with"),
        ("text\n\n— a AAAAAAAA", "end with a signature line"),
    ],
)
def test_malformed_notes_are_refused_naming_the_rule(note: str, rule: str) -> None:
    with pytest.raises(NoteError, match=rule):
        parse_note(note)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("example.com/foo+530d903a", "<name>"),
        ("example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "hex"),
        ("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "match"),
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2", "base64"),
        ("exa mple+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "key name"),
    ],
)
def test_malformed_verifier_keys_are_refused(text: str, rule: str) -> None:
    with pytest.raises(NoteError, match=rule):
        parse_vkey(text)


def test_a_private_key_with_the_wrong_id_is_refused() -> None:
    good = SIGNING["skey"]
    with pytest.raises(NoteError, match="does not match"):
        parse_private_key(good.replace("+c74f20a3+", "+c74f20a4+"))
    with pytest.raises(NoteError, match="PRIVATE\\+KEY"):
        parse_private_key(good.removeprefix("PRIVATE+KEY+"))


def test_a_note_text_must_end_in_a_newline() -> None:
    with pytest.raises(NoteError, match="newline"):
        sign_note("no newline", [generate_key("a").signer()])


# --- Checkpoints ----------------------------------------------------------------------


def test_a_checkpoint_round_trips_and_is_signed_as_c2sp_says() -> None:
    key = generate_key("bars.example/ledger")
    checkpoint = Checkpoint("bars.example/ledger", 44, ROOT)
    signed = sign_checkpoint(checkpoint, [key.signer()])
    text = signed.format()
    body = f"bars.example/ledger\n44\n{base64.b64encode(ROOT).decode()}\n"
    assert text.startswith(body + "\n— bars.example/ledger ")
    blob = base64.b64decode(text.splitlines()[-1].split(" ")[-1])
    assert blob[:4] == key.key_id
    Ed25519PublicKey.from_public_bytes(key.public_key).verify(blob[4:], body.encode())
    opened = open_checkpoint(text, [key.signer().verifier], origin="bars.example/ledger")
    assert opened.checkpoint == checkpoint
    with pytest.raises(CheckpointError, match="origin"):
        open_checkpoint(text, [key.signer().verifier], origin="elsewhere")


def test_checkpoint_extension_lines_are_kept() -> None:
    key = generate_key("log")
    checkpoint = Checkpoint("log", 0, EMPTY_ROOT, ("ext one",))
    opened = open_checkpoint(
        sign_checkpoint(checkpoint, [key.signer()]).format(), [key.signer().verifier]
    )
    assert opened.checkpoint.extensions == ("ext one",)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("log\n44\n", "origin, a tree size and a root"),
        ("\n44\nAAAA\n", "origin line"),
        ("log\n044\n" + base64.b64encode(ROOT).decode() + "\n", "leading zeros"),
        ("log\n-1\n" + base64.b64encode(ROOT).decode() + "\n", "decimal"),
        ("log\n4\nAAAA\n", "32 bytes"),
        ("log\n4\n" + base64.b64encode(ROOT).decode() + "\n\n", "extension"),
    ],
)
def test_malformed_checkpoints_are_refused_naming_the_line(text: str, rule: str) -> None:
    with pytest.raises(CheckpointError, match=rule):
        Checkpoint.parse_text(text)


def test_a_checkpoint_signed_by_another_key_is_refused() -> None:
    log, stranger = generate_key("log"), generate_key("log")
    text = sign_checkpoint(Checkpoint("log", 1, ROOT), [stranger.signer()]).format()
    with pytest.raises(CheckpointError, match="no signature by a known key"):
        open_checkpoint(text, [log.signer().verifier])
    with pytest.raises(CheckpointError, match="signed note"):
        parse_checkpoint("log\n1\n" + base64.b64encode(ROOT).decode() + "\n")


# --- Cosignatures ---------------------------------------------------------------------


def test_a_cosignature_is_a_timestamped_ed25519_signature_over_the_cosigned_message() -> None:
    witness = cosigner_from_seed("witness.example/w1", bytes(range(32)))
    clocked = CosignatureSigner(witness.name, witness.private_key, clock=lambda: 1679315147.9)
    checkpoint = Checkpoint("example.com/behind-the-sofa", 20852163, ROOT)
    signature = clocked.cosign(checkpoint)
    # key ID with type 0x04; signature = u64 timestamp || Ed25519 signature
    assert signature.key_id == key_id("witness.example/w1", COSIGNATURE_V1, witness.public_key)
    assert len(signature.signature) == 72
    assert struct.unpack(">Q", signature.signature[:8]) == (1679315147,)
    assert cosignature_timestamp(signature) == 1679315147
    message = cosigned_message(checkpoint.text(), 1679315147)
    assert message == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        + base64.b64encode(ROOT)
        + b"\n"
    )
    Ed25519PublicKey.from_public_bytes(witness.public_key).verify(signature.signature[8:], message)


def test_a_checkpoint_carries_the_log_signature_and_cosignatures() -> None:
    log = generate_key("bars.example/ledger")
    witness_key = generate_cosigner("witness.example/w1")
    witness = CosignatureSigner.from_key(witness_key)
    signed = sign_checkpoint(Checkpoint("bars.example/ledger", 3, ROOT), [log.signer()])
    cosigned = signed.with_signatures([witness.cosign(signed.checkpoint)])
    text = cosigned.format()
    verifier = cosignature_verifier(witness_key.vkey)
    assert verifier == witness.verifier
    assert parse_vkey(witness_key.vkey)[2] == COSIGNATURE_V1
    assert open_checkpoint(text, [verifier]).checkpoint.size == 3
    assert open_checkpoint(text, [log.signer().verifier]).checkpoint.size == 3
    # Adding the same cosignature twice keeps one line.
    again = cosigned.with_signatures([cosigned.note.signatures[-1]])
    assert again.format() == text


def test_a_changed_timestamp_or_checkpoint_breaks_the_cosignature() -> None:
    witness = cosigner_from_seed("w", bytes(32))
    checkpoint = Checkpoint("log", 5, ROOT)
    signature = witness.cosign(checkpoint)
    message = checkpoint.text().encode()
    assert witness.verifier.verify(message, signature.signature)
    later = struct.pack(">Q", cosignature_timestamp(signature) + 1) + signature.signature[8:]
    assert not witness.verifier.verify(message, later)
    assert not witness.verifier.verify(
        Checkpoint("log", 6, ROOT).text().encode(), signature.signature
    )
    assert not witness.verifier.verify(message, signature.signature[:-1])


def test_a_note_key_is_not_a_cosigner_key() -> None:
    log = generate_key("log")
    with pytest.raises(NoteError, match="0x04"):
        cosignature_verifier(log.vkey)
    with pytest.raises(NoteError, match="0x01"):
        ed25519_verifier(generate_cosigner("w").vkey)
    with pytest.raises(NoteError, match="0x01"):
        generate_cosigner("w").signer()


def test_signature_lines_format_as_the_spec_shows() -> None:
    line = Signature("example.com/foo", b"\x53\x0d\x90\x3a", b"\x00" * 64).line()
    assert line.startswith("— example.com/foo Uw2QO")
