"""The projector inside the server: a thread that catches up every half second, one per database.

With SQLite (the default) nothing else keeps the read model current, so `ledger serve` follows
the ledger in-process. Several server processes (`--workers N`, or two `ledger serve` on one
file) must not project concurrently: each tries an exclusive advisory lock (flock) on a lock
file beside the database; the holder projects, the others retry and take over when it exits.
The OS releases the lock when its process dies, so a crashed worker never blocks the others.
The holder's catch-ups run through a `Follower`: it outlives a restart of the store (and an
event it cannot project), retrying with backoff and logging each failure on one line; its
state tells /readyz whether the read model is current.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Final

from ledger.store import parse_url
from projections.engine.projector import Follower

INTERVAL: Final = 0.5
LOCK_RETRY: Final = 2.0
log = logging.getLogger("uvicorn.error")  # shown with the server's own messages


def lock_path(url: str) -> Path:
    """The projector's lock file for a database: beside a SQLite file, else in the temp dir."""
    parsed = parse_url(url)
    if parsed.backend == "sqlite" and parsed.path is not None:
        return parsed.path.with_name(parsed.path.name + ".projector.lock")
    key = hashlib.sha256(parsed.url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"ledger-projector-{key}.lock"


def _warn(message: str) -> None:
    log.warning("projector: %s", message)


class ProjectorThread:
    """Runs `catch_up()` every INTERVAL seconds while holding the database's projector lock."""

    def __init__(
        self,
        catch_up: Callable[[], object],
        lock_file: Path,
        interval: float = INTERVAL,
        lock_retry: float = LOCK_RETRY,
        *,
        reconnect: Callable[[], None] = lambda: None,
        url: str | None = None,
    ) -> None:
        #: Runs the catch-ups (once this thread holds the lock); its state is the read model's.
        self.follower = Follower(catch_up, _warn, reconnect=reconnect, url=url)
        self._lock_file = lock_file
        self._interval = interval
        self._lock_retry = lock_retry
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-projector", daemon=True)
        self.holds_lock = False
        self.tried = threading.Event()  # set once the first attempt at the lock is over

    def start(self) -> None:
        """Starts following in the background."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Asks the thread to stop after its current catch-up and waits for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _acquire(self) -> IO[bytes] | None:
        try:
            handle = open(self._lock_file, "a+b")  # noqa: SIM115 - held for the thread's lifetime
        except OSError as exc:
            log.warning("cannot open the projector lock %s: %s", self._lock_file, exc)
            return None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return None
        return handle

    def _run(self) -> None:
        handle: IO[bytes] | None = None
        try:
            while handle is None:
                handle = self._acquire()
                self.holds_lock = handle is not None
                self.tried.set()
                if handle is None and self._stop.wait(self._lock_retry):
                    return
            log.info("projector following in process %d", os.getpid())
            while not self._stop.is_set():
                wait = self.follower.step()
                self._stop.wait(self._interval if wait is None else wait)
        finally:
            if handle is not None:
                self.holds_lock = False
                handle.close()
