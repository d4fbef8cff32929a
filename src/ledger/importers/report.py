"""What an import did: rows read, selected, skipped, recorded, already recorded, settled, bad."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ledger.errors import LedgerError
from ledger.progress import Progress as Shown


@dataclass(frozen=True)
class BadRow:
    """A row that cannot be recorded: its line in the file (header = line 1) and why."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """The outcome of one import (budget or bookings) of one file."""

    kind: str
    source: str
    reading: str
    mapping: list[str] = field(default_factory=list)
    rows: int = 0
    new: int = 0
    already_recorded: int = 0
    #: Rows repeating a fact that was retracted or corrected since: skipped, it stands.
    settled: int = 0
    #: Recorded lines the file lacks, set to 0.00 (budget, --close-missing).
    closed: int = 0
    #: Rows that `where` did not select (another year, the actual beside the plan).
    not_selected: int = 0
    #: Rows a `skip` rule dropped (sum and footer rows): the rule -> their file lines.
    skipped: dict[str, list[int]] = field(default_factory=dict)
    bad: list[BadRow] = field(default_factory=list)
    skip_bad: bool = False
    dry_run: bool = False
    positions: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def bad_lines(self) -> list[str]:
        """Each bad row as 'FILE line N: reason', in file order."""
        return [f"{self.source} line {b.line}: {b.reason}" for b in sorted_bad(self.bad)]

    def summary(self) -> list[str]:
        """The report's lines for the terminal."""
        what = "line" if self.kind == "budget" else "booking"
        out = [self.reading, *(f"  {line}" for line in self.mapping)]
        counts = (
            f"{plural(self.rows, 'row')}: {plural(self.new, what)} to record, "
            f"{self.already_recorded} already recorded"
        )
        if self.settled:
            counts += f", {self.settled} settled by a retraction or correction"
        if self.closed:
            counts += f", {plural(self.closed, 'missing line')} closed"
        if self.not_selected:
            counts += f", {self.not_selected} not selected"
        if self.skipped:
            counts += f", {sum(map(len, self.skipped.values()))} skipped by rule"
        if self.bad:
            counts += f", {plural(len(sorted_bad(self.bad)), 'bad row')} skipped"
        out.append(counts)
        out.extend(
            f"skipped by rule ({rule}): {plural(len(lines), 'row')} ({lines_named(lines)})"
            for rule, lines in self.skipped.items()
        )
        out.extend(f"note: {note}" for note in self.notes)
        if self.dry_run:
            out.append("dry run: nothing was recorded")
        elif not self.positions:
            out.append("nothing new: the ledger is unchanged")
        else:
            out.append(appended(self.positions))
        return out


class Stages:
    """Where an import tells its stages (`say(text)`), named for its progress (`what`)."""

    def __init__(self, what: str, say: Callable[[str], None] | None = None) -> None:
        self.what = what
        self.say = say
        self.shown: Progress | None = None

    def __call__(self, text: str) -> None:
        if self.say is not None:
            self.say(text)

    def close(self) -> None:
        """Ends the rows' progress if the import stopped while reading (an error)."""
        if self.shown is not None:
            self.shown.close()


class Progress:
    """Tells a long import's progress: a line per stage, and how many rows were read.

    The rows read show as `ledger.progress.Progress` does (a bar on a terminal, a log line
    every few seconds elsewhere); it ends when the first stage after reading begins.
    """

    def __init__(self, say: Callable[[str], None], total: int, every: int = 10_000) -> None:
        self.say = say
        self.total = total
        self.every = every
        what = "import"
        if isinstance(say, Stages):
            what, say.shown = say.what, self
        self._rows: Shown | None = Shown(what, total, unit="rows").__enter__()

    def row(self, count: int) -> None:
        """Row `count` (from 1) is being read."""
        if self._rows is not None:
            self._rows.reach(count)

    def stage(self, text: str) -> None:
        """A stage begins (checking against the ledger, recording): the reading is over."""
        self.close()
        self.say(text)

    def close(self) -> None:
        """Ends the rows' progress (its bar, or its last log line)."""
        if self._rows is not None:
            self._rows.__exit__(None, None, None)
            self._rows = None


def plural(count: int, noun: str) -> str:
    """'1 row', '2 rows'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def appended(positions: Sequence[int]) -> str:
    """The summary of an append: 'appended 41 events at positions 1..41', runs of
    consecutive positions as ranges ('3..5, 9'), one event as 'at position 7'."""
    if len(positions) == 1:
        return f"appended 1 event at position {positions[0]}"
    runs: list[list[int]] = []
    for position in positions:
        if runs and position == runs[-1][-1] + 1:
            runs[-1].append(position)
        else:
            runs.append([position])
    named = ", ".join(f"{run[0]}..{run[-1]}" if len(run) > 1 else f"{run[0]}" for run in runs)
    return f"appended {plural(len(positions), 'event')} at positions {named}"


def lines_named(lines: list[int], most: int = 10) -> str:
    """'line 9', 'lines 2, 5, 7', 'lines 2, 5, ... (30 in all)'."""
    if len(lines) == 1:
        return f"line {lines[0]}"
    shown = ", ".join(str(n) for n in lines[:most])
    return f"lines {shown}" + (f", ... ({len(lines):,} in all)" if len(lines) > most else "")


def sorted_bad(bad: list[BadRow]) -> list[BadRow]:
    """Bad rows in file order, one entry per line (reasons of one line joined)."""
    merged: dict[int, list[str]] = {}
    for row in bad:
        reasons = merged.setdefault(row.line, [])
        if row.reason not in reasons:
            reasons.append(row.reason)
    return [BadRow(line, "; ".join(reasons)) for line, reasons in sorted(merged.items())]


class ImportRefusedError(LedgerError):
    """The file has bad rows and --skip-bad was not given: nothing was recorded."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        count = plural(len(sorted_bad(report.bad)), "bad row")
        super().__init__(
            f"{report.source}: {count}; nothing was recorded "
            f"(fix them, or give --skip-bad to record the other rows)"
        )
