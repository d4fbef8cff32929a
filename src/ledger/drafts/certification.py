"""Certificates and (re)certification processes of the Audit familiengerechte Kommune.

"Seit dem 12.06.2015 trägt der Landkreis das Qualitätssiegel" gives a certificate's first
day, "das Zertifikat ... endet am 30.06.2018" its last; "im Zeitraum 01.07.2018 bis
30.06.2019 den Rezertifizierungsprozess durchzuführen" a process with its planned period.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date

from ledger.drafts.dates import dates_in
from ledger.drafts.model import Command
from ledger.drafts.reference import Found
from ledger.drafts.text import Source

PROGRAMME = "audit-fgk"
AUDIT = re.compile(r"familiengerecht", re.IGNORECASE)
CERTIFICATE = re.compile(
    r"Zertifikat|Qualitätssiegel|Qualitatssiegel|Siegel|Prädikat|Pradikat|zertifiziert",
    re.IGNORECASE,
)
PROCESS = re.compile(r"(Re-?\s?)?Zertifizierungs(?:prozess|verfahren)", re.IGNORECASE)
FROM_WORDS = re.compile(r"(?:seit|ab|erteilt\s+am|verliehen\s+am|vom)\s+(?:dem\s+)?$", re.I)
UNTIL_WORDS = re.compile(r"(?:endet|endete|gültig\s+bis|läuft|bis)\s+(?:am\s+|zum\s+)?$", re.I)
PERIOD = re.compile(r"(?:Zeitraum|vom)\s*$", re.IGNORECASE)
SENTENCE = re.compile(r"(?<=[a-zäöüß)]\.)\s+(?=[A-ZÄÖÜ])|(?<=\n)\s*\n")


@dataclass(frozen=True)
class Sentence:
    """A sentence of the document and the offset where it starts in the joined text."""

    text: str
    start: int


@dataclass(frozen=True)
class Joined:
    """The document as one text, words broken at line ends joined again ("Rezertifi-/zierung")."""

    text: str
    starts: tuple[int, ...]  # offset of each line's start

    def line_at(self, offset: int) -> int:
        """The 1-based line number of an offset."""
        return bisect.bisect_right(self.starts, offset)


def joined(source: Source) -> Joined:
    """Joins the lines; a line ending in a hyphen before a lowercase word loses the hyphen."""
    text, starts = "", []
    for index, line in enumerate(source.lines):
        starts.append(len(text))
        following = source.lines[index + 1] if index + 1 < len(source.lines) else ""
        if line.endswith("-") and following[:1].islower() and line[-2:-1].isalpha():
            text += line[:-1]
        else:
            text += line + "\n"
    return Joined(text, tuple(starts))


def sentences(whole: Joined) -> list[Sentence]:
    """The sentences of the joined text (a sentence may run over several lines)."""
    found: list[Sentence] = []
    start = 0
    for match in SENTENCE.finditer(whole.text):
        found.append(Sentence(whole.text[start : match.start()], start))
        start = match.end()
    found.append(Sentence(whole.text[start:], start))
    return found


def certification_commands(source: Source, body: str, resolution: Found | None) -> list[Command]:
    """A certificate and a process when the document states their dates."""
    whole = joined(source)
    parts = sentences(whole)
    if not AUDIT.search(whole.text):
        return []
    commands = []
    certificate = _certificate(source, whole, parts, body)
    if certificate is not None:
        commands.append(certificate)
    commands += _processes(source, whole, parts, body, resolution)
    return commands


def _dated(
    source: Source, whole: Joined, sentence: Sentence, words: re.Pattern[str]
) -> tuple[date, int, str] | None:
    for found in dates_in(sentence.text):
        if found.day and words.search(sentence.text[: found.start]):
            line = whole.line_at(sentence.start + found.start)
            return found.day, line, source.line(line).strip()
    return None


def _certificate(source: Source, whole: Joined, parts: list[Sentence], body: str) -> Command | None:
    first = last = None
    for sentence in parts:
        if not CERTIFICATE.search(sentence.text) or PROCESS.search(sentence.text):
            continue
        first = first or _dated(source, whole, sentence, FROM_WORDS)
        last = last or _dated(source, whole, sentence, UNTIL_WORDS)
    if first is None:
        return None
    command = Command("certificate")
    command.fields["body"] = body
    command.set("process", f"{PROGRAMME}/{first[0].year}", first[1], first[2])
    command.notes.append(
        f"process: {PROGRAMME}/YEAR names the cycle by the certificate's first year; check it"
    )
    command.set("valid_from", first[0], first[1], first[2])
    if last is not None and last[0] >= first[0]:
        command.set("valid_until", last[0], last[1], last[2])
    else:
        command.doubt("valid_until", "no last day of the certificate is stated")
    command.set("effective", first[0], first[1], first[2])
    return command


def _processes(
    source: Source, whole: Joined, parts: list[Sentence], body: str, resolution: Found | None
) -> list[Command]:
    commands = []
    for sentence in parts:
        kind = PROCESS.search(sentence.text)
        if kind is None:
            continue
        days = [d for d in dates_in(sentence.text) if d.day]
        if len(days) != 2 or not PERIOD.search(sentence.text[: days[0].start]):
            continue
        begin, end = days
        assert begin.day and end.day
        if not sentence.text[begin.end : end.start].strip().startswith("bis"):
            continue
        line = whole.line_at(sentence.start + begin.start)
        command = Command("process")
        command.fields["body"] = body
        evidence = source.line(line).strip()
        command.set("process", f"{PROGRAMME}/{begin.day.year}", line, evidence)
        command.notes.append(f"process: {PROGRAMME}/YEAR names the cycle by its first year")
        kind_word = "recertification" if kind.group(1) else "certification"
        command.set("kind", kind_word, whole.line_at(sentence.start + kind.start()), evidence)
        command.set("planned_from", begin.day, line, evidence)
        command.set("planned_until", end.day, whole.line_at(sentence.start + end.start), evidence)
        if resolution is not None:
            command.set("resolution", resolution.value, resolution.line, resolution.text)
        command.set("effective", begin.day, line, evidence)
        command.notes.append("effective: the planned first day of the process")
        commands.append(command)
        break
    return commands
