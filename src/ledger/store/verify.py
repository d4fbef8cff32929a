"""Verification of the hash chain and its Merkle tree: recompute both, name the first break.

The chain is recomputed link by link from genesis; from the links that verify, the RFC 9162
tree is recomputed leaf by leaf and compared with the stored tree rows (each leaf's hash and
the nodes its append completed), and every stored checkpoint's root with the tree's root at
its size. A saved digest (POSITION:HASH) can be checked on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from hashlib import sha256
from struct import Struct
from typing import TYPE_CHECKING, Final

from ledger.store.chain import GENESIS, Digest, link_hash
from ledger.tlog.checkpoint import CheckpointError, parse_checkpoint
from ledger.tlog.merkle import EMPTY_ROOT, Frontier
from ledger.tlog.note import b64encode

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from ledger.store.base import ChainedRecorder, ChainReader, ChainRow
    from ledger.store.tree import StoredCheckpoint, TreeTail

BATCH_SIZE: Final = 20_000
_NONE: Final = 1 << 64  # "no such position", larger than any position
_pack_u64 = Struct(">Q").pack
_pack_i64 = Struct(">q").pack
_pack_u32 = Struct(">I").pack


class ProblemKind(StrEnum):
    """What is wrong at the first bad position."""

    EVENT_CHANGED = "event changed"
    CHAIN_HASH_CHANGED = "chain hash changed"
    HASH_MISMATCH = "hash mismatch"
    ROW_INSERTED = "row inserted"
    ROWS_DELETED = "rows deleted before"
    EVENT_MISSING = "event row missing"
    CHAIN_ROW_MISSING = "event row without chain row"
    RECORDED_AT_DECREASES = "recorded_at decreases"
    POSITION_NOT_INCREASING = "position not increasing"
    DIGEST_MISMATCH = "digest mismatch"
    DIGEST_NOT_FOUND = "digest position not in chain"
    DIGEST_BEYOND_HEAD = "digest beyond head"
    TREE_ROW_MISSING = "tree row missing"
    TREE_ROW_CHANGED = "tree row changed"
    TREE_ROW_MISPLACED = "tree row of another position"
    TREE_BEYOND_CHAIN = "tree rows after the chain's head"
    CHECKPOINT_MISMATCH = "checkpoint does not match the tree"
    CHECKPOINT_BEYOND_CHAIN = "checkpoint beyond the chain's head"
    CHECKPOINT_MALFORMED = "checkpoint row malformed"


#: The problems found in the Merkle tree or the checkpoint history (not in the chain).
TREE_KINDS: Final = frozenset(
    {
        ProblemKind.TREE_ROW_MISSING,
        ProblemKind.TREE_ROW_CHANGED,
        ProblemKind.TREE_ROW_MISPLACED,
        ProblemKind.TREE_BEYOND_CHAIN,
        ProblemKind.CHECKPOINT_MISMATCH,
        ProblemKind.CHECKPOINT_BEYOND_CHAIN,
        ProblemKind.CHECKPOINT_MALFORMED,
    }
)


_EXPLAIN: Final = {
    ProblemKind.EVENT_CHANGED: (
        "the event's stored bytes or recorded_at no longer match its chain hash "
        "(the next link still follows from the recorded hash)"
    ),
    ProblemKind.CHAIN_HASH_CHANGED: (
        "the chain row's hash was changed (the event and the next link agree with the "
        "recomputed hash)"
    ),
    ProblemKind.HASH_MISMATCH: (
        "the recomputed hash differs from the stored one: the event's bytes, its recorded_at "
        "or its chain hash changed, rows were swapped, or a row before it was deleted"
    ),
    ProblemKind.ROW_INSERTED: (
        "an event and chain row were inserted (the next link follows from the link before it)"
    ),
    ProblemKind.ROWS_DELETED: (
        "the link does not follow from the previous chain row, but the next link follows from "
        "the stored hash: the row(s) in between were deleted (or this event's bytes changed)"
    ),
    ProblemKind.EVENT_MISSING: "the chain row has no event row (the event was deleted)",
    ProblemKind.CHAIN_ROW_MISSING: "the event row has no chain row (the event was inserted)",
    ProblemKind.RECORDED_AT_DECREASES: "recorded_at is earlier than at the previous position",
    ProblemKind.POSITION_NOT_INCREASING: "positions must increase",
    ProblemKind.DIGEST_MISMATCH: (
        "the chain's hash at the digest's position differs: the ledger does not extend the digest"
    ),
    ProblemKind.DIGEST_NOT_FOUND: (
        "the chain has no row at the digest's position: the ledger does not extend the digest"
    ),
    ProblemKind.DIGEST_BEYOND_HEAD: (
        "the chain ends before the digest's position (events were removed from the end): "
        "the ledger does not extend the digest"
    ),
    ProblemKind.TREE_ROW_MISSING: (
        "the Merkle tree has no row for this event's leaf (a tree row was deleted)"
    ),
    ProblemKind.TREE_ROW_CHANGED: (
        "the stored tree row differs from the one recomputed from the chain (the leaf hash or "
        "a node its append completed was changed)"
    ),
    ProblemKind.TREE_ROW_MISPLACED: (
        "the tree row of this event's leaf names another position (tree rows were moved)"
    ),
    ProblemKind.TREE_BEYOND_CHAIN: (
        "the tree has leaves after the chain's last event: events were removed from the end"
    ),
    ProblemKind.CHECKPOINT_MISMATCH: (
        "a signed checkpoint's root is not the root of the tree over the events up to here: "
        "the history it signed was rewritten (chain and tree recomputed)"
    ),
    ProblemKind.CHECKPOINT_BEYOND_CHAIN: (
        "a signed checkpoint covers more events than the chain has: events were removed from "
        "the end"
    ),
    ProblemKind.CHECKPOINT_MALFORMED: (
        "a row of the checkpoint history does not hold the checkpoint its note signs"
    ),
}


@dataclass(frozen=True)
class Problem:
    """The first bad position of a chain and what is wrong there."""

    position: int
    kind: ProblemKind
    detail: str

    def __str__(self) -> str:
        return f"position {self.position}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of verify(): events checked, head, first problem, and the digest check."""

    checked: int
    head: Digest | None
    problem: Problem | None = None
    digest: Digest | None = None
    digest_verified: bool | None = None
    #: The recomputed tree's size and root (None when the tree was not checked).
    tree_size: int | None = None
    tree_root: bytes | None = None
    #: How many stored checkpoints matched the recomputed tree.
    checkpoints: int = 0

    @property
    def ok(self) -> bool:
        """True when the whole chain is intact (and extends the digest, if one was given)."""
        return self.problem is None

    @property
    def first_bad_position(self) -> int | None:
        """The first position where the chain breaks, or None when it is intact."""
        return None if self.problem is None else self.problem.position

    def summary(self) -> str:
        """One line for people: intact with head, or the first bad position and why."""
        if self.problem is not None:
            what = "tree" if self.problem.kind in TREE_KINDS else "chain"
            return f"{what} broken at {self.problem}"
        head = f"head {self.head}" if self.head else "empty ledger"
        text = f"chain intact: {self.checked} events, {head}"
        if self.tree_size is not None and self.tree_root is not None:
            text += f"; tree intact: {self.tree_size} leaves, root {b64encode(self.tree_root)}"
            if self.checkpoints:
                text += f"; signed checkpoints matching it: {self.checkpoints}"
        if self.digest is not None:
            text += f"; extends digest {self.digest}"
        return text


