"""Verification of the hash chain: recompute it, name the first break, check a saved digest."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from hashlib import sha256
from struct import Struct
from typing import TYPE_CHECKING, Final

from ledger.store.chain import GENESIS, Digest, link_hash

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ledger.store.base import ChainedRecorder, ChainRow

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
            return f"chain broken at {self.problem}"
        head = f"head {self.head}" if self.head else "empty ledger"
        text = f"chain intact: {self.checked} events, {head}"
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
                recomputed = sha(
                    b"".join(
                        (
                            previous,
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
                ).digest()
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


def verify(
    recorder: ChainedRecorder, digest: Digest | None = None, *, batch_size: int = BATCH_SIZE
) -> VerifyReport:
    """Recompute the store's chain in position order; name the first break; check the digest.

    Reads one consistent snapshot in batches. Finds changed event bytes, changed chain
    hashes, deleted events, inserted events, swapped rows and decreasing recorded_at. With a
    digest (POSITION:HASH saved earlier) it proves the chain still contains that link.
    """
    checker = ChainChecker(digest)
    with recorder.chain_reader() as reader:
        after = 0
        while not checker.done:
            rows = reader.chain_rows(after, batch_size)
            if checker.unchained == _NONE:
                upto = rows[-1][0] if rows else None
                unchained = reader.first_unchained_event(after, upto)
                if unchained is not None:
                    checker.unchained = unchained
            checker.feed(rows)
            if not rows:
                break
            after = rows[-1][0]
        checker.finish()
    return checker.report(recorder.head() if checker.done else checker.head())
