"""What an OParl import read, would record, recorded and left out: the lines it prints."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ledger.importers.oparl.harvest import BadObject
from ledger.importers.report import appended, plural

READ = ("Organization", "Meeting", "AgendaItem", "Paper", "Consultation")
RECORDED = ("body", "committee", "seats", "proposal", "vote", "decision", "retraction")


@dataclass
class OParlReport:
    """The outcome of one run of `ledger import oparl`."""

    source: str
    body_name: str
    since: str | None
    read: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    stats: Counter[str] = field(default_factory=Counter)
    bad: list[BadObject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    new_units: int = 0
    units: int = 0
    dry_run: bool = False
    skip_bad: bool = False
    positions: list[int] = field(default_factory=list)

    def bad_lines(self) -> list[str]:
        """Each bad object as 'URL: reason', in URL order, each once."""
        seen: dict[tuple[str, str], None] = {}
        for bad in sorted(self.bad, key=lambda b: b.url):
            seen[(bad.url, bad.reason)] = None
        return [f"{url}: {reason}" for url, reason in seen]

    def summary(self) -> list[str]:
        """The report's lines for the terminal."""
        out = [f"OParl source: {self.source} ({self.body_name})"]
        out.append(f"changes since: {self.since}" if self.since else "changes since: the start")
        read = [plural(self.read.get(k, 0), k) for k in READ]
        deleted = sum(v for k, v in self.read.items() if k.startswith("deleted "))
        out.append(
            f"read: {', '.join(read)}, {plural(deleted, 'deleted object')} "
            f"({plural(self.requests, 'request')})"
        )
        planned = [plural(self.stats[k], k) for k in RECORDED if self.stats[k]]
        out.append(f"mapped to: {', '.join(planned) or 'nothing'}")
        others = sorted(
            (k, v) for k, v in self.stats.items() if k not in RECORDED and v and k != "bad"
        )
        out.extend(f"  {v} {k}" for k, v in others)
        out.append(
            f"{plural(self.units, 'object')} with commands: {self.new_units} to record, "
            f"{self.units - self.new_units} already recorded"
        )
        out.extend(f"note: {note}" for note in self.notes)
        if self.dry_run:
            out.append("dry run: nothing was recorded")
        elif not self.positions:
            out.append("nothing new: the ledger is unchanged")
        else:
            out.append(appended(self.positions))
        return out