class ChainChecker:
    """Recomputes a chain from rows fed in position order and finds its first problem."""

    def __init__(self, digest: Digest | None = None) -> None:
        self.digest = digest
        self.digest_verified: bool | None = None if digest is None else False
        self.previous = GENESIS
        self.previous_recorded_at = ""
        self.position = 0
        self.count = 0
        self.problem: Problem | None = None
        # First event position known to have no chain row (from the store), if any.
        self.unchained = _NONE
        # A hash mismatch waiting for the next row to tell what changed:
        # (position, stored hash, recomputed hash, hash before it, position before it).
        self._pending: tuple[int, bytes, bytes, bytes, int] | None = None
        #: When a list: the leaf hash of each row that verified, in order (for the tree).
        self.leaves: list[bytes] | None = None

    @property
    def done(self) -> bool:
        """True once a problem is established."""
        return self.problem is not None

    def _fail(self, position: int, kind: ProblemKind, extra: str = "") -> None:
        detail = _EXPLAIN[kind] + (f" ({extra})" if extra else "")
        self.problem = Problem(position, kind, detail)

    def _resolve(self, row: ChainRow | None) -> None:
        assert self._pending is not None
        position, stored, recomputed, before, position_before = self._pending
        self._pending = None
        kind = ProblemKind.HASH_MISMATCH
        n, rec, h, oid, version, topic, state = (
            row if row is not None else (0, "", b"") + (None,) * 4
        )
        if oid is not None and version is not None and topic is not None and state is not None:
            try:
                if link_hash(stored, n, rec, oid, version, topic, state) == h:
                    kind = ProblemKind.EVENT_CHANGED
                elif link_hash(recomputed, n, rec, oid, version, topic, state) == h:
                    kind = ProblemKind.CHAIN_HASH_CHANGED
                elif link_hash(before, n, rec, oid, version, topic, state) == h:
                    kind = ProblemKind.ROW_INSERTED
            except (TypeError, AttributeError):
                pass
        extra = f"stored {stored.hex()[:16]}…, recomputed {recomputed.hex()[:16]}…"
        if kind == ProblemKind.EVENT_CHANGED and position > position_before + 1:
            kind = ProblemKind.ROWS_DELETED
            extra = f"previous chain row at position {position_before}; {extra}"
        self._fail(position, kind, extra)

    def feed(self, rows: list[ChainRow]) -> None:
        """Check the next rows (position order); stops at the first problem."""
        if self.problem is not None:
            return
        if self._pending is not None:
            if not rows:
                return
            self._resolve(rows[0])
            return
        previous = self.previous
        last_recorded_at = self.previous_recorded_at
        last_position = self.position
        unchained = self.unchained
        digest_position = _NONE if self.digest is None else self.digest.position
        count = self.count
        leaves = self.leaves
        p64, i64, u32, sha = _pack_u64, _pack_i64, _pack_u32, sha256
        for index, row in enumerate(rows):
            position, recorded_at, stored, oid, version, topic, state = row
            if position > unchained:
                self._fail(unchained, ProblemKind.CHAIN_ROW_MISSING)
                break
            if position <= last_position:
                self._fail(position, ProblemKind.POSITION_NOT_INCREASING, f"after {last_position}")
                break
            if position > digest_position:
                self._fail(digest_position, ProblemKind.DIGEST_NOT_FOUND)
                break
            if state is None or oid is None or topic is None or version is None:
                self._fail(position, ProblemKind.EVENT_MISSING)
                break
            try:
                rec = recorded_at.encode()
                o = oid.encode()
                t = topic.encode()
                data = b"".join(
                    (
                        p64(position),
                        u32(len(rec)),
                        rec,
                        u32(len(o)),
                        o,
                        i64(version),
                        u32(len(t)),
                        t,
                        u32(len(state)),
                        state,
                    )
                )
                recomputed = sha(previous + data).digest()
            except (TypeError, AttributeError, OverflowError) as e:
                self._fail(position, ProblemKind.HASH_MISMATCH, f"unreadable row: {e}")
                break
            if recomputed != stored:
                self._pending = (position, bytes(stored), recomputed, previous, last_position)
                if index + 1 < len(rows):
                    self._resolve(rows[index + 1])
                break
            if recorded_at < last_recorded_at:
                self._fail(
                    position,
                    ProblemKind.RECORDED_AT_DECREASES,
                    f"{recorded_at} after {last_recorded_at}",
                )
                break
            if position == digest_position:
                assert self.digest is not None
                if stored != self.digest.hash_bytes:
                    self._fail(
                        position,
                        ProblemKind.DIGEST_MISMATCH,
                        f"chain has {bytes(stored).hex()}, digest says {self.digest.hash}",
                    )
                    break
                self.digest_verified = True
                digest_position = _NONE
            previous = recomputed
            last_recorded_at = recorded_at
            last_position = position
            count += 1
            if leaves is not None:
                leaves.append(sha(b"\x00" + data).digest())
        self.previous = previous
        self.previous_recorded_at = last_recorded_at
        self.position = last_position
        self.count = count

    def finish(self) -> None:
        """Declare the end of the rows: resolve what is pending, check the digest was reached."""
        if self.problem is not None:
            return
        if self._pending is not None:
            self._resolve(None)
            return
        if self.unchained != _NONE:
            self._fail(self.unchained, ProblemKind.CHAIN_ROW_MISSING)
            return
        if self.digest is not None and not self.digest_verified:
            self._fail(
                self.digest.position,
                ProblemKind.DIGEST_BEYOND_HEAD,
                f"chain ends at position {self.position}",
            )

    def report(self, head: Digest | None) -> VerifyReport:
        """The report after finish()."""
        return VerifyReport(
            checked=self.count,
            head=head,
            problem=self.problem,
            digest=self.digest,
            digest_verified=self.digest_verified,
        )

    def head(self) -> Digest | None:
        """The last verified link as a Digest (None if nothing was verified)."""
        if self.position == 0:
            return None
        return Digest(self.position, self.previous.hex())


