"""Assembles the draft of one document: proposal, votes and decisions, expenditure, certificate."""

from __future__ import annotations

from ledger.drafts.budget import Supplementary, supplementaries
from ledger.drafts.certification import certification_commands
from ledger.drafts.decisions import add_decisions
from ledger.drafts.facts import Facts, read_facts
from ledger.drafts.model import Command, Draft
from ledger.drafts.proposal import proposal
from ledger.drafts.text import Source


def build_draft(source: Source, body: str) -> Draft:
    """The commands a document states, in the order `ledger record` needs them."""
    facts = read_facts(source)
    draft = Draft(source.path)
    budget = [
        item
        for segment in facts.segments
        for item in supplementaries(
            [(n, t) for n, t in facts.numbered(segment) if facts.kinds[n - 1] != "narrative"]
        )
    ]
    proposed = proposal(facts, body, budget)
    if proposed is not None:
        draft.commands.append(proposed)
    add_decisions(draft, facts, body)
    draft.commands += [_supplementary(item, facts, draft, body) for item in budget]
    if not facts.minutes:
        reference = facts.reference(facts.segments[0])
        draft.commands += certification_commands(source, body, reference)
    return draft


def _supplementary(item: Supplementary, facts: Facts, draft: Draft, body: str) -> Command:
    """The approval of an über-/außerplanmäßige expenditure, dated by the decision."""
    command = Command("supplementary")
    command.fields["body"] = body
    if item.year is not None:
        command.set("year", int(item.year.value), item.year.line, item.year.text)
    if item.line is not None:
        command.set("line", item.line.value, item.line.line, item.line.text)
    command.set("kind", item.kind, item.keyword.line, item.keyword.text)
    if item.amount is not None and item.amount_at is not None:
        command.set("amount", item.amount.plain(), item.amount_at.line, item.amount_at.text)
    segment = next(s for s in facts.segments if item.keyword.line in s.numbers())
    reference = facts.reference_before(segment, item.keyword.line)
    if reference is not None:
        command.set("resolution", reference.value, reference.line, reference.text)
    if item.cover is not None:
        command.set("cover", item.cover.value, item.cover.line, item.cover.text)
    for name, why in item.unsure:
        command.doubt(name, why)
    if reference is None:
        command.doubt("resolution", "no Vorlage-, Drucksache- or Beschluss-Nr. is stated")
    _dated_by_decision(command, draft)
    return command


def _dated_by_decision(command: Command, draft: Draft) -> None:
    """The approval holds from the decision's date: the adopting vote or decision of its item."""
    resolution = command.fields.get("resolution")
    decided = [
        c
        for c in draft.commands
        if c.record in ("vote", "decision")
        and "effective" in c.fields
        and resolution is not None
        and c.fields.get("resolution") == resolution
        and _adopted(c)
    ]
    if len(decided) >= 1 and len({c.fields["effective"] for c in decided}) == 1:
        source = next(e for e in decided[-1].evidence if e.field == "effective")
        command.set("effective", decided[-1].fields["effective"], source.line, source.text)
    else:
        command.doubt("effective", "no single date of the adopting decision is stated")


def _adopted(command: Command) -> bool:
    """Adopted as stated, or a vote without an outcome whose yes outnumber its no."""
    outcome = command.fields.get("outcome")
    if outcome is not None:
        return bool(outcome == "adopted")
    fields = command.fields
    return command.record == "vote" and fields["yes"] > fields["no"]
