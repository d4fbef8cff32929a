"""The geometry of the pages' SVG charts: the certification timeline and a vote's bars.

A decision may leave counts unstated: such a count is written "unbekannt" and gets no bar,
never a bar of 0.

Computed here, drawn by the templates (charts.html); every bar also carries its text, so
no chart says anything by colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

from api.pages.formats import count, de_date, label

WIDTH: Final = 760
LEFT: Final = 130  # room for the row labels
RIGHT: Final = 10
ROW: Final = 34
TOP: Final = 26  # room for the year labels


@dataclass
class Bar:
    """A bar of a chart: its box, its label inside or beside, and its title (tooltip)."""

    x: float
    y: float
    width: float
    height: float
    text: str
    title: str
    kind: str  # certificate | gap | process (a CSS class and a fill pattern)


@dataclass
class Timeline:
    """The certification timeline: rows of bars over years, with the as-of marker."""

    width: int
    height: int
    rows: list[tuple[str, float]] = field(default_factory=list)
    years: list[tuple[float, str]] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    marker: tuple[float, str] | None = None
    gaps: list[tuple[date, date]] = field(default_factory=list)


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _certificate_span(c: dict[str, Any]) -> tuple[date, date] | None:
    start = _day(c.get("valid_from"))
    end = _day(c.get("ended_on")) or _day(c.get("valid_until"))
    if start is None or end is None:
        return None
    return start, end


def _process_span(p: dict[str, Any], as_of: date) -> tuple[date, date] | None:
    start = _day(p.get("started_on")) or _day(p.get("planned_from"))
    if start is None:
        return None
    end = (
        _day(p.get("completed_on"))
        or _day(p.get("abandoned_on"))
        or max(_day(p.get("planned_until")) or as_of, as_of if start <= as_of else start)
    )
    return start, max(start, end)


def gaps(spans: list[tuple[date, date]], until: date) -> list[tuple[date, date]]:
    """The stretches from the first certificate on to `until` that no certificate covers."""
    found: list[tuple[date, date]] = []
    covered: date | None = None
    for start, end in sorted(spans):
        if covered is not None and start > covered + timedelta(days=1):
            found.append((covered + timedelta(days=1), start - timedelta(days=1)))
        covered = end if covered is None else max(covered, end)
    if covered is not None and covered < until:
        found.append((covered + timedelta(days=1), until))
    return found


def timeline(history: list[dict[str, Any]], as_of: date) -> Timeline:
    """The timeline of a body's processes and certificates, up to as_of (at least)."""
    certificates = [
        span for p in history for c in p.get("certificates", []) if (span := _certificate_span(c))
    ]
    processes = [(p, span) for p in history if (span := _process_span(p, as_of))]
    holes = gaps(certificates, as_of)
    days = [d for s in certificates for d in s] + [d for _, s in processes for d in s] + [as_of]
    first = date(min(days).year, 1, 1)
    last = date(max(days).year, 12, 31)
    total = (last - first).days + 1
    scale = (WIDTH - LEFT - RIGHT) / total

    def x(day: date) -> float:
        return round(LEFT + (day - first).days * scale, 1)

    def w(start: date, end: date) -> float:
        return max(2.0, round(((end - start).days + 1) * scale, 1))

    chart = Timeline(width=WIDTH, height=TOP + 2 * ROW + 8, gaps=holes)
    chart.rows = [("Zertifikat", TOP + ROW / 2), ("Prozesse", TOP + ROW * 1.5)]
    chart.years = [(x(date(y, 1, 1)), str(y)) for y in range(first.year, last.year + 1)]
    for start, end in certificates:
        period = f"{de_date(start)} – {de_date(end)}"
        chart.bars.append(
            Bar(
                x(start),
                TOP + 4,
                w(start, end),
                ROW - 8,
                "Zertifikat",
                f"Zertifikat {period}",
                "certificate",
            )
        )
    for start, end in holes:
        period = f"{de_date(start)} – {de_date(end)}"
        chart.bars.append(
            Bar(
                x(start),
                TOP + 4,
                w(start, end),
                ROW - 8,
                "Lücke",
                f"Lücke ohne Zertifikat {period}",
                "gap",
            )
        )
    for p, (start, end) in processes:
        kind = label(p.get("kind"), "process_kind")
        status = label(p.get("status"), "process_status")
        chart.bars.append(
            Bar(
                x(start),
                TOP + ROW + 4,
                w(start, end),
                ROW - 8,
                str(p["process"]),
                f"{p['process']} ({kind}, {status}) {de_date(start)} – {de_date(end)}",
                "process",
            )
        )
    chart.marker = (x(as_of), f"Stand {de_date(as_of)}")
    return chart


@dataclass
class VoteBar:
    """One bar of a vote: its label, count (None: not stated, no bar) and box."""

    text: str
    count: int | None
    y: float
    width: float

    @property
    def shown(self) -> str:
        """The count as the chart writes it: "unbekannt" when not stated."""
        return count(self.count)


#: The counts of a tally with their German labels, in the order a protocol gives them.
COUNTS: Final = (
    ("yes", "Ja"),
    ("no", "Nein"),
    ("abstentions", "Enthaltung"),
    ("recused", "befangen"),
)


def _count(value: Any) -> int | None:
    """A count of a document: an int, or None when the decision does not state it."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def vote_bars(vote: dict[str, Any], seats: int | None) -> tuple[list[VoteBar], int, int]:
    """The bars of a vote or decision (Ja, Nein, Enthaltung, befangen), the chart's width
    and height. A count the decision does not state gets no bar and the text "unbekannt":
    it is not drawn as 0."""
    parts = [(text, _count(vote.get(name))) for name, text in COUNTS]
    most = max([seats or 0, *(n for _, n in parts if n is not None), 1])
    span = 300
    bars = [
        VoteBar(text, number, 8 + i * 26, round(span * number / most, 1) if number else 0)
        for i, (text, number) in enumerate(parts)
    ]
    return bars, 110 + span + 60, 8 + len(parts) * 26 + 4


def counts_text(vote: dict[str, Any]) -> str:
    """The counts in words: "Ja 9, Nein 0, Enthaltung unbekannt, befangen unbekannt"."""
    return ", ".join(f"{text} {count(_count(vote.get(name)))}" for name, text in COUNTS)


def states_counts(vote: dict[str, Any]) -> bool:
    """Whether a vote or decision states any count (else no chart is drawn)."""
    return any(_count(vote.get(name)) is not None for name, _ in COUNTS)