def check_rows(rows: Iterable[list[ChainRow]], digest: Digest | None = None) -> ChainChecker:
    """Run a ChainChecker over batches of rows (no store: e.g. an export file)."""
    checker = ChainChecker(digest)
    for batch in rows:
        checker.feed(batch)
        if checker.done:
            break
    checker.finish()
    return checker


class TreeChecker:
    """Recomputes the tree from verified chain rows and compares it with what is stored.

    Fed the positions and leaf hashes of the rows the ChainChecker verified, and the stored
    tree rows from the same leaf on; every stored checkpoint's root is compared with the
    recomputed tree's root when the tree reaches its size.
    """

    def __init__(self, checkpoints: Sequence[StoredCheckpoint]) -> None:
        self.frontier = Frontier()
        self.problem: Problem | None = None
        self.checkpoints_matched = 0
        self.last_position = 0
        self._checkpoints = sorted(checkpoints, key=lambda c: c.tree_size, reverse=True)
        self._check_checkpoints_at_size()

    @property
    def size(self) -> int:
        """How many leaves were recomputed and matched."""
        return self.frontier.size

    @property
    def done(self) -> bool:
        """True once a problem is established."""
        return self.problem is not None

    def _fail(self, position: int, kind: ProblemKind, extra: str = "") -> None:
        self.problem = Problem(position, kind, _EXPLAIN[kind] + (f" ({extra})" if extra else ""))

    def _check_checkpoints_at_size(self) -> None:
        """Compare the checkpoints of the tree's current size with its root."""
        pending = self._checkpoints
        while pending and pending[-1].tree_size <= self.frontier.size and self.problem is None:
            stored = pending.pop()
            try:
                signed = parse_checkpoint(stored.note).checkpoint
            except CheckpointError as e:
                self._fail(self.last_position, ProblemKind.CHECKPOINT_MALFORMED, str(e))
                return
            if (signed.size, signed.root) != (stored.tree_size, stored.root):
                extra = f"row of size {stored.tree_size}, its note signs size {signed.size}"
                self._fail(self.last_position, ProblemKind.CHECKPOINT_MALFORMED, extra)
                return
            root = self.frontier.root() if self.frontier.size else EMPTY_ROOT
            if root != stored.root:
                extra = (
                    f"checkpoint of size {stored.tree_size} signs root {b64encode(stored.root)}, "
                    f"the tree's root is {b64encode(root)}"
                )
                self._fail(self.last_position, ProblemKind.CHECKPOINT_MISMATCH, extra)
                return
            self.checkpoints_matched += 1

    def feed(
        self, positions: Sequence[int], leaves: Sequence[bytes], stored: Sequence[TreeTail]
    ) -> None:
        """Check the next leaves; `stored` are the stored rows from leaf `size` on."""
        start = 0
        while start < len(leaves) and self.problem is None:
            end = len(leaves)
            if self._checkpoints:
                end = min(end, start + self._checkpoints[-1].tree_size - self.frontier.size)
            first = self.frontier.size
            computed = self.frontier.extend_by_leaf(leaves[start:end])
            for offset, row in enumerate(computed):
                index = start + offset
                kept = stored[index] if index < len(stored) else None
                if kept is None or kept.leaf != first + offset:
                    self._fail(
                        positions[index], ProblemKind.TREE_ROW_MISSING, f"leaf {first + offset}"
                    )
                elif kept.position != positions[index]:
                    extra = f"leaf {kept.leaf} names position {kept.position}"
                    self._fail(positions[index], ProblemKind.TREE_ROW_MISPLACED, extra)
                elif kept.hashes != row:
                    self._fail(positions[index], ProblemKind.TREE_ROW_CHANGED, f"leaf {kept.leaf}")
                else:
                    continue
                return
            self.last_position = positions[end - 1]
            self._check_checkpoints_at_size()
            start = end

    def finish(self, reader: ChainReader) -> None:
        """After the last chain row: no tree row and no checkpoint may go beyond it."""
        if self.problem is not None:
            return
        extra_rows = reader.tree.scan(self.frontier.size, 1)
        if extra_rows:
            row = extra_rows[0]
            self._fail(row.position, ProblemKind.TREE_BEYOND_CHAIN, f"leaf {row.leaf}")
            return
        if self._checkpoints:
            largest = self._checkpoints[0].tree_size
            extra = f"a checkpoint of size {largest}, the chain has {self.frontier.size} events"
            self._fail(self.last_position + 1, ProblemKind.CHECKPOINT_BEYOND_CHAIN, extra)


