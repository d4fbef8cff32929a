"""Commands for bodies and committees: body, committee, seats."""

from __future__ import annotations

from typing import Any

from ledger.commands.batch import Batch
from ledger.commands.fields import parse_free_text, parse_positive, parse_text
from ledger.commands.registry import SOURCE, Field, command
from ledger.domain.body import DEFAULT_LINE_PATTERN, Body
from ledger.domain.committee import Committee


@command(
    "body",
    "register a body (Landkreis, Stadt, Gemeinde)",
    name=Field(parse_text, help="its official name"),
    land=Field(parse_free_text, required=False, default="", help="the Land, e.g. Thüringen"),
    line_pattern=Field(
        parse_text,
        required=False,
        default=DEFAULT_LINE_PATTERN,
        help="regular expression every budget-line code must match",
    ),
    majority_rule=Field(
        parse_text, required=False, default="simple", help="simple, absolute or two_thirds"
    ),
    source=SOURCE,
)
def register_body(batch: Batch, v: dict[str, Any]) -> None:
    """Registers a body."""
    batch.create(
        Body,
        Body.id_for(v["body"]),
        "body",
        v["body"],
        lambda: Body.register(
            v["body"],
            v["name"],
            v["land"],
            v["line_pattern"],
            v["majority_rule"],
            v["effective"],
            v["source"],
        ),
    )


@command(
    "committee",
    "establish a committee (Gremium) with its voting seats",
    committee=Field(parse_text, help="the committee's slug"),
    name=Field(parse_text, help="its name"),
    seats=Field(parse_positive, help="number of voting seats"),
    source=SOURCE,
)
def establish_committee(batch: Batch, v: dict[str, Any]) -> None:
    """Establishes a committee of a registered body."""
    batch.body(v["body"])
    batch.create(
        Committee,
        Committee.id_for(v["body"], v["committee"]),
        "committee",
        v["committee"],
        lambda: Committee.establish(
            v["body"], v["committee"], v["name"], v["seats"], v["effective"], v["source"]
        ),
    )


@command(
    "seats",
    "change a committee's number of voting seats from a date on",
    committee=Field(parse_text, help="the committee's slug"),
    seats=Field(parse_positive, help="the new number of voting seats"),
    source=SOURCE,
)
def change_seats(batch: Batch, v: dict[str, Any]) -> None:
    """Changes the voting seats of a committee."""
    committee = batch.get(
        Committee, Committee.id_for(v["body"], v["committee"]), "committee", v["committee"]
    )
    committee.change_seats(v["seats"], v["effective"], v["source"])
