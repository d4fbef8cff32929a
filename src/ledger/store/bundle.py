"""The auditor's bundle: the export, the latest signed checkpoint, the verifier key, the verifier.

`ledger export --bundle DIR` writes

    events.jsonl     the JSON Lines export (ledger export)
    checkpoint       the latest signed checkpoint, with its cosignatures
    NAME.pub         the log's verifier key, derived from the signing key
    README.txt       what the files are and how to verify them
    ledger-audit.py  the standalone verifier, byte for byte tools/ledger-audit.py

The verifier ships inside the package as `ledger/tlog/ledger_audit.py` (a test keeps it
identical to tools/ledger-audit.py), so an installed ledger writes it as well as a checkout.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING, Final

from ledger.store.checkpoints import latest_checkpoint, sign_current
from ledger.store.transfer import TransferError, export
from ledger.tlog.checkpoint import parse_checkpoint
from ledger.tlog.keys import key_file_name

if TYPE_CHECKING:
    from pathlib import Path

    from ledger.store.base import ChainedRecorder
    from ledger.store.chain import Digest
    from ledger.tlog.note import PrivateKey

EVENTS: Final = "events.jsonl"
CHECKPOINT: Final = "checkpoint"
README: Final = "README.txt"
VERIFIER: Final = "ledger-audit.py"

README_TEXT: Final = """\
Ledger audit bundle
===================

- {events}: every event of the ledger in position order, with its chain hash.
- {checkpoint}: the log's latest signed checkpoint (C2SP tlog-checkpoint): origin
  {origin}, tree size {size} and the root of the RFC 9162 Merkle tree over the
  first {size} events, signed by the log (and cosigned by witnesses, if any).
- {vkey}: the log's verifier key (C2SP signed-note, Ed25519).
- {verifier}: the verifier, one file; it needs Python >= 3.11 and `cryptography`.

Verify everything (exit 0: intact; 1: names the first bad position or the check that
failed; 2: a file could not be read):

    pip install cryptography
    python3 {verifier} verify {events} --checkpoint {checkpoint} --vkey {vkey}

This recomputes every chain hash and the Merkle tree, checks the checkpoint's signature
and that its root is the tree over the first {size} events. Events after those are
reported, not an error.

Keep {checkpoint} and {vkey}. With the next bundle, check that the ledger only grew,
i.e. that the history this checkpoint signed was not rewritten:

    python3 {verifier} verify NEW/{events} --checkpoint NEW/{checkpoint} \\
        --vkey {vkey} --since {checkpoint}

Show that one event is in the log (an RFC 9162 inclusion proof):

    python3 {verifier} prove POSITION {events} --checkpoint {checkpoint} --vkey {vkey}

Obtain the verifier key from the log's operator by another channel than this bundle and
compare the two: a bundle cannot vouch for itself.
"""


@dataclass(frozen=True)
class BundleResult:
    """What write_bundle wrote: the events, the checkpoint's tree size, the export's head."""

    events: int
    tree_size: int
    head: Digest | None
    vkey_file: str


def verifier_source() -> bytes:
    """The standalone verifier's source, as packaged (= tools/ledger-audit.py)."""
    return files("ledger.tlog").joinpath("ledger_audit.py").read_bytes()


def _signed_by(note: str, key: PrivateKey) -> bool:
    signed = parse_checkpoint(note)
    return signed.checkpoint.origin == key.name and any(
        (s.name, s.key_id) == (key.name, key.key_id) for s in signed.note.signatures
    )


def write_bundle(recorder: ChainedRecorder, directory: Path, key: PrivateKey) -> BundleResult:
    """Write the auditor's bundle into `directory` (new, or empty).

    The checkpoint is the latest signed one; when there is none, or the key did not sign
    it, one is signed now. The export is taken after it, so it covers the checkpoint.
    """
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        msg = f"--bundle {directory}: must be a new or empty directory"
        raise TransferError(msg)
    latest = latest_checkpoint(recorder)
    if latest is None or not _signed_by(latest.note, key):
        note = sign_current(recorder, key).format()
    else:
        note = latest.note
    size = parse_checkpoint(note).checkpoint.size
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / EVENTS).open("w", encoding="utf-8") as out:
            result = export(recorder, out)
        (directory / CHECKPOINT).write_text(note, encoding="utf-8")
        vkey_file = key_file_name(key.name) + ".pub"
        (directory / vkey_file).write_text(key.vkey + "\n", encoding="utf-8")
        (directory / VERIFIER).write_bytes(verifier_source())
        (directory / README).write_text(
            README_TEXT.format(
                events=EVENTS,
                checkpoint=CHECKPOINT,
                vkey=vkey_file,
                verifier=VERIFIER,
                origin=key.name,
                size=size,
            ),
            encoding="utf-8",
        )
    except OSError as e:
        raise TransferError(f"--bundle {directory}: {e.strerror or e}") from None
    return BundleResult(result.events, size, result.head, vkey_file)