def verify(
    recorder: ChainedRecorder,
    digest: Digest | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    tree: bool = True,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Recompute the store's chain and tree in position order; name the first break.

    Reads one consistent snapshot in batches. Finds changed event bytes, changed chain
    hashes, deleted events, inserted events, swapped rows and decreasing recorded_at; then,
    over the links that verify, changed, deleted, moved and extra tree rows, and stored
    checkpoints whose root is not the tree's at their size or that cover more events than
    the chain has (`tree=False` checks the chain only). With a digest (POSITION:HASH saved
    earlier) it proves the chain still contains that link. `progress` is told the last
    position read after each batch.
    """
    checker = ChainChecker(digest)
    trees: TreeChecker | None = None
    with recorder.chain_reader() as reader:
        if tree:
            checker.leaves = []
            trees = TreeChecker(reader.tree.checkpoints(-1, 1 << 62))
        after = 0
        while not checker.done and not (trees is not None and trees.done):
            rows = reader.chain_rows(after, batch_size)
            if checker.unchained == _NONE:
                upto = rows[-1][0] if rows else None
                unchained = reader.first_unchained_event(after, upto)
                if unchained is not None:
                    checker.unchained = unchained
            checker.feed(rows)
            if trees is not None and checker.leaves:
                leaves, checker.leaves = checker.leaves, []
                stored = reader.tree.scan(trees.size, len(leaves))
                trees.feed([row[0] for row in rows[: len(leaves)]], leaves, stored)
            if not rows:
                break
            after = rows[-1][0]
            if progress is not None:
                progress(after)
        checker.finish()
        if trees is not None and not checker.done:
            trees.finish(reader)
    # The tree is checked over links that verified, so its problem can only come first.
    found = [p for p in (trees.problem if trees else None, checker.problem) if p is not None]
    problem = min(found, key=lambda p: p.position) if found else None
    done = problem is not None
    report = VerifyReport(
        checked=checker.count,
        head=recorder.head() if done else checker.head(),
        problem=problem,
        digest=checker.digest,
        digest_verified=checker.digest_verified,
    )
    if trees is None or done:
        return report
    root = trees.frontier.root() if trees.size else EMPTY_ROOT
    return replace(
        report, tree_size=trees.size, tree_root=root, checkpoints=trees.checkpoints_matched
    )
