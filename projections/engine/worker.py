"""The fold worker: a second process that folds its share of each batch's records.

Folding a batch (decoding the events, stepping the folds, building the rows) is Python
and most of a catch-up; it cannot use a second core in one process. Records never share
events, so a projector catching up a long backlog splits every batch by record: the
worker keeps its share of the records (`projections.engine.records.Records`) and folds their
events while the projector folds the others; the projector then writes both parts and
its position in one transaction, as before. The worker writes no rows and takes no lock
(it reads the ledger and the read-model tables); the projector holds the lock and writes.
The worker runs while one catch-up far behind the ledger runs, and stops with it.

The worker starts on batch k while the projector still commits batch k-1, so a record it
restores from the tables may miss k-1's rows: it applies the changes of k-1 it folded
itself on top (`Records(overlapped=True)`); where the commit came first, they are already
there and applying them again changes nothing. A batch the projector does not commit
(another projector moved the position, an error) bumps the epoch: the worker then drops
its kept records, as the projector drops its own.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import signal
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any
from uuid import UUID

from ledger.errors import LedgerError
from ledger.store import ChainedEvent
from projections.engine.errors import FoldWorkerError, ProjectionError
from projections.engine.records import CACHE_RECORDS, BatchWrites, Records
from projections.engine.schema import Catalog, load_catalog
from projections.engine.store import make_engine

#: Of 16 record slots, how many the worker folds. The projector also reads the batch and
#: writes it, so the worker takes the larger share.
WORKER_SLOTS = 10
#: How long `close` waits for the worker to stop before it kills it.
STOP_SECONDS = 10


def worker_folds(record: UUID) -> bool:
    """Whether the worker folds the events of this record (always the same side)."""
    return record.int % 16 < WORKER_SLOTS


def peak_rss_kb() -> int:
    """This process's peak resident memory (VmHWM) in KB, or 0 where /proc has none.

    Not ru_maxrss: Linux carries that over from a forked parent across exec.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class FoldWorker:
    """The projector's handle on one worker process (started at once, stopped by `close`).

    The projector reads each reply before it sends the next share, so the worker is always
    waiting to read when a share comes: shares and replies larger than the pipe's buffers
    cannot leave both processes waiting for the other to read.
    """

    def __init__(
        self, url: str | None, catalog: Catalog, *, cache_records: int = CACHE_RECORDS
    ) -> None:
        if catalog.origin is None:
            raise ValueError("a fold worker needs a catalog with an origin (module:NAME)")
        context = multiprocessing.get_context("spawn")  # no fork of a threaded process
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(child, url, catalog.origin, cache_records),
            name="ledger-fold-worker",
            daemon=True,
        )
        self._process.start()
        child.close()
        self.epoch = 0
        #: Whether a share was sent and its reply not yet read.
        self._waiting = False
        #: Shares (batches) and events sent to the worker so far.
        self.batches = 0
        self.events = 0
        #: The worker's peak resident memory in KB, reported when it stops.
        self.peak_rss_kb = 0

    @property
    def alive(self) -> bool:
        """Whether the worker process is still running."""
        return self._process.is_alive()

    def submit(
        self, generation: int, position: int, last: int, chained: Sequence[ChainedEvent]
    ) -> None:
        """Sends the worker its part of the batch after `position` that ends at `last`."""
        # Sent as plain tuples with the record id as bytes: a third of the pickling time.
        events = [(c.position, c.recorded_at, c.originator_id.bytes, *c[3:]) for c in chained]
        try:
            self._pipe.send(("fold", self.epoch, generation, position, last, events))
        except OSError as exc:
            raise FoldWorkerError(f"the fold worker stopped ({exc})") from exc
        self._waiting = True
        self.batches += 1
        self.events += len(events)

    def result(self) -> BatchWrites:
        """What the worker's part of the batch writes (waits for it)."""
        try:
            reply = self._pipe.recv()
        except (EOFError, OSError) as exc:
            self._waiting = False
            raise FoldWorkerError(f"the fold worker stopped ({exc or 'no reply'})") from exc
        self._waiting = False  # only once the reply is read: else `discard` reads it
        if reply[0] == "ok":
            writes: BatchWrites = reply[1]
            return writes
        if reply[0] == "projection":
            raise ProjectionError(reply[1])
        raise FoldWorkerError(f"the fold worker failed: {reply[1]}")

    def discard(self) -> None:
        """Abandons the batch under way: its result is dropped, and the kept records with it."""
        if self._waiting:
            with contextlib.suppress(LedgerError):
                self.result()
        self.epoch += 1

    def close(self) -> None:
        """Stops the worker process (killed if it does not stop within seconds)."""
        try:
            if self._waiting:
                self.discard()
            self._pipe.send(("stop",))
            if self._pipe.poll(STOP_SECONDS):
                reply = self._pipe.recv()
                if reply[0] == "stopped":
                    self.peak_rss_kb = int(reply[1])
        except (EOFError, OSError, LedgerError):
            pass
        finally:
            self._pipe.close()
            self._process.join(timeout=STOP_SECONDS)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()


def _serve(pipe: Connection, url: str | None, origin: str, cache_records: int) -> None:
    """The worker process: folds the parts it is sent (into the read models of the catalog
    at `origin`) until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the projector's to handle
    engine = make_engine(url, writer=False)
    records = Records(load_catalog(origin), cache_records=cache_records, overlapped=True)
    epoch: int | None = None
    try:
        while True:
            try:
                message: tuple[Any, ...] = pipe.recv()
            except EOFError:
                return
            if message[0] == "stop":
                pipe.send(("stopped", peak_rss_kb()))
                return
            _, sent_epoch, generation, position, last, events = message
            chained = [ChainedEvent(p, at, UUID(bytes=i), *rest) for p, at, i, *rest in events]
            if sent_epoch != epoch:
                records.forget()
                gc.unfreeze()  # what earlier batches left is collectable again
                epoch = sent_epoch
            gc.disable()  # as the projector does: the batch's garbage is acyclic
            try:
                decoded = [records.decode(c) for c in chained]
                with engine.connect() as conn, conn.begin():
                    writes = records.fold(conn, generation, position, last, chained, decoded)
                reply: tuple[str, Any] = ("ok", writes)
            except ProjectionError as exc:
                records.forget()
                reply = ("projection", str(exc))
            except Exception as exc:  # reported to the projector, which stops the batch
                records.forget()
                reply = ("failed", repr(exc))
            finally:
                gc.freeze()
                gc.enable()
            pipe.send(reply)
    finally:
        engine.dispose()
