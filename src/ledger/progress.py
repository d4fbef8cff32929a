"""Progress of a long command: a bar on a terminal, a log line every few seconds otherwise.

    with Progress("rebuild", total=head, unit="events") as progress:
        for batch in batches:
            ...
            progress.advance(len(batch))  # or progress.reach(position)

On a terminal (standard error is one) rich draws a bar on stderr. Anywhere else (a pipe, a
file, a container's log) a line is logged (logger `ledger.progress`, INFO) every
LEDGER_PROGRESS_INTERVAL seconds (default 5): ``rebuild: 120,000 of 1,000,000 events (12%),
24,000/s, about 37 s left``, and a last line when it is done, if any line was logged before;
a run shorter than the interval logs nothing. LEDGER_PROGRESS=off shows neither.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any, Final, TextIO

from ledger import settings

INTERVAL_VAR: Final = "LEDGER_PROGRESS_INTERVAL"
SWITCH_VAR: Final = "LEDGER_PROGRESS"
DEFAULT_INTERVAL: Final = 5.0
log = logging.getLogger("ledger.progress")


def interval_setting() -> float:
    """Seconds between progress lines off a terminal: LEDGER_PROGRESS_INTERVAL (default 5)."""
    return settings.value(settings.PROGRESS_INTERVAL)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Progress:
    """Shows how far a long command got: `advance(n)` after each piece of `total` is done."""

    def __init__(
        self,
        what: str,
        total: int | None,
        *,
        unit: str = "events",
        interval: float | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.what = what
        self.total = total
        self.unit = unit
        self.done = 0
        self._interval = interval_setting() if interval is None else interval
        self._stream = stream
        self._bar: Any = None
        self._task: Any = None
        self._started = 0.0
        self._next = 0.0
        self._logged = False
        self._off = not settings.value(settings.PROGRESS)

    def _terminal(self) -> bool:
        stream = sys.stderr if self._stream is None else self._stream
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"

    def __enter__(self) -> Progress:
        self._started = time.monotonic()
        self._next = self._started + self._interval
        if not self._off and self._terminal():
            self._start_bar()
        return self

    def _start_bar(self) -> None:
        # Imported here: commands off a terminal never pay for it.
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        console = Console(file=self._stream or sys.stderr)
        self._bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(self.unit),
            TaskProgressColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.what, total=self.total)

    def advance(self, n: int = 1) -> None:
        """Notes that `n` more of the total are done."""
        self.reach(self.done + n)

    def reach(self, done: int) -> None:
        """Notes that `done` of the total are done (a position reached, say)."""
        self.done = done
        if self._off:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
            return
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self._interval
            self._logged = True
            log.info("%s", self.line(now))

    def line(self, now: float | None = None) -> str:
        """How far it got, in words: done of total, the share, the rate and the time left."""
        elapsed = max((time.monotonic() if now is None else now) - self._started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.what}: {self.done:,} "
        if self.total:
            share = min(self.done / self.total, 1.0)
            text += f"of {self.total:,} {self.unit} ({share:.0%}), {rate:,.0f}/s"
            if self.done < self.total and rate > 0:
                text += f", about {_duration((self.total - self.done) / rate)} left"
        else:
            text += f"{self.unit}, {rate:,.0f}/s"
        return text

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        elif self._logged and exc[0] is None:
            elapsed = time.monotonic() - self._started
            log.info(
                "%s: done, %s %s in %s", self.what, f"{self.done:,}", self.unit, _duration(elapsed)
            )
