"""What holds for a whole document or agenda item: reference, committee, meeting date."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.drafts.reference import (
    Found,
    FoundDay,
    committees_in,
    meeting_dates,
    references,
)
from ledger.drafts.sections import Segment, section_kinds, segments
from ledger.drafts.text import Source

HEADER_LINES = 15
GREMIUM = re.compile(r"^\s*(?:Gremium|Organ|Ausschuss)\s*:\s*(.+)$", re.IGNORECASE)
SITZUNG_OF = re.compile(r"Sitzung\s+(?:des|der)\s+(.+)", re.IGNORECASE)


@dataclass
class Facts:
    """The document's parts and what its header states."""

    source: Source
    kinds: list[str]
    segments: list[Segment]
    committee: Found | None
    meeting: FoundDay | None

    @property
    def minutes(self) -> bool:
        """Whether the document has agenda items (minutes) rather than being one proposal."""
        return len([s for s in self.segments if s.heading_line]) >= 2

    def numbered(self, segment: Segment | None = None) -> list[tuple[int, str]]:
        """(line number, text) of the whole document or of one segment."""
        lines = segment.numbers() if segment else range(1, len(self.source.lines) + 1)
        return [(n, self.source.line(n)) for n in lines]

    def decisive(self, segment: Segment) -> list[tuple[int, str]]:
        """The lines of a segment that may state its decision (no narrative, no proposal)."""
        return [
            (n, text)
            for n, text in self.numbered(segment)
            if self.kinds[n - 1] in ("decision", "neutral")
        ]

    def reference(self, segment: Segment) -> Found | None:
        """The resolution's reference: the first Vorlage/Drucksache, else the Beschluss-Nr."""
        found = self._references(segment)
        return found[0] if found else None

    def reference_before(self, segment: Segment, line: int) -> Found | None:
        """The reference of a decision on `line`: the segment's one, or the nearest before.

        Minutes whose items are not headed "TOP" hold several references in one segment;
        then each decision belongs to the reference stated last before it.
        """
        found = self._references(segment)
        if len({f.value for f in found}) <= 1:
            return found[0] if found else None
        before = [f for f in found if f.line <= line]
        return before[-1] if before else None

    def _references(self, segment: Segment) -> list[Found]:
        """Vorlage/Drucksache references (else Beschluss-Nr.) outside the narrative."""
        found = [
            (kind, item)
            for kind, item in references(self.numbered(segment))
            if self.kinds[item.line - 1] != "narrative"
        ]
        for wanted in ("vorlage", "beschluss"):
            chosen = [item for kind, item in found if kind == wanted]
            if chosen:
                return chosen
        return []


def read_facts(source: Source) -> Facts:
    """The facts of a document."""
    parts = segments(source)
    head_end = parts[0].last if len(parts) > 1 and not parts[0].heading_line else HEADER_LINES
    head = [(n, source.line(n)) for n in range(1, min(head_end, len(source.lines)) + 1)]
    return Facts(source, section_kinds(source), parts, header_committee(head), meeting(head))


def header_committee(head: list[tuple[int, str]]) -> Found | None:
    """The committee named in the header: "Gremium: X", "Sitzung des X", or X alone on a line."""
    for pattern in (GREMIUM, SITZUNG_OF):
        for number, text in head:
            match = pattern.search(text)
            names = committees_in(match.group(1)) if match else []
            if names:
                return Found(names[0], number, text.strip())
    for number, text in head:
        names = committees_in(text)
        if names and names[0] == text.strip().rstrip(":"):
            return Found(names[0], number, text.strip())
    return None


def meeting(head: list[tuple[int, str]]) -> FoundDay | None:
    """The meeting date stated in the header ("Sitzung am ...", "Sitzungstermin: ...")."""
    found = meeting_dates(head)
    return found[0] if found else None
