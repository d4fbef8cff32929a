"""Votes and decisions of a document: a `vote` when all four counts are stated, else a
`decision` with the outcome, the protocol's wording and exactly the counts that are stated."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.drafts.dates import dates_in
from ledger.drafts.facts import Facts
from ledger.drafts.model import Command, Draft
from ledger.drafts.outcomes import Outcome, outcomes_in, single_outcome
from ledger.drafts.reference import COMMITTEE, REFERENCE, Found, committees_in, slug
from ledger.drafts.sections import HEADING, TOP, Segment
from ledger.drafts.votes import (
    COUNTS,
    Tally,
    labelled,
    ratio_tallies,
    table_tallies,
    tallies,
    unanimity,
)

RESULT_LABEL = re.compile(
    r"^\s*(?:Abstimmungsergebnis|Abstimmung|Beschlussergebnis|Ergebnis|Votum|Beratungsergebnis"
    r"|Beschluss)\s*:\s*(.*)$",
    re.IGNORECASE,
)
OUTCOME_WORD = (
    r"(?:beschlossen|angenommen|abgelehnt|zugestimmt|vertagt|zurückgestellt|verwiesen"
    r"|zurückverwiesen|überwiesen|zur\s+Kenntnis\s+genommen)"
)
OUTCOME_ONLY = re.compile(
    rf"^[\W\d]*(?:(?:einstimmig|mehrheitlich|so|wie\s+vorgeschlagen|wie\s+vorgelegt)\s+)*"
    rf"(?:nicht\s+)?{OUTCOME_WORD}\W*$",
    re.IGNORECASE,
)
MARKER_ONLY = re.compile(r"^[\W]*(?:einstimmig|mehrheitlich)[\W]*$", re.IGNORECASE)
PASSIVE = re.compile(r"\b(?:wird|wurde|werden|wurden)\b", re.IGNORECASE)
LABEL = re.compile(r"^\s*[\w.\- ]{1,30}:")
SENTENCES = re.compile(r"(?<=[a-zäöüß)\d]\.)\s+(?=[A-ZÄÖÜ])")


@dataclass
class Statement:
    """Where a document states a decision: its lines and, if any, the tally."""

    lines: list[tuple[int, str]]
    tally: Tally | None
    row: tuple[int, str] | None = None  # a Beratungsfolge row naming committee and date


def add_decisions(draft: Draft, facts: Facts, body: str) -> None:
    """Adds a vote or decision command for each decision the document states."""
    for segment in facts.segments:
        if facts.minutes and not segment.heading_line:
            continue  # the minutes' preamble: attendance and agenda, no resolution
        found = statements(facts, segment)
        rows = [s for s in found if s.row]
        last: dict[str, Statement] = {}  # per reference, the last statement decides
        skipped_ones: list[Statement] = []
        for statement in (s for s in found if not s.row):
            reference = facts.reference_before(segment, statement.lines[0][0])
            key = reference.value if reference else ""
            if key in last:
                skipped_ones.append(last[key])
            last[key] = statement
        others = list(last.values())
        for skipped in skipped_ones:
            line = skipped.tally.lines[0] if skipped.tally else skipped.lines[0][0]
            text = facts.source.line(line)
            draft.unsure.append(
                (
                    "decision",
                    f"line {line} states another vote or outcome in this item (on a motion or "
                    f'an amendment?); not drafted: "{text.strip()}"',
                )
            )
        for statement in sorted(rows + others, key=lambda s: s.lines[0][0]):
            draft.commands.append(command_of(statement, facts, segment, body))


def statements(facts: Facts, segment: Segment) -> list[Statement]:
    """The tallies and outcome statements of a segment, in order."""
    lines = facts.decisive(segment)
    text_of = dict(lines)
    found: list[Statement] = []
    covered: set[int] = set()
    for tally in tallies(lines) + table_tallies(lines) + ratio_tallies(lines):
        present = tally.counts.get("present")
        if present is not None and sum(tally.stated().values()) > present.value:
            continue  # more votes than members present: misread, so nothing is drafted
        region = _region(text_of, tally.lines)
        covered.update(n for n, _ in region)
        first = (tally.lines[0], text_of[tally.lines[0]])
        row = _is_row(first[1])
        if not row and any(dates_in(text) for _, text in region):
            continue  # a dated sentence tells of an earlier vote
        found.append(Statement(region, tally, first if row else None))
    for number, text in lines:
        if number in covered:
            continue
        stated = _stated_outcome(number, text, text_of)
        if stated:
            covered.update(n for n, _ in stated)
            found.append(Statement(stated, None))
    return _merged(sorted(found, key=lambda s: s.lines[0][0]))


def _merged(found: list[Statement]) -> list[Statement]:
    """An outcome stated on the line next to a tally (or another outcome) belongs to it."""
    result: list[Statement] = []
    for statement in found:
        previous = result[-1] if result else None
        if (
            previous is not None
            and _next_to(previous, statement)
            and (previous.tally is None or statement.tally is None)
        ):
            lines = sorted(set(previous.lines + statement.lines))
            result[-1] = Statement(lines, previous.tally or statement.tally,
                                   previous.row or statement.row)  # fmt: skip
            continue
        result.append(statement)
    return result


def _next_to(before: Statement, after: Statement) -> bool:
    """Adjacent lines, the later one not starting a new item with a reference of its own."""
    if any(REFERENCE.search(text) for _, text in after.lines):
        return False
    return after.lines[0][0] - before.lines[-1][0] <= 1


def _is_row(text: str) -> bool:
    """A Beratungsfolge row: it starts with the committee (after its date) and holds a date."""
    start = re.sub(r"^\s*\d{1,2}\.\d{1,2}\.\d{4}\s+", "", text).lstrip()
    named = COMMITTEE.match(start)
    return bool(named and committees_in(named.group(0))) and any(d.day for d in dates_in(text))


def _region(text_of: dict[int, str], numbers: list[int]) -> list[tuple[int, str]]:
    """The tally's lines with the line before and after when they belong to its sentence."""
    first, last = numbers[0], numbers[-1]
    picked = list(range(first, last + 1))
    before = text_of.get(first - 1, "").strip()
    continued = text_of[first].strip()[:1].islower() or text_of[first].strip()[:1].isdigit()
    sentence = before and not before.endswith((".", ":")) and not LABEL.match(before)
    if continued and sentence and not _boundary(before):
        picked.insert(0, first - 1)  # the sentence began on the line before
    after = text_of.get(last + 1, "").strip()
    goes_on = after[:1].islower() and not text_of[last].rstrip().endswith(".")
    states = goes_on or bool(outcomes_in(after)) or bool(unanimity(after))
    # a line with a reference of its own starts the next item
    if after and states and not _boundary(after) and not REFERENCE.search(after):
        picked.append(last + 1)
    return [(n, text_of[n]) for n in picked if n in text_of]


