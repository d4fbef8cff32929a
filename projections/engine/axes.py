"""The two time axes of every query: as_of (valid date) and known_at (transaction time).

as_of is a calendar date and inclusive: the state at the end of that day. known_at is a
moment in UTC: the events recorded at or before it are known. A known_at given as a bare
date means the end of that day (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from projections.engine.errors import QueryError

END_OF_DAY = time(23, 59, 59, 999999)


@dataclass(frozen=True)
class Axes:
    """A query's point in valid time and transaction time."""

    as_of: date
    known_at: datetime  # aware, UTC

    @property
    def known_at_naive(self) -> datetime:
        """known_at as the naive UTC datetime the read-model tables store."""
        return self.known_at.replace(tzinfo=None)

    def header(self) -> dict[str, str]:
        """The "as_of" and "known_at" entries of a document."""
        return {"as_of": self.as_of.isoformat(), "known_at": self.known_at.isoformat()}


def now() -> datetime:
    """The current moment, aware UTC."""
    return datetime.now(UTC)


def axes(as_of: date | str | None = None, known_at: datetime | date | str | None = None) -> Axes:
    """Checks and completes a query's axes: as_of defaults to today, known_at to now (UTC)."""
    moment = parse_known_at(known_at) if known_at is not None else now()
    day = parse_as_of(as_of) if as_of is not None else now().date()
    return Axes(day, moment)


def parse_as_of(value: date | str) -> date:
    """An as_of date from a date or an ISO date string (YYYY-MM-DD)."""
    if isinstance(value, datetime):
        raise QueryError("as_of", f"must be a date (YYYY-MM-DD), not a time: {value.isoformat()}")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise QueryError("as_of", f"must be a date YYYY-MM-DD, got {value!r}") from None


def parse_known_at(value: datetime | date | str) -> datetime:
    """A known_at moment (aware UTC) from a datetime, a date (end of day) or an ISO string.

    A time without a zone is taken as UTC.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, END_OF_DAY)
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            if len(text) == 10:
                moment = datetime.combine(date.fromisoformat(text), END_OF_DAY)
            else:
                moment = datetime.fromisoformat(text)
        except ValueError:
            raise QueryError(
                "known_at",
                f"must be an ISO date or time such as 2019-01-15 or 2019-01-15T08:30:00Z, "
                f"got {value!r}",
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
