"""German numbers and amounts of money: "17.655,00 EUR", "10 Mio. Euro", DM, estimates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# 2.699.185,61 | 17655,00 | 25.000,- | 17.655 | 800 ; never part of a longer number or date.
NUMBER = r"(?<![\d.,/])(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{1,2})|,-{1,2}|,–)?(?![\d]|[.,]\d)"
SCALE = r"(?:(Mio\.?|Millionen|Million|Mrd\.?|Milliarden|Milliarde|Tsd\.?|Tausend)\s*)?"
CURRENCY = r"(EUR|Euro|€|TEUR|T€|TDM|DM|D-Mark|Deutsche\s+Mark)(?![A-Za-zÄÖÜäöüß])"
AFTER = re.compile(NUMBER + r"\s*" + SCALE + CURRENCY, re.IGNORECASE)
BEFORE = re.compile(r"(?<![A-Za-zÄÖÜäöüß])(EUR|€|DM)\s*" + NUMBER, re.IGNORECASE)
ESTIMATE = re.compile(
    r"(?:\b(?:etwa|ca|circa|zirka|rund|rd|ungefähr|ungefaehr|schätzungsweise|geschätzte[nmrs]?|"
    r"voraussichtlich(?:e[nmrs]?)?|bis\s+zu|maximal|max|höchstens|mindestens|knapp|fast|"
    r"mehr\s+als|weniger\s+als|vorläufig(?:e[nmrs]?)?)\b\.?|~|>|<)\s*$",
    re.IGNORECASE,
)
FACTORS = {"mio": 10**6, "million": 10**6, "mrd": 10**9, "milliard": 10**9, "tsd": 10**3}


@dataclass(frozen=True)
class Amount:
    """An amount of money as written: its value, currency (EUR or DM), and whether estimated."""

    value: Decimal
    currency: str
    estimate: bool
    start: int
    end: int
    text: str

    def plain(self) -> str:
        """The value for a command file, e.g. "17655.00"."""
        return f"{self.value:.2f}"


def german_number(whole: str, cents: str | None) -> Decimal | None:
    """The value of "17.655" and "00" (thousands dots, decimal comma)."""
    try:
        return Decimal(whole.replace(".", "") + "." + (cents or "0").ljust(2, "0"))
    except InvalidOperation:
        return None


def amounts_in(line: str) -> list[Amount]:
    """Every amount with a currency in `line`, in order of position."""
    found: list[Amount] = []
    for match in AFTER.finditer(line):
        scale, currency = match.group(3), match.group(4)
        found.append(_amount(line, match, match.group(1), match.group(2), scale, currency))
    taken = [(a.start, a.end) for a in found]
    for match in BEFORE.finditer(line):
        if any(s < match.end() and match.start() < e for s, e in taken):
            continue
        found.append(_amount(line, match, match.group(2), match.group(3), None, match.group(1)))
    return sorted((a for a in found if a.value is not None), key=lambda a: a.start)


def _amount(
    line: str,
    match: re.Match[str],
    whole: str,
    cents: str | None,
    scale: str | None,
    currency: str,
) -> Amount:
    value = german_number(whole, cents) or Decimal(0)
    unit = currency.upper().replace(" ", "")
    factor = 1
    if scale:
        key = scale.lower().rstrip(".")
        factor = next(f for prefix, f in FACTORS.items() if key.startswith(prefix[:3]))
    if unit in ("TEUR", "T€", "TDM"):
        factor *= 1000
    code = "DM" if "DM" in unit or "MARK" in unit else "EUR"
    estimate = bool(ESTIMATE.search(line[max(0, match.start() - 25) : match.start()]))
    return Amount(value * factor, code, estimate, match.start(), match.end(), match.group(0))
