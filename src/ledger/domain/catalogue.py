"""The versioned catalogue of fields of action (Handlungsfelder) of the audit programmes."""

from __future__ import annotations

from ledger.errors import RuleViolationError

# The six fields of action of the Audit Familiengerechte Kommune, as of its 2015 handbook.
CATALOGUES: dict[str, dict[str, str]] = {
    "fgk-2015": {
        "steuerung": "Steuerung, Vernetzung, Nachhaltigkeit",
        "familie-arbeitswelt": "Familie und Arbeitswelt",
        "betreuung-bildung": "Betreuung · Bildung und Erziehung",
        "beratung-unterstuetzung": "Beratung und Unterstützung",
        "wohnumfeld": "Wohnumfeld und Lebensqualität",
        "senioren-generationen": "Senioren und Generationen",
    },
}


def check_catalogue(catalogue: str) -> dict[str, str]:
    """The fields of action of `catalogue`; refuses an unknown catalogue."""
    fields = CATALOGUES.get(catalogue)
    if fields is None:
        raise RuleViolationError(
            "catalogue", f"unknown catalogue '{catalogue}' (known: {', '.join(CATALOGUES)})"
        )
    return fields


def field_name(catalogue: str, code: str) -> str:
    """The name of field of action `code` in `catalogue`; refuses unknown ones."""
    fields = check_catalogue(catalogue)
    if code not in fields:
        raise RuleViolationError(
            "field", f"'{code}' is not a field of action of {catalogue} ({', '.join(fields)})"
        )
    return fields[code]
