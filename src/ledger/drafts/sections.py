"""The parts of a document: agenda items (TOP) of minutes, and the kind of each section.

Counts and outcomes are read only where a document states its own decision: not in the
narrative (Sachverhalt, Begründung: earlier votes are told there) and not in the proposed
wording (Beschlussvorschlag: "Der Rat beschließt" is what is asked, not what was decided).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.drafts.text import Source

TOP = re.compile(
    r"^\s*(?:zu\s+)?(?:(?:TOP|Top|TO|Tagesordnungspunkt|Pkt\.?)\s*[:.]?\s*(?:[ÖöNn]\s*)?"
    r"|[ÖN]\s?(?=\d+(?:\.\d+)*\s+[A-ZÄÖÜ]))"
    r"(\d{1,3}(?:\.\d{1,3})*[a-z]?)\b[.:)]?\s*(.*)$"
)
HEADINGS: tuple[tuple[str, str], ...] = (
    ("proposal", r"Beschlussvorschlag|Beschlussentwurf|Beschlussempfehlung|Empfehlung|Antrag"
     r"|Vorschlag(?:\s+der\s+Verwaltung)?"),
    ("decision", r"Beschlussergebnis|Beschlussfassung|Abstimmungsergebnis|Abstimmung"
     r"|Beratungsergebnis|Beratungsfolge|Beratungen|Ergebnis|Beschluss|Beschlüsse"),
    ("narrative", r"Sachverhalt|Sachdarstellung|Sach-\s+und\s+Rechtslage|Begründung"
     r"|Erläuterung(?:en)?|Problembeschreibung|Problemstellung|Stellungnahme(?:\s+\w+){0,3}"
     r"|Vorbemerkung(?:en)?|Ausgangslage|Ausgangssituation|Anlagen?|Hinweise?|Hintergrund"
     r"|Rechtsgrundlagen?|Historie|Darstellung"),
    ("neutral", r"Finanzielle\s+Auswirkungen|Finanzierung|Haushaltsmittel|Kosten|Betreff"
     r"|Gegenstand|Veranschlagung"),
)  # fmt: skip
HEADING = re.compile(
    r"^\s*(?:\d{1,2}(?:\.\d{1,2})*\.?\s+)?(?:"
    + "|".join(f"(?P<{kind}>{words})" for kind, words in HEADINGS)
    + r")\s*(?:[:?]|$|\s+(?:der|des|zur|zum)\s)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Segment:
    """Lines `first`..`last` (1-based, inclusive): the preamble or one agenda item."""

    first: int
    last: int
    heading: str  # the agenda item's title ("" for the preamble or a single document)
    heading_line: int

    def numbers(self) -> range:
        """The line numbers of the segment."""
        return range(self.first, self.last + 1)


def segments(source: Source) -> list[Segment]:
    """Agenda items when the document has two or more (minutes), else the whole document."""
    starts = [(n, m.group(2).strip()) for n, m in _tops(source)]
    total = len(source.lines)
    if len(starts) < 2:
        return [Segment(1, total, "", 0)]
    result = [Segment(1, starts[0][0] - 1, "", 0)] if starts[0][0] > 1 else []
    for index, (line, title) in enumerate(starts):
        last = starts[index + 1][0] - 1 if index + 1 < len(starts) else total
        result.append(Segment(line, last, title, line))
    return result


def _tops(source: Source) -> list[tuple[int, re.Match[str]]]:
    found = []
    for number, text in enumerate(source.lines, start=1):
        match = TOP.match(text)
        if match:
            found.append((number, match))
    return found


def section_kinds(source: Source) -> list[str]:
    """For each line (index 0 is line 1): proposal, decision, narrative or neutral."""
    kinds: list[str] = []
    current = "neutral"
    for text in source.lines:
        if TOP.match(text):
            current = "neutral"
        elif len(text.strip()) <= 90:
            match = HEADING.match(text)
            if match:
                current = next(kind for kind, _ in HEADINGS if match.group(kind))
        kinds.append(current)
    return kinds
