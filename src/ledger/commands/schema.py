"""The JSON Schema (draft 2020-12) of a command file, generated from the kinds' declarations.

Each field parser of `ledger.commands.fields` (and the two of `ledger.commands.budget`) has one
schema fragment here that states what it accepts; a field whose values the domain restricts to a
fixed set (a supplementary approval's kind, a vote's outcome) declares them (`Parse(choices=…)`,
the domain's own tuple) and gets an `enum`. The parsers stay the authority: the schema is what
an editor checks while typing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ledger.commands import fields as f
from ledger.commands.budget import parse_line_code, parse_signed_money
from ledger.commands.handlers import load_handlers
from ledger.commands.registry import KINDS, CommandKind, Field, Parser
from ledger.domain.base import MAX_SOURCE
from ledger.domain.money import MAX_AMOUNT
from ledger.domain.resolution import MAX_REFERENCE

Schema = dict[str, Any]

DRAFT = "https://json-schema.org/draft/2020-12/schema"

# The money notations of fields.parse_money as ECMA-262 patterns: plain (17655.00) or German
# (17.655,00), at most two decimals that are not zero (17655.000 is read as 17655.00), an
# optional EUR, € or Euro after it.
_DECIMALS = r"\d{1,2}0*"
_PLAIN = rf"\d+(?:\.{_DECIMALS})?"
_GERMAN = rf"\d{{1,3}}(?:\.\d{{3}})*(?:,{_DECIMALS})?|\d+(?:,{_DECIMALS})?"
_SUFFIX = r"(?:[ \u00a0]?(?:EUR|€|Euro))?"
MONEY_PATTERN = rf"^\s*(?:{_PLAIN}|{_GERMAN}){_SUFFIX}\s*$"
SIGNED_MONEY_PATTERN = rf"^\s*[-−]?\s*(?:{_PLAIN}|{_GERMAN}){_SUFFIX}\s*$"
ISO_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
GERMAN_DATE_PATTERN = r"^\s*\d{1,2}\.\d{1,2}\.\d{4}\s*$"
# Not blank: parse_text trims and refuses what is left empty.
NOT_BLANK = r"\S"
MAX_AMOUNT_INT = int(MAX_AMOUNT)


def _whole(low: int, high: int) -> Schema:
    return {"type": "integer", "minimum": low, "maximum": high}


def _text(_name: str) -> Schema:
    return {
        "type": ["string", "number"],
        "minLength": 1,
        "maxLength": f.MAX_TEXT,
        "pattern": NOT_BLANK,
    }


def _money(_name: str) -> Schema:
    return {"anyOf": [{"type": "string", "pattern": MONEY_PATTERN}, _whole(0, MAX_AMOUNT_INT)]}


def _signed_money(_name: str) -> Schema:
    return {
        "anyOf": [
            {"type": "string", "pattern": SIGNED_MONEY_PATTERN},
            _whole(-MAX_AMOUNT_INT, MAX_AMOUNT_INT),
        ]
    }


def _date(_name: str) -> Schema:
    return {
        "anyOf": [
            {"type": "string", "pattern": ISO_DATE_PATTERN, "format": "date"},
            {"type": "string", "pattern": GERMAN_DATE_PATTERN},
        ]
    }


def _count(name: str) -> Schema:
    return _whole(*f.number_range(name))


def _positive(name: str) -> Schema:
    low, high = f.number_range(name)
    return _whole(max(low, 1), high)


#: The schema fragment of each field parser, given the field's name (counts are bounded by it).
FRAGMENTS: dict[Parser, Callable[[str], Schema]] = {
    f.parse_text: _text,
    f.parse_free_text: lambda _: {"type": ["string", "null"], "maxLength": f.MAX_TEXT},
    f.parse_reference: lambda _: {
        "type": ["string", "integer"],
        "minLength": 1,
        "maxLength": 4 * MAX_REFERENCE,
        "pattern": NOT_BLANK,
    },
    f.parse_source: lambda _: {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_SOURCE,
        "pattern": NOT_BLANK,
    },
    f.parse_date: _date,
    f.parse_money: _money,
    parse_signed_money: _signed_money,
    f.parse_count: _count,
    f.parse_positive: _positive,
    f.parse_year: lambda _: _whole(*f.YEARS),
    f.parse_percent: lambda _: _whole(*f.PERCENT),
    f.parse_bool: lambda _: {"type": "boolean"},
    f.parse_text_list: lambda name: {
        "type": "array",
        "maxItems": f.MAX_ITEMS,
        "items": _text(name),
    },
    f.parse_mapping: lambda _: {"type": "object"},
    f.parse_process: lambda _: {"type": "string", "pattern": rf"^\s*{f.PROCESS.pattern}\s*$"},
    f.parse_code: lambda _: {"type": ["string", "number"], "pattern": rf"^\s*{f.CODE.pattern}\s*$"},
    parse_line_code: lambda name: {**_text(name), "type": ["string", "integer"]},
}


def field_schema(kind: str, name: str, spec: Field) -> Schema:
    """The schema of one field; KeyError names a parser that has no fragment yet."""
    if spec.choices:
        schema: Schema = {"type": "string", "enum": list(spec.choices)}
    else:
        try:
            fragment = FRAGMENTS[spec.parse]
        except KeyError:
            raise KeyError(
                f"{kind}.{name}: parser {spec.parse.__name__} has no JSON Schema fragment "
                "(add one to ledger.commands.schema.FRAGMENTS)"
            ) from None
        schema = fragment(name)
    if spec.help:
        schema = {"description": spec.help, **schema}
    if not spec.required:
        # parse_command reads a null (an empty YAML value) as an optional field left out.
        schema = {"anyOf": [schema, {"type": "null"}]}
        if spec.help:
            schema["description"] = spec.help
    return schema


def kind_schema(kind: CommandKind) -> Schema:
    """The schema of one record kind: its `record` constant, its fields, nothing else."""
    properties: Schema = {"record": {"const": kind.name}}
    for name, spec in kind.fields.items():
        properties[name] = field_schema(kind.name, name, spec)
    required = ["record", *(name for name, spec in kind.fields.items() if spec.required)]
    return {
        "title": f"record: {kind.name}",
        "description": kind.summary,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def command_file_schema(kinds: Mapping[str, CommandKind] | None = None) -> Schema:
    """The schema of a command file: a list of commands, each one of the registered kinds."""
    if kinds is None:
        load_handlers()
        kinds = KINDS
    names = sorted(kinds)
    return {
        "$schema": DRAFT,
        "title": "ledger command file",
        "description": "A list of commands, each a mapping whose `record` names its kind "
        "(`ledger kinds` lists them with their fields).",
        "type": "array",
        "items": {"oneOf": [{"$ref": f"#/$defs/{name}"} for name in names]},
        "$defs": {name: kind_schema(kinds[name]) for name in names},
    }
