"""Several processes appending at once keep one unbroken chain and lose no event."""

from __future__ import annotations

import multiprocessing
import time
from itertools import pairwise
from typing import TYPE_CHECKING

import pytest
from storage import new_events

from ledger.store import open_recorder, verify

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event

pytestmark = pytest.mark.storage

PROCESSES = 4
TRANSACTIONS = 50
EVENTS_PER_TRANSACTION = 3
PAUSE = 0.005


def append_from_another_process(
    url: str, start: Event, worker: int, transactions: int, size: int
) -> None:
    """Worker: open the store, wait for the start signal, append `transactions` times."""
    recorder = open_recorder(url)
    try:
        if not start.wait(60):
            raise TimeoutError("no start signal")
        for _ in range(transactions):
            recorder.insert_events(new_events(size, topic=f"worker{worker}"))
            time.sleep(PAUSE)  # like a server between requests: lets the others in
    finally:
        recorder.close()


def test_processes_appending_at_once_keep_one_unbroken_chain(store_url: str) -> None:
    open_recorder(store_url).close()  # create the tables before the race
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(
            target=append_from_another_process,
            args=(store_url, start, n, TRANSACTIONS, EVENTS_PER_TRANSACTION),
        )
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    for worker in workers:
        worker.close()

    total = PROCESSES * TRANSACTIONS * EVENTS_PER_TRANSACTION
    recorder = open_recorder(store_url)
    try:
        report = verify(recorder)
        events = recorder.select_chained(1, total + 10)
        assert report.ok, report.summary()
        assert report.checked == len(events) == total  # no lost event
        positions = [e.position for e in events]
        assert positions == sorted(set(positions))
        times = [e.recorded_at for e in events]
        assert times == sorted(times)  # recorded_at never decreases along position
        # The events of one transaction share one recorded_at.
        by_time: dict[object, list[int]] = {}
        for event in events:
            by_time.setdefault(event.recorded_at, []).append(event.position)
        assert all(len(p) % EVENTS_PER_TRANSACTION == 0 for p in by_time.values())
        # The processes really did write at the same time (their transactions interleave).
        switches = sum(a.topic != b.topic for a, b in pairwise(events))
        print(f"writer switches along the chain: {switches}")
        assert switches >= PROCESSES
    finally:
        recorder.close()