def _boundary(text: str) -> bool:
    return bool(TOP.match(text) or HEADING.match(text))


def _stated_outcome(
    number: int, text: str, text_of: dict[int, str]
) -> list[tuple[int, str]] | None:
    """The lines of an outcome stated without counts, or None."""
    label = RESULT_LABEL.match(text)
    if label:
        content = label.group(1).strip()
        region = [(number, text)]
        if not content and text_of.get(number + 1, "").strip():
            content = text_of[number + 1]
            region.append((number + 1, content))
        if outcomes_in(content) or unanimity(content):
            return region
        return None
    if OUTCOME_ONLY.match(text) or MARKER_ONLY.match(text):
        return [(number, text)]
    for sentence in SENTENCES.split(text):
        if not outcomes_in(sentence) or dates_in(sentence):
            continue  # a dated sentence tells of an earlier decision
        if unanimity(sentence) or (PASSIVE.search(sentence) and _about_item(sentence)):
            return [(number, text)]
    return None


def _about_item(sentence: str) -> bool:
    return bool(
        re.search(
            r"\b(?:Vorlage|Beschlussvorlage|Beschlussvorschlag|Beschlussempfehlung|Antrag"
            r"|Tagesordnungspunkt|TOP|Punkt|Angelegenheit|Beschluss|Bericht|Information"
            r"|Mitteilung|Vorschlag)\b",
            sentence,
            re.IGNORECASE,
        )
    )


