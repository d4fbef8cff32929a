"""`ledger schema`: the JSON Schema of command files accepts every file the repository ships
and refuses commands that the loader refuses for their shape."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jsonschema
import pytest

from ledger.cli import main
from ledger.commands.handlers import load_handlers
from ledger.commands.registry import KINDS, Command, CommandKind, Parse, parse_command
from ledger.commands.schema import command_file_schema
from ledger.yaml_files import load_yaml

ROOT = Path(__file__).resolve().parent.parent
# The YAML files that hold a list of commands (the others configure a treasury import).
COMMAND_FILES = [
    path
    for path in sorted([*ROOT.glob("src/ledger/demo/*.yaml"), *ROOT.glob("examples/**/*.yaml")])
    if isinstance(load_yaml(path.read_text(encoding="utf-8")), list)
]

GOOD_VOTE: dict[str, Any] = {
    "record": "vote",
    "body": "b",
    "resolution": "2018/6/067",
    "committee": "c",
    "effective": "2018-06-19",
    "yes": 9,
    "no": 0,
    "abstentions": 0,
    "recused": 0,
}
SUPPLEMENTARY: dict[str, Any] = {
    "record": "supplementary",
    "body": "b",
    "year": 2018,
    "line": "01.4953.7187",
    "kind": "ausserplanmaessig",
    "amount": "17655.00",
    "resolution": "r",
    "effective": "2018-06-19",
}
BAD = {
    "yes 9.5": dict(GOOD_VOTE, yes=9.5),
    "yes as text": dict(GOOD_VOTE, yes="nine"),
    "negative count": dict(GOOD_VOTE, no=-1),
    "unknown field": dict(GOOD_VOTE, colour="red"),
    "unknown kind": dict(GOOD_VOTE, record="vot"),
    "missing effective": {k: v for k, v in GOOD_VOTE.items() if k != "effective"},
    "unknown enum value": dict(SUPPLEMENTARY, kind="sideways"),
    "sub-cent amount": dict(SUPPLEMENTARY, amount="17655.001"),
    "too many seats": dict(GOOD_VOTE, yes=10_001),
    "impossible date": dict(GOOD_VOTE, effective="2018-02-30"),
    "German amount, three decimals": dict(SUPPLEMENTARY, amount="17.655,001"),
    "negative amount": dict(SUPPLEMENTARY, amount="-1.00"),
}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = command_file_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def errors(validator: jsonschema.Draft202012Validator, doc: Any) -> list[str]:
    """The messages of the schema's refusals of a document (as JSON would carry it)."""
    plain = json.loads(json.dumps(doc, default=str))
    return [error.message for error in validator.iter_errors(plain)]


def test_command_files_exist() -> None:
    assert any(path.parent.name == "demo" for path in COMMAND_FILES)
    assert any("examples" in path.parts for path in COMMAND_FILES)


@pytest.mark.parametrize("path", COMMAND_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_file_is_valid(
    validator: jsonschema.Draft202012Validator, path: Path
) -> None:
    assert errors(validator, load_yaml(path.read_text(encoding="utf-8"))) == []


def test_good_commands_are_valid(validator: jsonschema.Draft202012Validator) -> None:
    german = dict(SUPPLEMENTARY, amount="17.655,00 EUR", effective="19.06.2018")
    commands = [GOOD_VOTE, SUPPLEMENTARY, german, dict(SUPPLEMENTARY, amount=5)]
    load_handlers()
    for command in commands:
        parse_command(command)  # the loader reads each too
    assert errors(validator, commands) == []


@pytest.mark.parametrize("command", BAD.values(), ids=list(BAD))
def test_bad_command_is_refused(
    validator: jsonschema.Draft202012Validator, command: dict[str, Any]
) -> None:
    assert errors(validator, [command])


def test_every_registered_kind_has_a_schema() -> None:
    load_handlers()
    schema = command_file_schema()
    refs = {entry["$ref"] for entry in schema["items"]["oneOf"]}
    assert refs == {f"#/$defs/{name}" for name in KINDS}
    for name, kind in KINDS.items():
        entry = schema["$defs"][name]
        assert entry["properties"]["record"] == {"const": name}
        assert set(entry["properties"]) == set(kind.fields) | {"record"}
        assert entry["additionalProperties"] is False
        assert set(entry["required"]) == {"record"} | {
            field for field, spec in kind.fields.items() if spec.required
        }


def parse_colour(field: str, value: object) -> str:
    """A parser the schema has no fragment for."""
    return str(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Paint(Command):
    """A kind declared, but not registered, with a field of that parser."""

    record = "paint"
    summary = "paint a thing"

    colour: Annotated[str, Parse(parse_colour)]


def test_a_parser_without_a_fragment_is_named() -> None:
    kind = CommandKind.of(Paint)
    with pytest.raises(KeyError, match=r"paint\.colour: parser parse_colour"):
        command_file_schema({"paint": kind})


def test_ledger_schema_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == command_file_schema()
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
