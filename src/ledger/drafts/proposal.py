"""The proposal (Beschlussvorlage) itself: reference, subject, committee, status, items."""

from __future__ import annotations

import re

from ledger.drafts.budget import Supplementary
from ledger.drafts.facts import Facts
from ledger.drafts.model import Command, Evidence
from ledger.drafts.reference import Found, committees_in, document_date, public_status, slug
from ledger.drafts.reference import subject as subject_of
from ledger.drafts.sections import HEADING

SUBMITTER = re.compile(r"^\s*(?:Einreicher|Antragsteller|Einbringer)(?:in)?\s*:\s*(.+)$")
ITEM = re.compile(r"^\s*(\d{1,2})[.)]\s+(\S.*)$")
ITEMS_FROM = re.compile(r"^\s*(?:Beschluss|Beschlussvorschlag|Beschlussentwurf)\s*:", re.I)
DECIDES = re.compile(r"\b(?:Entscheidung|beschließend|Beschlussfassung)\b", re.IGNORECASE)
VORLAGE_WORD = re.compile(r"\b(?:Beschlussvorlage|Vorlage|Drucksache|Beschlussantrag)\b", re.I)


def proposal(facts: Facts, body: str, budget: list[Supplementary]) -> Command | None:
    """The proposal of a single Beschlussvorlage (a reference or "Vorlage" and a Betreff)."""
    if facts.minutes:
        return None
    lines = facts.numbered()
    reference = facts.reference(facts.segments[0])
    title = subject_of(lines)
    named = reference is not None or any(VORLAGE_WORD.search(t) for _, t in lines[:15])
    if not title or not named:
        return None
    command = Command("proposal")
    command.fields["body"] = body
    if reference is None:
        command.doubt("resolution", "no Vorlage-, Drucksache- or Beschluss-Nr. is stated")
    else:
        command.set("resolution", reference.value, reference.line, reference.text)
    command.set("title", joined(title), title[0].line, title[0].text)
    for part in title[1:]:
        command.evidence.append(Evidence("title", part.line, part.text))
    committee = facts.committee
    if committee is not None:
        command.set("committee", slug(committee.value), committee.line, committee.text)
        command.notes.append(f'committee: the slug of "{committee.value}"; check it is recorded')
    else:
        _committee_from_rows(command, facts)
    for number, text in lines:
        match = SUBMITTER.match(text)
        if match:
            command.set("submitter", match.group(1).strip(), number, text.strip())
            break
    status = public_status(lines[:30])
    if status is None:
        command.doubt("public", "neither öffentlich nor nichtöffentlich is stated")
    else:
        command.set("public", status.value == "true", status.line, status.text)
    _items(command, facts)
    _financial_effect(command, budget)
    dated = document_date(lines)
    if dated is not None and dated.day is not None:
        command.set("effective", dated.day, dated.line, dated.text)
    else:
        command.doubt("effective", "the document's date (Datum, Ort, den ...) is not stated")
    return command


def joined(parts: list[Found]) -> str:
    """Lines joined as one text; a word broken with a hyphen at a line end is joined again."""
    text = ""
    for part in parts:
        value = part.value.strip()
        if text.endswith("-") and value[:1].islower():
            text = text[:-1] + value
        else:
            text = f"{text} {value}".strip()
    return text


def _committee_from_rows(command: Command, facts: Facts) -> None:
    """The committee of the Beratungsfolge when exactly one is named there."""
    named = {
        name
        for number, text in facts.numbered()
        if facts.kinds[number - 1] == "decision"
        for name in committees_in(text)
    }
    deciding = {
        name
        for number, text in facts.numbered()
        if facts.kinds[number - 1] == "decision" and DECIDES.search(text)
        for name in committees_in(text)
    }
    if len(named) != 1 and len(deciding) == 1:
        named = deciding  # the row of the Beratungsfolge marked "Entscheidung"
    if len(named) == 1:
        name = named.pop()
        line = next(n for n, t in facts.numbered() if name in committees_in(t))
        command.set("committee", slug(name), line, facts.source.line(line).strip())
    else:
        command.doubt("committee", "the deciding committee is not named unambiguously")


def _items(command: Command, facts: Facts) -> None:
    """The numbered items of the resolution's wording, verbatim."""
    lines = facts.numbered()
    start = next((i for i, (_, t) in enumerate(lines) if ITEMS_FROM.match(t)), None)
    if start is None:
        return
    items: list[list[Found]] = []
    for number, text in lines[start + 1 :]:
        if facts.kinds[number - 1] != facts.kinds[lines[start][0] - 1] or HEADING.match(text):
            break
        match = ITEM.match(text)
        if match and int(match.group(1)) == len(items) + 1:
            items.append([Found(match.group(2), number, text.strip())])
        elif items and text.strip():
            items[-1].append(Found(text.strip(), number, text.strip()))
    if len(items) >= 2:
        command.fields["items"] = [joined(parts) for parts in items]
        for parts in items:
            command.evidence.append(Evidence("items", parts[0].line, parts[0].text))


def _financial_effect(command: Command, budget: list[Supplementary]) -> None:
    """The financial effect when the document states exactly one complete expenditure."""
    complete = [b for b in budget if b.amount and b.line and b.year]
    if len(complete) != 1:
        return
    item = complete[0]
    assert item.amount and item.amount_at and item.year and item.line
    command.set("amount", item.amount.plain(), item.amount_at.line, item.amount_at.text)
    command.set("year", int(item.year.value), item.year.line, item.year.text)
    command.set("line", item.line.value, item.line.line, item.line.text)