def command_of(statement: Statement, facts: Facts, segment: Segment, body: str) -> Command:
    """The vote (four counts, outcome adopted/rejected or none) or decision command."""
    wording = " ".join(text.strip() for _, text in statement.lines)
    first_line, first_text = statement.lines[0]
    outcome = _outcome(statement)
    counts = statement.tally.stated() if statement.tally else {}
    complete = len(counts) == 4 and (outcome is None or outcome[0].value in ("adopted", "rejected"))
    command = Command("vote" if complete else "decision")
    command.fields["body"] = body
    _resolution(command, facts.reference_before(segment, first_line))
    _committee(command, facts, statement)
    if outcome is not None:
        command.set("outcome", outcome[0].value, outcome[1], facts.source.line(outcome[1]).strip())
    elif not complete:
        why = "no outcome word (beschlossen, abgelehnt, vertagt, ...) is stated"
        if outcome is None and _conflicting(statement):
            why = "the words state more than one outcome or contradict the counts"
        command.doubt("outcome", why)
    if not complete:
        command.set("wording", wording, first_line, first_text.strip())
    for name in COUNTS:
        if statement.tally and name in statement.tally.counts:
            count = statement.tally.counts[name]
            command.set(name, count.value, count.line, count.text)
        elif name in labelled(wording):
            command.doubt(name, "named in the text, but its number could not be read")
        else:
            marker = unanimity(wording)
            why = f'"{marker}" gives no count' if marker else "not stated"
            command.doubt(name, why)
    _effective(command, facts, statement)
    return command


def _outcome(statement: Statement) -> tuple[Outcome, int] | None:
    """The single outcome the statement's words give, unless it contradicts the counts."""
    text = " ".join(t for _, t in statement.lines)
    outcome = single_outcome(text)
    if outcome is None:
        return None
    tally = statement.tally.stated() if statement.tally else {}
    if outcome.value == "adopted" and "yes" in tally and tally["yes"] <= tally.get("no", -1):
        return None  # more no than yes: the words speak of something else
    line = next((n for n, t in statement.lines if outcome.words in t), statement.lines[0][0])
    return outcome, line


def _conflicting(statement: Statement) -> bool:
    return bool(outcomes_in(" ".join(t for _, t in statement.lines)))


def _resolution(command: Command, reference: Found | None) -> None:
    if reference is None:
        command.doubt("resolution", "no Vorlage-, Drucksache- or Beschluss-Nr. is stated")
    else:
        command.set("resolution", reference.value, reference.line, reference.text)


def _committee(command: Command, facts: Facts, statement: Statement) -> None:
    names = committees_in(statement.row[1]) if statement.row else []
    if statement.row and names:
        line, text = statement.row
    elif facts.committee is not None:
        names, line, text = [facts.committee.value], facts.committee.line, facts.committee.text
    else:
        command.doubt("committee", "no committee is named for this decision")
        return
    command.set("committee", slug(names[0]), line, text.strip())
    command.notes.append(f'committee: the slug of "{names[0]}"; check it is the one recorded')


def _effective(command: Command, facts: Facts, statement: Statement) -> None:
    if statement.row:
        line, text = statement.row
        days = [d for d in dates_in(text) if d.day]
        if len(days) == 1 and days[0].day:
            command.set("effective", days[0].day, line, text.strip())
            return
    meeting = facts.meeting
    if meeting is not None and meeting.day is not None:
        command.set("effective", meeting.day, meeting.line, meeting.text)
    elif meeting is not None:
        command.doubt("effective", f'the meeting is dated "{meeting.written}" without a day')
    else:
        command.doubt("effective", "no meeting date is stated")
