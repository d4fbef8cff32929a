"""German forms of the documents' values: dates 19.06.2018, amounts 17.655,00 €, labels."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Final

from jinja2.filters import do_urlencode
from markupsafe import Markup, escape

#: German labels of the documents' codes, per kind of code.
LABELS: Final[dict[str, dict[str, str]]] = {
    "certification": {
        "certified": "zertifiziert",
        "in_certification": "in Zertifizierung",
        "in_recertification": "in Rezertifizierung",
        "lapsed": "Zertifikat ausgelaufen",
        "not_certified": "nicht zertifiziert",
    },
    "process_status": {
        "running": "laufend",
        "completed": "abgeschlossen",
        "abandoned": "abgebrochen",
    },
    "process_kind": {
        "certification": "Zertifizierung",
        "recertification": "Rezertifizierung",
    },
    "resolution_status": {
        "proposed": "eingebracht",
        "adopted": "beschlossen",
        "rejected": "abgelehnt",
        "deferred": "zurückgestellt",
        "referred": "verwiesen",
        "noted": "zur Kenntnis genommen",
        "withdrawn": "zurückgezogen",
        "revoked": "aufgehoben",
    },
    "outcome": {
        "adopted": "angenommen",
        "rejected": "abgelehnt",
        "deferred": "zurückgestellt",
        "referred": "verwiesen",
        "noted": "zur Kenntnis genommen",
        "withdrawn": "zurückgezogen",
    },
    "finding_kind": {
        "observation": "Beobachtung",
        "recommendation": "Empfehlung",
        "deficiency": "Mangel",
    },
    "assessment": {
        "appropriate": "angemessen",
        "not_appropriate": "nicht angemessen",
        "feasible": "umsetzbar",
        "not_feasible": "nicht umsetzbar",
        "none": "keine Bewertung",
    },
    "finding_status": {
        "open": "offen",
        "answered": "beantwortet",
        "closed": "erledigt",
        "withdrawn": "zurückgezogen",
    },
    "direction": {"expenditure": "Ausgabe", "income": "Einnahme"},
    "supplementary": {
        "ueberplanmaessig": "überplanmäßig",
        "ausserplanmaessig": "außerplanmäßig",
    },
    "workshop": {
        "strategy": "Strategieworkshop",
        "target_agreement": "Zielvereinbarungsworkshop",
        "balance": "Bilanzworkshop",
        "annual": "Jahresworkshop",
    },
    "majority_rule": {
        "simple": "einfache Mehrheit",
        "absolute": "absolute Mehrheit",
        "two_thirds": "Zweidrittelmehrheit",
    },
    "record": {
        "body": "Körperschaft",
        "committee": "Gremium",
        "process": "Zertifizierungsprozess",
        "resolution": "Beschluss",
        "budget_line": "Haushaltsstelle",
        "agreement": "Zielvereinbarung",
        "measure": "Maßnahme",
        "finding": "Feststellung",
    },
}


def label(code: Any, kind: str) -> str:
    """The German label of a code (the code itself when there is none)."""
    if code is None:
        return "–"
    return LABELS.get(kind, {}).get(str(code), str(code))


def de_date(value: Any) -> str:
    """An ISO date (or date) as 19.06.2018; None as a dash."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        return _de_day(value[:10])
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


@lru_cache(maxsize=4096)
def _de_day(iso: str) -> str:
    """An ISO date text as 19.06.2018 (pages show the same few thousand dates again)."""
    day = date.fromisoformat(iso)
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def moment(value: Any) -> datetime:
    """An ISO datetime text (or datetime) as an aware UTC datetime."""
    found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if found.tzinfo is None:
        found = found.replace(tzinfo=UTC)
    return found.astimezone(UTC)


def de_moment(value: Any, *, seconds: bool = False) -> str:
    """An ISO datetime as 05.12.2026 14:03 UTC (with seconds if asked)."""
    if value is None or value == "":
        return "–"
    found = moment(value)
    clock = found.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{de_date(found.date())} {clock} UTC"


def de_amount(value: Any, *, unit: bool = True) -> str:
    """A decimal amount as 17.655,00 € (None as a dash)."""
    if value is None or value == "":
        return "–"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    sign = "−" if number < 0 else ""
    text = f"{abs(number):,.2f}".replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return f"{sign}{text}\u00a0€" if unit else f"{sign}{text}"


#: What a finding is about, by the kind its subject names (process, goal:CODE, measure:CODE).
SUBJECTS: Final = {"process": "Prozess", "goal": "Ziel", "measure": "Maßnahme"}


def subject(value: Any) -> str:
    """A finding's subject in German: "measure:M1.1.1" as "Maßnahme M1.1.1"."""
    if value is None or value == "":
        return "–"
    kind, _, code = str(value).partition(":")
    name = SUBJECTS.get(kind)
    if name is None:
        return str(value)
    return f"{name} {code}" if code else name


#: How a page shows a count the protocol does not state.
UNKNOWN = "unbekannt"


def count(value: Any) -> str:
    """A vote count as text; None (not stated) as "unbekannt", never as 0."""
    return UNKNOWN if value is None else str(value)


def percent(value: Any) -> str:
    """A progress value as 60 % (None as a dash)."""
    if value is None:
        return "–"
    return f"{value}\u00a0%"


def short_hash(value: Any) -> Markup:
    """A hex hash, its first 16 digits shown and the whole in a title."""
    text = str(value or "")
    return Markup(f'<code title="{escape(text)}">{escape(text[:16])}…</code>')


@lru_cache(maxsize=16384)
def _quoted(text: str) -> str:
    return do_urlencode(text)


def urlencode(value: Any) -> str:
    """Jinja's `urlencode`, remembered for texts (slugs, codes and references repeat on
    every row of a page)."""
    if isinstance(value, str):
        return _quoted(str(value))
    return do_urlencode(value)


def filters() -> dict[str, Any]:
    """The template filters."""
    return {
        "label": label,
        "de_date": de_date,
        "de_moment": de_moment,
        "de_amount": de_amount,
        "percent": percent,
        "count": count,
        "subject": subject,
        "short_hash": short_hash,
        "urlencode": urlencode,
    }
