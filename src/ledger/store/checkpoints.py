"""Signed checkpoints of the store's tree: signing, the history, cosignatures, the schedule.

A checkpoint (C2SP tlog-checkpoint) signs the origin (the key's name), the tree size and the
root. Each is kept in `ledger_checkpoint` with its signed note; a witness's cosignature is
added to the note of the checkpoint it signs. Before signing, the stored tree is checked to
still have the root of the latest checkpoint at its size (O(log n) nodes): a store whose
history was rewritten since is refused a new signature.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from ledger.store.chain import ChainError, format_recorded_at, parse_recorded_at
from ledger.store.tree import StoredCheckpoint
from ledger.tlog.checkpoint import (
    Checkpoint,
    CheckpointError,
    SignedCheckpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from ledger.tlog.note import NoteError, Signature, parse_note, parse_signature_line

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ledger.store.base import ChainedRecorder
    from ledger.store.tree import TreeCursor
    from ledger.tlog.note import PrivateKey, Verifier

#: The most checkpoints `add_cosignature` tries a bare signature line against.
COSIGN_SEARCH: Final = 100_000
log = logging.getLogger(__name__)


class CosignatureError(ChainError):
    """A cosignature that verifies against no stored checkpoint (a failed check, exit 1)."""


@dataclass(frozen=True)
class Signed:
    """What sign_current did: the checkpoint as stored and whether it was signed just now."""

    checkpoint: SignedCheckpoint
    new: bool

    def format(self) -> str:
        """The signed note."""
        return self.checkpoint.format()


def _check_history(tree: TreeCursor, size: int) -> StoredCheckpoint | None:
    """The latest stored checkpoint, after checking the tree still has its root."""
    latest = tree.latest_checkpoint()
    if latest is None:
        return None
    if latest.tree_size > size:
        msg = (
            f"the checkpoint signed at {latest.signed_at} covers {latest.tree_size} events but "
            f"the tree has {size}: events were removed; nothing signed (run `ledger verify`)"
        )
        raise ChainError(msg)
    if tree.root(latest.tree_size) != latest.root:
        msg = (
            f"the tree no longer has the root of the checkpoint of size {latest.tree_size} "
            f"signed at {latest.signed_at}: the history was rewritten; nothing signed "
            "(run `ledger verify`)"
        )
        raise ChainError(msg)
    return latest


def sign_current(
    recorder: ChainedRecorder, key: PrivateKey, *, now: datetime | None = None
) -> Signed:
    """Sign a checkpoint of the whole tree now and keep it (one write transaction).

    When the latest checkpoint already has this size, it is returned (with the key's
    signature added if it lacked one) instead of a second one of the same size.
    """
    signer = key.signer()
    with recorder.chain_writer() as writer:
        size = writer.catch_up_tree()
        tree = writer.tree()
        latest = _check_history(tree, size)
        root = tree.root(size)
        if latest is not None and latest.tree_size == size:
            stored = parse_checkpoint(latest.note)
            if stored.checkpoint.origin != key.name:
                msg = (
                    f"the checkpoint of size {size} has origin {stored.checkpoint.origin!r}, "
                    f"the signing key is named {key.name!r}"
                )
                raise ChainError(msg)
            if any((s.name, s.key_id) == (key.name, key.key_id) for s in stored.note.signatures):
                return Signed(stored, new=False)
            ours = sign_checkpoint(stored.checkpoint, [signer])
            merged = SignedCheckpoint(
                stored.checkpoint,
                ours.note.with_signatures(stored.note.signatures),
            )
            tree.set_note(size, merged.format())
            return Signed(merged, new=True)
        signed = sign_checkpoint(Checkpoint(key.name, size, root), [signer])
        moment = format_recorded_at(now or datetime.now(UTC))
        tree.add_checkpoint(StoredCheckpoint(size, root, moment, signed.format()))
    return Signed(signed, new=True)


def latest_checkpoint(recorder: ChainedRecorder) -> StoredCheckpoint | None:
    """The latest stored checkpoint (largest tree size), if any."""
    with recorder.chain_reader() as reader:
        return reader.tree.latest_checkpoint()


def _signature_lines(text: str) -> tuple[Checkpoint | None, list[Signature]]:
    """A cosignature file: signature lines alone, or a whole signed checkpoint."""
    if "\n\n" in text:
        try:
            note = parse_note(text if text.endswith("\n") else text + "\n")
            return Checkpoint.parse_text(note.text), list(note.signatures)
        except NoteError as e:
            raise CheckpointError(f"the file is no signed checkpoint: {e}") from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise CheckpointError("the file holds no signature line ('— NAME BASE64')")
    try:
        return None, [parse_signature_line(line) for line in lines]
    except NoteError as e:
        raise CheckpointError(str(e)) from None


def add_cosignature(
    recorder: ChainedRecorder, text: str, witnesses: Sequence[Verifier]
) -> list[tuple[int, str]]:
    """Attach the cosignatures in `text` by known witnesses to the checkpoints they sign.

    `text` is one or more signature lines (as `ledger-audit.py cosign` prints them) or a
    whole cosigned checkpoint. Each line of a witness in `witnesses` must verify against a
    stored checkpoint (tried newest first); lines of other keys are refused. Returns
    (tree size, witness name) of each attached signature. CheckpointError for malformed
    input or unknown keys, CosignatureError if a signature verifies against no checkpoint.
    """
    if not witnesses:
        msg = "LEDGER_WITNESS_KEYS is not set: no witness's cosignature can be verified"
        raise CheckpointError(msg)
    claimed, signatures = _signature_lines(text)
    known = {(w.name, w.key_id): w for w in witnesses}
    for sig in signatures:
        if (sig.name, sig.key_id) not in known and claimed is None:
            msg = (
                f"the signature of {sig.name} ({sig.key_id.hex()}) is not by a key in "
                "LEDGER_WITNESS_KEYS"
            )
            raise CheckpointError(msg)
    ours = [s for s in signatures if (s.name, s.key_id) in known]
    if not ours:
        raise CheckpointError("the file holds no signature by a key in LEDGER_WITNESS_KEYS")
    attached: list[tuple[int, str]] = []
    with recorder.chain_writer() as writer:
        tree = writer.tree()
        if claimed is not None:
            found = tree.checkpoint_at(claimed.size)
            candidates = [found] if found is not None else []
        else:
            candidates = []
            latest = tree.latest_checkpoint()
            if latest is not None:
                candidates = [latest, *tree.checkpoints_before(latest.tree_size, COSIGN_SEARCH)]
        for sig in ours:
            witness = known[(sig.name, sig.key_id)]
            match = next(
                (
                    c
                    for c in candidates
                    if witness.verify(parse_checkpoint(c.note).note.text.encode(), sig.signature)
                ),
                None,
            )
            if match is None:
                size = f" of size {claimed.size}" if claimed is not None else ""
                msg = (
                    f"the cosignature of {sig.name} does not verify against any stored "
                    f"checkpoint{size}: not attached"
                )
                raise CosignatureError(msg)
            # Read again: an earlier line of the file may have added to this note.
            current = tree.checkpoint_at(match.tree_size) or match
            signed = parse_checkpoint(current.note).with_signatures([sig])
            tree.set_note(match.tree_size, signed.format())
            attached.append((match.tree_size, sig.name))
    return attached


class CheckpointSchedule:
    """Signs a new checkpoint when the tree has grown and `interval` seconds have passed.

    For long-lived followers (`ledger serve` where it projects, `ledger project --follow`):
    call `step()` after each catch-up. It reads the latest checkpoint and the tree size at
    most once a second, and logs a failure once (it never raises).
    """

    def __init__(
        self,
        recorder: ChainedRecorder,
        key: PrivateKey,
        interval: float,
        *,
        log_line: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.recorder = recorder
        self.key = key
        self.interval = interval
        self._log = log_line or log.warning
        self._clock = clock
        self._next_look = 0.0
        self._logged: str | None = None
        #: The last checkpoint this schedule signed.
        self.signed: Signed | None = None

    @classmethod
    def from_env(
        cls, url: str | None = None, *, log_line: Callable[[str], None] | None = None
    ) -> CheckpointSchedule | None:
        """The schedule of a follower on `url` when LEDGER_SIGNING_KEY_FILE is set (every
        LEDGER_CHECKPOINT_INTERVAL seconds); None without a key. KeyConfigError for a bad
        setting. It opens a recorder of its own: close it with `close()`."""
        from ledger.store import open_recorder
        from ledger.tlog.keys import checkpoint_interval, signing_key

        key = signing_key()
        if key is None:
            return None
        interval = checkpoint_interval()
        return cls(open_recorder(url), key, interval, log_line=log_line)

    def close(self) -> None:
        """Close the schedule's recorder."""
        self.recorder.close()

    def due(self) -> bool:
        """Whether the tree has grown since the latest checkpoint and the interval passed."""
        now = self._clock()
        with self.recorder.chain_reader() as reader:
            size = reader.tree.size()
            latest = reader.tree.latest_checkpoint()
        if latest is None:
            return size > 0
        if size <= latest.tree_size:
            return False
        signed_at = parse_recorded_at(latest.signed_at).timestamp()
        return now >= signed_at + self.interval

    def step(self) -> Signed | None:
        """Sign if due; the checkpoint signed, else None. Failures are logged, not raised."""
        now = self._clock()
        if now < self._next_look:
            return None
        self._next_look = now + min(1.0, self.interval)
        try:
            if not self.due():
                return None
            self.signed = sign_current(self.recorder, self.key)
        except Exception as exc:
            message = f"signing a checkpoint failed: {' '.join(str(exc).split())}"
            if message != self._logged:
                self._logged = message
                self._log(message)
            return None
        self._logged = None
        return self.signed
