"""The pages' query parameters: the two time axes as the API takes them, checked in German.

A GET form sends every field, empty ones as `as_of=`: an empty field means the default
(today, now), as an absent parameter does in the API. Values are parsed by the API's own
parsers (api.deps), so a page and its JSON answer the same question; a date may also be
typed as 31.01.2018.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from urllib.parse import urlencode

from starlette.requests import Request

from api.deps import MAX_PARAMETER_LENGTH, MAX_YEAR, MIN_YEAR, parse_date, parse_moment

GERMAN_DATE: Final = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


class PageError(Exception):
    """A request a page cannot answer: its HTTP status and a German sentence."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


def bounded(request: Request) -> None:
    """Refuses (422) a path or query parameter longer than the API allows, or with controls."""
    items = [*request.path_params.items(), *request.query_params.multi_items()]
    for name, value in items:
        text = str(value)
        if len(name) > MAX_PARAMETER_LENGTH or len(text) > MAX_PARAMETER_LENGTH:
            raise PageError(
                422,
                f"Der Parameter „{name[:40]}“ ist zu lang: höchstens "
                f"{MAX_PARAMETER_LENGTH} Zeichen.",
            )
        if CONTROL.search(text):
            raise PageError(422, f"Der Parameter „{name[:40]}“ enthält Steuerzeichen.")


def text(request: Request, name: str) -> str | None:
    """A query parameter, None when absent or empty."""
    value = request.query_params.get(name, "").strip()
    return value or None


def as_of_value(raw: str | None, name: str = "as_of") -> date | None:
    """A valid date (Stand): ISO YYYY-MM-DD or TT.MM.JJJJ; None for empty."""
    if raw is None:
        return None
    match = GERMAN_DATE.match(raw)
    if match:
        day, month, year = match.groups()
        raw = f"{year}-{int(month):02d}-{int(day):02d}"
    try:
        return parse_date(raw)
    except ValueError:
        raise PageError(
            422, f"„{name}“ (Stand) muss ein Datum sein, etwa 2018-01-31 oder 31.01.2018."
        ) from None


def known_at_value(raw: str | None, name: str = "known_at") -> datetime | None:
    """A transaction time (Kenntnisstand): ISO datetime (UTC without offset) or date."""
    if raw is None:
        return None
    match = GERMAN_DATE.match(raw)
    if match:
        day, month, year = match.groups()
        raw = f"{year}-{int(month):02d}-{int(day):02d}"
    try:
        return parse_moment(raw)
    except ValueError:
        raise PageError(
            422,
            f"„{name}“ (Kenntnisstand) muss ein Zeitpunkt sein, etwa 2018-02-15T12:00 (UTC) "
            "oder ein Datum.",
        ) from None


def year_value(raw: str) -> int:
    """A fiscal year in the API's range."""
    if not raw.isdigit() or not MIN_YEAR <= int(raw) <= MAX_YEAR:
        raise PageError(
            422, f"Das Haushaltsjahr muss eine Jahreszahl von {MIN_YEAR} bis {MAX_YEAR} sein."
        )
    return int(raw)


def whole(raw: str | None, name: str, *, low: int, high: int, default: int) -> int:
    """A whole number parameter in [low, high]."""
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise PageError(422, f"„{name}“ muss eine ganze Zahl von {low} bis {high} sein.")
    return int(raw)


@dataclass(frozen=True)
class Axes:
    """A page's two time axes as asked (None: the default), and their query text."""

    as_of: date | None
    known_at: datetime | None

    @classmethod
    def of(cls, request: Request, prefix: str = "") -> Axes:
        """The axes from `as_of` and `known_at` (or `vs_as_of`, `vs_known_at`)."""
        return cls(
            as_of_value(text(request, prefix + "as_of"), prefix + "as_of"),
            known_at_value(text(request, prefix + "known_at"), prefix + "known_at"),
        )

    def pairs(self, prefix: str = "") -> list[tuple[str, str]]:
        """The axes as query pairs (only those given)."""
        found: list[tuple[str, str]] = []
        if self.as_of is not None:
            found.append((prefix + "as_of", self.as_of.isoformat()))
        if self.known_at is not None:
            found.append((prefix + "known_at", self.known_at.isoformat()))
        return found

    def query(self, *extra: tuple[str, str]) -> str:
        """`?as_of=...&known_at=...` plus extra pairs ('' when there is nothing)."""
        pairs = [*self.pairs(), *extra]
        return "?" + urlencode(pairs) if pairs else ""

    @property
    def given(self) -> bool:
        """Whether either axis was asked for."""
        return self.as_of is not None or self.known_at is not None


def link(path: str, *pairs: tuple[str, str | None]) -> str:
    """A path with the given (non-empty) query pairs."""
    kept = [(k, v) for k, v in pairs if v]
    return path + ("?" + urlencode(kept) if kept else "")
