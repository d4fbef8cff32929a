"""The registry of command kinds: each kind's fields, its parser per field and its handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledger.commands.fields import SHOWN, parse_date, parse_source, parse_text, shown
from ledger.errors import RuleViolationError

Parser = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Field:
    """A field of a command: its parser, whether it is required, and its help text."""

    parse: Parser
    required: bool = True
    help: str = ""
    default: Any = None


@dataclass(frozen=True)
class CommandKind:
    """One `record:` kind: its fields (beside record, body, effective) and its handler."""

    name: str
    summary: str
    fields: dict[str, Field]
    handle: Callable[[Any, dict[str, Any]], None] = field(compare=False)
    allowed: frozenset[str] = field(default=frozenset(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed", frozenset(self.fields) | {"record"})


KINDS: dict[str, CommandKind] = {}

COMMON = {
    "body": Field(parse_text, help="the body's slug, e.g. kyffhaeuserkreis"),
    "effective": Field(parse_date, help="the date on which the fact holds (valid time)"),
}


#: The provenance field of the kinds that take one: where the fact comes from. Not part of
#: what the fact states: a command recorded again with another source repeats it.
SOURCE = Field(
    parse_source,
    required=False,
    help="where it comes from, e.g. an OParl id URL (at most 1,000 characters); "
    "not compared when recorded again",
)


def command(
    name: str, summary: str, /, **fields: Field
) -> Callable[[Callable[[Any, dict[str, Any]], None]], Callable[[Any, dict[str, Any]], None]]:
    """Registers a handler for `record: name` with its fields."""

    def register(
        handler: Callable[[Any, dict[str, Any]], None],
    ) -> Callable[[Any, dict[str, Any]], None]:
        if name in KINDS:
            raise ValueError(f"command kind {name} registered twice")
        KINDS[name] = CommandKind(name, summary, {**COMMON, **fields}, handler)
        return handler

    return register


def parse_command(raw: Any) -> tuple[CommandKind, dict[str, Any]]:
    """Parses one raw command mapping: known kind, known fields, required fields, typed values."""
    if not isinstance(raw, dict):
        raise RuleViolationError("record", f"a command must be a mapping, got {shown(raw)}")
    kind_name = raw.get("record")
    if kind_name is None:
        raise RuleViolationError("record", "every command needs 'record: KIND'")
    kind = KINDS.get(str(kind_name))
    if kind is None:
        raise RuleViolationError(
            "record", f"unknown record kind {shown(kind_name)} (known: {', '.join(sorted(KINDS))})"
        )
    if not kind.allowed.issuperset(raw):
        unknown = sorted(str(name)[:SHOWN] for name in set(raw) - kind.allowed)
        raise RuleViolationError(
            unknown[0],
            f"unknown field for '{kind.name}' (fields: {', '.join(kind.fields)})",
        )
    values: dict[str, Any] = {}
    for name, spec in kind.fields.items():
        value = raw.get(name)
        if value is None:
            if spec.required:
                raise RuleViolationError(name, f"is required for '{kind.name}'")
            default = spec.default
            values[name] = list(default) if isinstance(default, list) else default
            continue
        values[name] = spec.parse(name, value)
    return kind, values
