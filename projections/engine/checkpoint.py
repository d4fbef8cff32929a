"""The WAL checkpointer: copies the projector's committed pages into the SQLite file, aside.

On SQLite a commit appends the pages it changed to the write-ahead log; a checkpoint
copies them into the database file so that the log can start over. Left to the writer
(`wal_autocheckpoint`), the checkpoint runs inside a commit, so the projector waits for
it: at 10^6 events about a sixth of a catch-up. Here it runs in a thread of its own with
its own connection, asked for after each batch. SQLite releases the GIL for the whole
checkpoint, so it overlaps with the projector folding the next batch, and a PASSIVE
checkpoint never blocks the writer nor readers. The projector's connection keeps a high
`wal_autocheckpoint` as a safety valve (see `projections.engine.store.make_engine`).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class Checkpointer:
    """Checkpoints one SQLite database's WAL in a background thread, when asked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._wanted = threading.Event()
        self._closing = False
        self._pending = False
        self._thread: threading.Thread | None = None
        #: Checkpoints run, and the last error if one failed (the writer's own
        #: autocheckpoint still bounds the log then).
        self.runs = 0
        self.error: sqlite3.Error | None = None

    def request(self) -> None:
        """Asks for a checkpoint soon (requests made while one runs fold into one)."""
        if self._closing:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
            self._thread.start()
        self._pending = True
        self._wanted.set()

    def close(self) -> None:
        """Runs the checkpoint asked for, if any, and stops the thread."""
        self._closing = True
        self._wanted.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._pending:
                    self._pending = False
                    try:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                        self.runs += 1
                    except sqlite3.Error as exc:
                        self.error = exc
                if self._closing:
                    return
        finally:
            conn.close()
