"""What an import did: rows read, recorded, already recorded, settled, bad rows, positions."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.errors import LedgerError


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
        if self.bad:
            counts += f", {plural(len(sorted_bad(self.bad)), 'bad row')} skipped"
        out.append(counts)
        out.extend(f"note: {note}" for note in self.notes)
        if self.dry_run:
            out.append("dry run: nothing was recorded")
        elif not self.positions:
            out.append("nothing new: the ledger is unchanged")
        else:
            out.append(
                f"appended {len(self.positions)} events at positions "
                f"{self.positions[0]}..{self.positions[-1]}"
            )
        return out


def plural(count: int, noun: str) -> str:
    """'1 row', '2 rows'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


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
