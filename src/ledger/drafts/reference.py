"""What a document is about: its reference, subject, committee, meeting date and status."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ledger.drafts.dates import FoundDate, dates_in

REF = r"(?P<ref>(?:[A-ZÄÖÜ]{1,6}[-/ ]?)?\d[\dA-Za-z]*(?:[/.\-][\dA-Za-z]+)*)"
REFERENCE = re.compile(
    r"(?<![\wäöüß])(?:(?P<beschluss>Beschluss\s*-?\s*(?:Nr\.?|Nummer)|Beschlussnummer)"
    r"|(?P<vorlage>(?:Beschluss|Informations|Mitteilungs|Verwaltungs)?[Vv]orlagen?"
    r"(?:\s*-?\s*(?:Nr\.?|Nummer))?|Drucksachen?(?:\s*-?\s*(?:Nr\.?|Nummer))?"
    r"|Drs\.?(?:\s*-?\s*Nr\.?)?|DS(?:\s*-?\s*Nr\.?)?))"
    r"[ \t]*[:.\-–]?[ \t]*" + REF
)
SUBJECT = re.compile(r"^\s*(?:Betreff|Betr\.|Gegenstand)\s*:\s*(.*)$", re.IGNORECASE)
LABEL_LINE = re.compile(r"^\s*[A-ZÄÖÜ][\wäöüß.\- ]{1,30}:")
COMMITTEE_WORD = (
    r"[A-ZÄÖÜ][\wäöüß\-]*?(?:ausschuss|ausschuß|Ausschuss|rat|tag|beirat|versammlung|vertretung"
    r"|kommission)(?:es|s)?"
)
COMMITTEE = re.compile(
    rf"(?<![\wäöüß-])(?:Ausschuss(?:es)?\s+für\s+[^\d|:;.()]+?"
    r"(?=\s+\d|\s*$|\s*[|:;.(]|,?\s+(?:am|vom|den|in|im|zur|zum|mit|bei)\s)"
    rf"|{COMMITTEE_WORD})(?![\wäöüß])"
)
NOT_COMMITTEES = frozenset(
    {
        "landrat",
        "beitrag",
        "vortrag",
        "antrag",
        "vertrag",
        "auftrag",
        "betrag",
        "nachtrag",
        "eintrag",
        "ertrag",
        "abtrag",
        "montag",
        "dienstag",
        "mittwoch",
        "donnerstag",
        "freitag",
        "samstag",
        "sonntag",
        "feiertag",
        "vortag",
        "folgetag",
        "stichtag",
        "werktag",
        "zuschlag",
        "vorrat",
        "beirat",
        "rat",
        "tag",
        "landtag",
        "bundestag",
    }
)
MEETING = re.compile(
    r"Sitzung(?:sdatum|stermin|stag)?\b|Tag\s+der\s+Sitzung|Datum\s+der\s+Sitzung", re.IGNORECASE
)
SIGNED = re.compile(r"^\s*[A-ZÄÖÜ][\wäöüß .\-]{1,40},\s*(?:den\s+)?(?=\d{1,2}\.)")
DATED = re.compile(r"^\s*Datum\s*:\s*", re.IGNORECASE)
# "öffentlich" alone, after "Status:", or as the right-hand column of a header line
PUBLIC = re.compile(
    r"(?:^\s*|Status\s*:\s*|\S\s{3,})(?P<no>nicht[- ]?)?(?:öffentlich|offentlich|oeffentlich)"
    r"(?:e\s+Sitzung)?\s*$",
    re.IGNORECASE,
)
GENITIVE = (("ausschusses", "ausschuss"), ("rates", "rat"), ("rats", "rat"), ("tages", "tag"))


@dataclass(frozen=True)
class Found:
    """A value found in the text with its line and the line's text."""

    value: str
    line: int
    text: str


@dataclass(frozen=True)
class FoundDay:
    """A date found in the text (None: only a month or an unsure year) with its line."""

    day: date | None
    line: int
    text: str
    written: str


