"""Commands for resolutions: proposal, vote, decision, execution, amendment, revocation."""

from __future__ import annotations

from typing import Any

from ledger.commands.batch import Batch
from ledger.commands.fields import (
    parse_bool,
    parse_count,
    parse_free_text,
    parse_money,
    parse_reference,
    parse_text,
    parse_text_list,
    parse_year,
)
from ledger.commands.registry import SOURCE, Field, command
from ledger.domain.committee import Committee
from ledger.domain.resolution import Resolution
from ledger.domain.tally import COUNTS, DECISION_OUTCOMES
from ledger.errors import RuleViolationError


def resolution_of(batch: Batch, body: str, reference: str) -> Resolution:
    """The recorded resolution `reference` of `body`."""
    return batch.get(Resolution, Resolution.id_for(body, reference), "resolution", reference)


@command(
    "proposal",
    "submit a proposal (Beschlussvorlage)",
    resolution=Field(parse_reference, help="its reference, e.g. 2018/6/067"),
    title=Field(parse_text, help="the subject (Betreff)"),
    committee=Field(parse_text, help="the committee that decides"),
    submitter=Field(parse_free_text, required=False, default="", help="Einreicher"),
    public=Field(parse_bool, help="true: öffentlich; false: nichtöffentlich"),
    items=Field(parse_text_list, required=False, default=[], help="the numbered items"),
    amount=Field(parse_money, required=False, help="financial effect in EUR"),
    year=Field(parse_year, required=False, help="fiscal year of the financial effect"),
    line=Field(parse_text, required=False, help="budget line of the financial effect"),
    source=SOURCE,
)
def propose(batch: Batch, v: dict[str, Any]) -> None:
    """Records a proposal of a registered committee."""
    body = batch.body(v["body"])
    batch.get(Committee, Committee.id_for(v["body"], v["committee"]), "committee", v["committee"])
    if v["line"] is not None:
        body.check_line_code(v["line"])
    batch.create(
        Resolution,
        Resolution.id_for(v["body"], v["resolution"]),
        "resolution",
        v["resolution"],
        lambda: Resolution.propose(
            body=v["body"],
            reference=v["resolution"],
            title=v["title"],
            committee=v["committee"],
            submitter=v["submitter"],
            public=v["public"],
            items=v["items"],
            financial_effect=v["amount"],
            year=v["year"],
            line=v["line"],
            effective=v["effective"],
            source=v["source"],
        ),
    )


@command(
    "vote",
    "record a committee's vote on a resolution (effective: the meeting date)",
    resolution=Field(parse_reference, help="the reference"),
    committee=Field(parse_text, help="the committee that voted"),
    yes=Field(parse_count, help="Ja"),
    no=Field(parse_count, help="Nein"),
    abstentions=Field(parse_count, help="Enthaltungen"),
    recused=Field(parse_count, help="befangen (Bef)"),
    outcome=Field(
        parse_text, required=False, help="adopted or rejected; checked against the majority rule"
    ),
    source=SOURCE,
)
def record_vote(batch: Batch, v: dict[str, Any]) -> None:
    """Records a vote: the seats on the meeting date and the body's majority rule decide."""
    seats, majority_rule = meeting(batch, v)
    resolution_of(batch, v["body"], v["resolution"]).record_vote(
        committee=v["committee"],
        yes=v["yes"],
        no=v["no"],
        abstentions=v["abstentions"],
        recused=v["recused"],
        outcome=v["outcome"],
        seats=seats,
        majority_rule=majority_rule,
        effective=v["effective"],
        source=v["source"],
    )


@command(
    "decision",
    "record a committee's decision as its protocol states it: outcome, wording and the "
    "counts stated, at least one of them (effective: the meeting date)",
    resolution=Field(parse_reference, help="the reference"),
    committee=Field(parse_text, help="the committee that decided"),
    outcome=Field(
        parse_text,
        required=False,
        help=f"{', '.join(DECISION_OUTCOMES)}; with all four counts, adopted or rejected is "
        "checked against the majority rule",
    ),
    wording=Field(parse_text, required=False, help="the protocol's sentence(s), verbatim"),
    yes=Field(
        parse_count,
        required=False,
        help="Ja, if stated; the counts stated must together fit the seats",
    ),
    no=Field(parse_count, required=False, help="Nein, if stated"),
    abstentions=Field(parse_count, required=False, help="Enthaltungen, if stated"),
    recused=Field(parse_count, required=False, help="befangen (Bef), if stated"),
    source=SOURCE,
)
def record_decision(batch: Batch, v: dict[str, Any]) -> None:
    """Records a decision: stated counts fit the seats; a full tally follows the majority rule."""
    seats, majority_rule = meeting(batch, v)
    resolution_of(batch, v["body"], v["resolution"]).record_decision(
        committee=v["committee"],
        outcome=v["outcome"],
        wording=v["wording"],
        counts={name: v[name] for name in COUNTS},
        seats=seats,
        majority_rule=majority_rule,
        effective=v["effective"],
        source=v["source"],
    )


def meeting(batch: Batch, v: dict[str, Any]) -> tuple[int, str]:
    """The voting seats of committee `v["committee"]` and the body's majority rule on the
    meeting date; refuses a committee not established then."""
    body = batch.body(v["body"])
    committee = batch.get(
        Committee, Committee.id_for(v["body"], v["committee"]), "committee", v["committee"]
    )
    seats = committee.state_at(v["effective"]).seats
    if seats == 0:
        raise RuleViolationError(
            "effective", f"committee '{v['committee']}' was not established on {v['effective']}"
        )
    return seats, body.state_at(v["effective"]).majority_rule


@command(
    "execution",
    "record the execution (Ausfertigung) of an adopted resolution",
    resolution=Field(parse_reference, help="the reference"),
)
def execute(batch: Batch, v: dict[str, Any]) -> None:
    """Records the execution."""
    resolution_of(batch, v["body"], v["resolution"]).execute(v["effective"])


@command(
    "amendment",
    "amend a resolution's title or items",
    resolution=Field(parse_reference, help="the reference"),
    title=Field(parse_text, required=False, help="the new title"),
    items=Field(parse_text_list, required=False, help="the new items"),
    reason=Field(parse_text, help="why"),
)
def amend(batch: Batch, v: dict[str, Any]) -> None:
    """Records an amendment."""
    resolution_of(batch, v["body"], v["resolution"]).amend(
        v["title"], v["items"], v["reason"], v["effective"]
    )


@command(
    "revocation",
    "revoke a resolution",
    resolution=Field(parse_reference, help="the reference"),
    reason=Field(parse_text, help="why"),
)
def revoke(batch: Batch, v: dict[str, Any]) -> None:
    """Records a revocation."""
    resolution_of(batch, v["body"], v["resolution"]).revoke(v["reason"], v["effective"])
