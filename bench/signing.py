"""Signing a checkpoint: `sign_current` on the bench's store vs Ed25519 signing alone.

`ledger checkpoint` (and the followers' schedule) sign with `ledger.store.checkpoints.
sign_current`: one write transaction that brings the tree up to the chain's head, checks
that the tree still has the root of the latest checkpoint, computes the root at the
current size, signs the note and stores it. Before the repeats, the bench stores a
checkpoint of half the tree (as a log that signed before would have), so the check reads
nodes of an older size too; each repeat removes the checkpoint of the current size that
the repeat before signed. The baseline is the Ed25519 signature of the same note text
with the same key, alone. The target: ≤ 50 ms at 10^6 events.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bench.asof import percentile
from ledger.store.tree import CHECKPOINT_TABLE, TREE_TABLE

if TYPE_CHECKING:
    from ledger.store.tree import TreeCursor

ORIGIN = "bench.example/ledger"


@dataclass
class SigningFigure:
    """Milliseconds per signed checkpoint, and per bare Ed25519 signature."""

    tree_size: int = 0
    sign_ms: list[float] = field(default_factory=list)
    ed25519_ms: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median ms of sign_current."""
        return statistics.median(self.sign_ms) if self.sign_ms else 0.0

    @property
    def p95(self) -> float:
        """95th percentile ms of sign_current."""
        return percentile(self.sign_ms, 95)

    @property
    def ed25519_median(self) -> float:
        """Median ms of the signature alone."""
        return statistics.median(self.ed25519_ms) if self.ed25519_ms else 0.0


def drop_checkpoint(tree: TreeCursor, size: int) -> None:
    """Remove the stored checkpoint of this size (the bench's own, so it can sign again)."""
    table = tree.sql.table.removesuffix(TREE_TABLE) + CHECKPOINT_TABLE
    tree.cursor.execute(f"DELETE FROM {table} WHERE tree_size = {tree.sql.mark}", (size,))


def measure_signing(url: str, repeats: int = 20) -> SigningFigure:
    """Signs `repeats` checkpoints of the whole tree, taking turns with the bare signature."""
    from ledger.store import open_recorder
    from ledger.store.checkpoints import sign_current
    from ledger.store.tree import StoredCheckpoint
    from ledger.tlog.checkpoint import Checkpoint, sign_checkpoint
    from ledger.tlog.note import generate_key

    key = generate_key(ORIGIN)
    signer = key.signer()
    figure = SigningFigure()
    recorder = open_recorder(url)
    try:
        with recorder.chain_writer() as writer:
            size = writer.catch_up_tree()
            tree = writer.tree()
            half = max(1, size // 2)
            root = tree.root(half)
            note = sign_checkpoint(Checkpoint(key.name, half, root), [signer]).format()
            if tree.checkpoint_at(half) is None:
                tree.add_checkpoint(StoredCheckpoint(half, root, "2000-01-01T00:00:00Z", note))
        figure.tree_size = size
        message = ""
        for _ in range(repeats):
            with recorder.chain_writer() as writer:
                drop_checkpoint(writer.tree(), size)
            began = time.perf_counter()
            signed = sign_current(recorder, key)
            figure.sign_ms.append((time.perf_counter() - began) * 1000)
            message = signed.checkpoint.checkpoint.text()
            began = time.perf_counter()
            signer.sign(message.encode())
            figure.ed25519_ms.append((time.perf_counter() - began) * 1000)
    finally:
        recorder.close()
    return figure
