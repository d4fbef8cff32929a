"""Dates as written in German documents: "19.06.2018", "19. Juni 2018"; a month alone is unsure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTHS = {
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "marz": 3, "april": 4,
    "mai": 5, "juni": 6, "juli": 7, "august": 8, "september": 9, "oktober": 10,
    "november": 11, "dezember": 12,
}  # fmt: skip
MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
# The year may follow on the next line ("30.06.\n2018"), as OCR and PDF layouts break it.
NUMERIC = re.compile(r"(?<![\d.])(\d{1,2})\.\s?(\d{1,2})\.[ \t]*\n?[ \t]*(\d{4})(?![\d])")
SPELLED = re.compile(rf"(?<![\d.])(\d{{1,2}})\.\s*({MONTH_NAMES})\s+(\d{{4}})(?!\d)", re.IGNORECASE)
MONTH_ONLY = re.compile(rf"\b({MONTH_NAMES})\s+(\d{{4}})(?!\d)", re.IGNORECASE)
SHORT_YEAR = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{2})(?![\d.])")


@dataclass(frozen=True)
class FoundDate:
    """A date found in text: the day (None when only a month is given) and where."""

    day: date | None
    start: int
    end: int
    text: str


def dates_in(text: str) -> list[FoundDate]:
    """Every full date in `text`; a month without a day or a two-digit year gives day None."""
    found: list[FoundDate] = []
    for match in NUMERIC.finditer(text):
        day, month, year = (int(g) for g in match.groups())
        found.append(FoundDate(_real(year, month, day), match.start(), match.end(), match.group(0)))
    for match in SPELLED.finditer(text):
        month = MONTHS[match.group(2).lower()]
        spelled = _real(int(match.group(3)), month, int(match.group(1)))
        found.append(FoundDate(spelled, match.start(), match.end(), match.group(0)))
    taken = [(f.start, f.end) for f in found]
    for match in MONTH_ONLY.finditer(text):
        if not any(s <= match.start() < e for s, e in taken):
            found.append(FoundDate(None, match.start(), match.end(), match.group(0)))
    for match in SHORT_YEAR.finditer(text):
        if not any(s <= match.start() < e for s, e in taken):
            found.append(FoundDate(None, match.start(), match.end(), match.group(0)))
    return sorted(found, key=lambda f: f.start)


def _real(year: int, month: int, day: int) -> date | None:
    if not 1900 <= year <= 2200:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None
