"""Numbers that are not vote counts (dates, times, money, codes, paragraphs, page numbers).

Before counts are read, the digits of such numbers are replaced by '#', so that a date,
an office code, a Haushaltsstelle or "TOP 5" can never be taken for a count.
"""

from __future__ import annotations

import re

from ledger.drafts.dates import SHORT_YEAR
from ledger.drafts.numbers import amounts_in

NOT_COUNTS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}",  # dates
        r"\d{1,2}[:.]\d{2}\s*(?:Uhr|h\b)",  # times
        r"\d{1,2}\s*Uhr",
        r"\d+(?:[.,]\d+)?\s*(?:%|Prozent|v\.\s?H\.|qm|m²|m2|km|ha|m\b|Jahre?n?\b|Monate?n?\b)",
        r"§+\s*\d+[a-z]?(?:\s*(?:,|und|bis|Abs\.|Absatz|Satz|S\.|Nr\.|Ziff\.|lit\.)\s*\d+[a-z]?)*",
        r"\bArt(?:ikel|\.)\s*\d+[a-z]?",
        r"\d+(?:\s?[./-]\s?\d+)+",  # codes, references, phone numbers: 01.4953.7187, 2018/6/067
        r"(?:\bTOP|\bTagesordnungspunkt|\bPunkt|\bPkt\.?|\bNr\.?|\bNummer|\bZiffer|\bZiff\.?"
        r"|\bAnlagen?|\bSeiten?|\bS\.|\bBl\.|\bBlatt|\bDrucksache|\bDrs\.?|\bVorlage|\bSitzung"
        r"|\bAz\.?|\bAktenzeichen|\bTel\.?|\bTelefon|\bFax|\bZimmer|\bRaum|\bPLZ|\bHaus"
        r"|\bBebauungsplan|\bB-Plan|\bFlurstück|\bFlur|\bGemarkung|\bProdukt|\bKonto"
        r"|\bKostenstelle|\bKostenart|\bSachkonto|\bHaushaltsstelle|\bHHSt\.?|\bAnsatz"
        r"|\bJahr|\bHaushaltsjahr|\bvon)\s*[:.]?\s*\d+",
        r"\b\d+\s*(?:von|aus)\s*\d+\b",  # "Seite 3 von 5", "2 aus 7"
        r"\b(?:19|20)\d{2}\b",  # years
        r"\b\d{4,}\b",  # no committee has a thousand members
        r"\d+\s*(?:\.|te[nrms]?\b|ter\b)(?=\s*(?:Sitzung|Änderung|Nachtrag|Satzung|Lesung|Tagung))",
    )
]


def mask_non_counts(line: str) -> str:
    """`line` with the digits of every number that is not a count replaced by '#'."""
    chars = list(line)
    spans = [(a.start, a.end) for a in amounts_in(line)]
    spans += [m.span() for m in SHORT_YEAR.finditer(line)]
    for pattern in NOT_COUNTS:
        spans += [m.span() for m in pattern.finditer(line)]
    for start, end in spans:
        for i in range(start, end):
            if chars[i].isdigit():
                chars[i] = "#"
    return "".join(chars)
