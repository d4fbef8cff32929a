"""Verify: the store's `verify` in events/s vs SHA-256 over the same bytes with hashlib alone.

The baseline reads the chain rows page by page (not timed), lays out exactly the bytes the
chain hashes (previous hash, position, recorded_at, originator id, version, topic, state)
and times only the hashlib calls; it is the floor any verify can reach in Python.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from hashlib import sha256
from struct import Struct
from typing import Any

_u64 = Struct(">Q").pack
_i64 = Struct(">q").pack
_u32 = Struct(">I").pack
PAGE = 20_000


@dataclass
class VerifyFigure:
    """verify and hashlib rates (events/s), medians over repeats."""

    events: int = 0
    verify_rates: list[float] = field(default_factory=list)
    hash_rates: list[float] = field(default_factory=list)
    ok: bool = True
    summary: str = ""

    @property
    def verify_rate(self) -> float:
        """Median events/s of verify."""
        return statistics.median(self.verify_rates) if self.verify_rates else 0.0

    @property
    def hash_rate(self) -> float:
        """Median events/s of hashlib alone."""
        return statistics.median(self.hash_rates) if self.hash_rates else 0.0

    @property
    def ratio(self) -> float:
        """verify rate / hashlib rate."""
        return self.verify_rate / self.hash_rate if self.hash_rate else 0.0


def hash_only_seconds(recorder: Any) -> tuple[int, float]:
    """Hashes the chain's bytes with hashlib alone; (events, seconds spent hashing)."""
    previous = bytes(32)
    events = 0
    spent = 0.0
    with recorder.chain_reader() as reader:
        after = 0
        while True:
            rows = reader.chain_rows(after, PAGE)
            if not rows:
                break
            after = rows[-1][0]
            blobs = []
            for position, recorded_at, _, oid, version, topic, state in rows:
                rec, o, t = recorded_at.encode(), oid.encode(), topic.encode()
                blobs.append(
                    b"".join(
                        (
                            _u64(position),
                            _u32(len(rec)),
                            rec,
                            _u32(len(o)),
                            o,
                            _i64(version),
                            _u32(len(t)),
                            t,
                            _u32(len(state)),
                            bytes(state),
                        )
                    )
                )
            began = time.perf_counter()
            for blob in blobs:
                previous = sha256(previous + blob).digest()
            spent += time.perf_counter() - began
            events += len(rows)
    return events, spent


def measure_verify(url: str, repeats: int = 3) -> VerifyFigure:
    """Runs verify and the hashlib baseline `repeats` times each, alternating."""
    from ledger.store import open_recorder, verify

    figure = VerifyFigure()
    recorder = open_recorder(url)
    try:
        for _ in range(repeats):
            began = time.perf_counter()
            report = verify(recorder)
            elapsed = time.perf_counter() - began
            figure.events = report.checked
            figure.ok = figure.ok and report.ok
            figure.summary = report.summary()
            figure.verify_rates.append(report.checked / elapsed if elapsed else 0.0)
            events, spent = hash_only_seconds(recorder)
            figure.hash_rates.append(events / spent if spent else 0.0)
    finally:
        recorder.close()
    return figure