def references(lines: list[tuple[int, str]]) -> list[tuple[str, Found]]:
    """Every reference as ("vorlage" or "beschluss", found), in order."""
    found: list[tuple[str, Found]] = []
    for number, text in lines:
        for match in REFERENCE.finditer(text):
            ref = match.group("ref").rstrip(".-/")
            if sum(ch.isdigit() for ch in ref) < 3 and not re.search(r"[/\-]", ref):
                continue  # "Vorlage 2" or a page number, not a reference
            if dates_in(ref) or re.fullmatch(r"\d{1,2}\.\d{1,2}\.?", ref):
                continue
            kind = "beschluss" if match.group("beschluss") else "vorlage"
            found.append((kind, Found(ref, number, text.strip())))
    return found


def subject(lines: list[tuple[int, str]]) -> list[Found]:
    """The subject (Betreff) as its lines: after the label, or the paragraph below it."""
    for index, (_, text) in enumerate(lines):
        match = SUBJECT.match(text)
        if not match:
            continue
        parts: list[Found] = []
        rest = lines[index + 1 :]
        if match.group(1).strip():
            parts.append(Found(match.group(1).strip(), lines[index][0], text.strip()))
        else:
            while rest and not rest[0][1].strip():
                rest = rest[1:]
        for number, more in rest:
            if not more.strip() or LABEL_LINE.match(more) or len(parts) >= 3:
                break
            parts.append(Found(more.strip(), number, more.strip()))
        return parts
    return []


def committees_in(text: str) -> list[str]:
    """The committee names in `text`, in the nominative ("Stadtrates" -> "Stadtrat")."""
    names: list[str] = []
    for match in COMMITTEE.finditer(text):
        name = " ".join(match.group(0).split())
        if name.lower() in NOT_COMMITTEES or name.lower().endswith(("beitrag", "vertrag")):
            continue
        for ending, nominative in GENITIVE:
            if name.startswith("Ausschusses "):
                name = "Ausschuss " + name.removeprefix("Ausschusses ")
            if name.endswith(ending) and not name.startswith("Ausschuss "):
                name = name[: -len(ending)] + nominative
                break
        names.append(name)
    return names


def slug(name: str) -> str:
    """A committee's slug as the demo spells it: "Jugendhilfeausschuss" -> jugendhilfeausschuss."""
    low = name.lower()
    for letter, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        low = low.replace(letter, plain)
    return re.sub(r"[^a-z0-9]+", "-", low).strip("-")


def meeting_dates(lines: list[tuple[int, str]]) -> list[FoundDay]:
    """Dates stated as the meeting's ("Sitzung am 19.06.2018", "Sitzungstermin: ...")."""
    found: list[FoundDay] = []
    text_of = dict(lines)
    for number, text in lines:
        match = MEETING.search(text)
        if not match:
            continue
        after = dates_in(text[match.end() :][:80])
        below = dates_in(text_of.get(number + 1, "")[:60])
        if after:
            found.append(_day(after[0], number, text))
        elif below:
            # "Sitzung der Gemeindevertretung" / "am Dienstag, dem 12. März 2019"
            found.append(_day(below[0], number + 1, text_of[number + 1]))
    return found


def document_date(lines: list[tuple[int, str]]) -> FoundDay | None:
    """The date of the document: "Datum: ..." or a signature "Ort, den 19.06.2018"."""
    for pattern in (DATED, SIGNED):
        for number, text in lines:
            match = pattern.match(text)
            if match:
                after = dates_in(text[match.end() :])
                if after and after[0].start <= 12:
                    return _day(after[0], number, text)
    return None


def _day(found: FoundDate, number: int, text: str) -> FoundDay:
    return FoundDay(found.day, number, text.strip(), found.text)


def public_status(lines: list[tuple[int, str]]) -> Found | None:
    """ "true" or "false" from a line that says öffentlich or nichtöffentlich."""
    for number, text in lines:
        match = PUBLIC.search(text)
        if match:
            return Found("false" if match.group("no") else "true", number, text.strip())
    return None
