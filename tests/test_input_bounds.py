"""Bounded input: every number, text, nesting and file size `ledger record` reads has a limit.

Each refusal exits 2 with one message naming the command, the field and the rule, appends
nothing and raises no traceback (`main` returning 2 instead of raising is that check).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from ledger.cli import main
from ledger.commands.fields import MAX_SEATS, MAX_TEXT
from ledger.domain.body import MAX_LINE_CODE
from ledger.domain.money import MAX_AMOUNT
from ledger.errors import RuleViolationError
from ledger.importers.notation import parse_booking_date
from ledger.yaml_files import MAX_DEPTH, MAX_FILE_BYTES

BODY = "testkreis"
# Three commands that open a committee and a budget line; each test adds a fourth.
SETUP = f"""\
- {{record: body, body: {BODY}, name: Testkreis, effective: 2018-01-01}}
- {{record: committee, body: {BODY}, committee: rat, name: Kreistag, seats: 15,
    effective: 2018-01-01}}
- {{record: budget-line, body: {BODY}, year: 2018, line: 01.4953.7187, title: Familie,
    effective: 2018-01-01}}
"""
LINE = f"body: {BODY}, year: 2018, line: 01.4953.7187"


@pytest.fixture
def ledger_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """LEDGER_DATABASE_URL pointing at a fresh SQLite file."""
    path = tmp_path / "ledger.db"
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{path}")
    return path


def stored(db: Path) -> int:
    """How many events the store holds."""
    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        tables = connection.execute(
            "select count(*) from sqlite_master where name = 'stored_events'"
        ).fetchone()[0]
        if not tables:
            return 0
        return int(connection.execute("select count(*) from stored_events").fetchone()[0])


def record(db: Path, text: str, name: str = "commands.yaml") -> int:
    """Runs `ledger record` on a file holding `text`; returns the exit code."""
    path = db.parent / name
    path.write_text(text, encoding="utf-8")
    return main(["record", str(path)])


def refused(
    db: Path, capsys: pytest.CaptureFixture[str], text: str, name: str = "commands.yaml"
) -> str:
    """Records `text`, expects exit 2 with nothing appended; returns the error message."""
    before = stored(db)
    code = record(db, text, name)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert stored(db) == before
    return err


def accepted(db: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    """Records `text` and expects success."""
    code = record(db, text)
    assert code == 0, capsys.readouterr().err


def commitment(amount: str) -> str:
    return SETUP + (
        f"- {{record: commitment, {LINE}, amount: {amount}, reference: C-1, "
        f"effective: 2018-07-01}}\n"
    )


# -- money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount",
    [
        "1000000000000000000000000000000",  # 10^30 as a YAML integer
        '"99999999999999999999999999.99"',
        '"92233720368547758.08"',  # 2^63 cents
        '"10000000000000.01"',  # one cent over 10^13
        '"10.000.000.000.000,01"',
        "1" + "0" * 200,  # an integer literal longer than any bound
    ],
)
def test_an_amount_over_ten_to_the_thirteen_is_refused_naming_command_and_field(
    ledger_db: Path, capsys: pytest.CaptureFixture[str], amount: str
) -> None:
    err = refused(ledger_db, capsys, commitment(amount))
    assert "command 4 (commitment): field 'amount'" in err
    assert "at most 10000000000000.00" in err


def test_an_amount_of_exactly_ten_to_the_thirteen_is_recorded(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert MAX_AMOUNT == 10**13
    accepted(ledger_db, capsys, commitment('"10000000000000.00"'))


@pytest.mark.parametrize(
    "amount",
    ['"NaN"', '"Infinity"', '"1E+13"', "1e3", ".nan", ".inf", '"１２３"', '"١٢٣"', '"۱۲۳"'],
)
def test_malformed_numbers_and_non_ascii_digits_are_refused_as_amounts(
    ledger_db: Path, capsys: pytest.CaptureFixture[str], amount: str
) -> None:
    err = refused(ledger_db, capsys, commitment(amount))
    assert "command 4 (commitment): field 'amount'" in err


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_constants_that_are_not_numbers_are_refused(
    ledger_db: Path, capsys: pytest.CaptureFixture[str], constant: str
) -> None:
    text = (
        f'[{{"record": "body", "body": "{BODY}", "name": "T", "effective": "2018-01-01"}},'
        f' {{"record": "committee", "body": "{BODY}", "committee": "rat", "name": "R",'
        f' "seats": {constant}, "effective": "2018-01-01"}}]'
    )
    err = refused(ledger_db, capsys, text, "commands.json")
    assert constant.lstrip("-") in err


def test_a_german_date_in_arabic_indic_digits_is_refused(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SETUP + f"- {{record: appropriation, {LINE}, amount: '1.00', effective: '١٩.٠٦.٢٠١٨'}}\n"
    err = refused(ledger_db, capsys, text)
    assert "command 4 (appropriation): field 'effective'" in err


# -- whole numbers ----------------------------------------------------------------------------


def test_seats_beyond_any_assembly_are_refused(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for seats in (9223372036854775808, MAX_SEATS + 1):
        text = SETUP + f"- {{record: seats, body: {BODY}, committee: rat, seats: {seats}, "
        text += "effective: 2019-01-01}\n"
        err = refused(ledger_db, capsys, text)
        assert "command 4 (seats): field 'seats'" in err
        assert f"at most {MAX_SEATS}" in err


def test_a_finding_number_over_the_bound_is_refused(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SETUP + (
        f"- {{record: finding, body: {BODY}, process: audit-fgk/2018, "
        "finding: 9223372036854775808, subject: process, kind: observation, text: T, "
        "effective: 2019-01-01}\n"
    )
    err = refused(ledger_db, capsys, text)
    assert "command 4 (finding): field 'finding'" in err
    assert "at most" in err


def test_a_corrected_count_is_bounded_like_the_count(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SETUP + (
        f"- {{record: correction, body: {BODY}, target: committee, committee: rat, version: 1,"
        " values: {seats: 9223372036854775808}, reason: typo, effective: 2018-01-02}\n"
    )
    err = refused(ledger_db, capsys, text)
    assert "command 4 (correction): field 'values.seats'" in err


def vote(**counts: object) -> str:
    fields = {"yes": 9, "no": 0, "abstentions": 0, "recused": 0, **counts}
    given = ", ".join(f"{k}: {v}" for k, v in fields.items())
    return SETUP + (
        f"- {{record: proposal, body: {BODY}, resolution: 2018/1/001, committee: rat, "
        "title: T, public: true, effective: 2018-02-01}\n"
        f"- {{record: vote, body: {BODY}, resolution: 2018/1/001, committee: rat, {given}, "
        "effective: 2018-02-01}\n"
    )


@pytest.mark.parametrize("value", ['"9"', "'9'", '"９"', "9.0"])
def test_a_count_must_be_an_integer_not_a_string(
    ledger_db: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    err = refused(ledger_db, capsys, vote(yes=value))
    assert "command 5 (vote): field 'yes'" in err
    assert "whole number" in err


def test_a_count_written_as_an_integer_is_recorded(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accepted(ledger_db, capsys, vote(yes=9))


# -- dates, duplicate keys --------------------------------------------------------------------


def test_an_impossible_date_names_command_kind_and_field(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SETUP + f"- {{record: appropriation, {LINE}, amount: '1.00', effective: 2018-02-30}}\n"
    err = refused(ledger_db, capsys, text)
    assert "command 4 (appropriation): field 'effective'" in err
    assert "2018-02-30" in err


def test_a_duplicate_key_in_yaml_is_refused_naming_key_and_line(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SETUP + (
        "- record: appropriation\n"
        f"  body: {BODY}\n"
        "  year: 2018\n"
        "  line: 01.4953.7187\n"
        "  amount: '1.00'\n"
        "  amount: '2.00'\n"
        "  effective: 2018-01-01\n"
    )
    err = refused(ledger_db, capsys, text)
    duplicate_line = len(SETUP.splitlines()) + 6
    assert f"line {duplicate_line}" in err
    assert "command 4, field 'amount'" in err
    assert "given twice" in err


def test_a_duplicate_key_in_json_is_refused_naming_the_key(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        f'[{{"record": "body", "body": "{BODY}", "name": "T", "effective": "2018-01-01"}},'
        f' {{"record": "body", "body": "other", "name": "A", "name": "B",'
        f' "effective": "2018-01-01"}}]'
    )
    err = refused(ledger_db, capsys, text, "commands.json")
    assert "command 2, field 'name'" in err
    assert "given twice" in err


# -- nesting, sizes ---------------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000])
def test_a_deeply_nested_yaml_value_is_refused(
    ledger_db: Path, capsys: pytest.CaptureFixture[str], depth: int
) -> None:
    text = SETUP + f"- {{record: appropriation, {LINE}, amount: {nested(depth)}}}\n"
    err = refused(ledger_db, capsys, text)
    assert "command 4, field 'amount'" in err
    assert f"more than {MAX_DEPTH} levels" in err


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000])
def test_a_deeply_nested_json_value_is_refused(
    ledger_db: Path, capsys: pytest.CaptureFixture[str], depth: int
) -> None:
    text = (
        f'[{{"record": "body", "body": "{BODY}", "name": "T", "effective": "2018-01-01"}},'
        f' {{"record": "body", "body": "b", "name": {nested(depth)}, "effective": "2018-01-01"}}]'
    )
    err = refused(ledger_db, capsys, text, "commands.json")
    assert f"more than {MAX_DEPTH} levels" in err


def test_yaml_aliases_cannot_nest_deeper_than_the_limit(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    half = MAX_DEPTH // 2 + 1
    text = (
        f"- {{record: body, body: {BODY}, name: &a {nested(half)}, effective: 2018-01-01}}\n"
        f"- {{record: body, body: b, name: {'[' * half}*a{']' * half}, effective: 2018-01-01}}\n"
    )
    err = refused(ledger_db, capsys, text)
    assert f"more than {MAX_DEPTH} levels" in err


def test_yaml_aliases_cannot_expand_a_file_beyond_its_size_limit(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 8,000 aliases of a 9,000-character text: 72 MB once expanded, 40 kB as written.
    text = SETUP + (
        f"- {{record: proposal, body: {BODY}, resolution: 2018/1/001, committee: rat, "
        f"title: &t {'x' * 9000}, public: true, effective: 2018-02-01, "
        f"items: [{', '.join(['*t'] * 8000)}]}}\n"
    )
    err = refused(ledger_db, capsys, text)
    assert "aliases expanded" in err


def test_a_yaml_alias_inside_its_own_anchor_is_refused(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SETUP + (
        f"- {{record: proposal, body: {BODY}, resolution: 2018/1/001, committee: rat, "
        "title: T, public: true, effective: 2018-02-01, items: &i [*i]}\n"
    )
    err = refused(ledger_db, capsys, text)
    assert "command 4, field 'items'" in err
    assert "own anchor" in err


def test_a_command_file_over_the_size_limit_is_refused(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "x" * (MAX_FILE_BYTES + 1)
    text = f'[{{"record": "body", "body": "{BODY}", "name": "{name}", "effective": "2018-01-01"}}]'
    err = refused(ledger_db, capsys, text, "commands.json")
    assert f"at most {MAX_FILE_BYTES:,} bytes" in err


@pytest.mark.parametrize(
    ("command", "field"),
    [
        ("record: treasury-statement, {line}, text: {text}", "text"),
        (
            "record: budget-line, body: testkreis, year: 2019, line: 01.4953.7187, title: {text}",
            "title",
        ),
        ("record: commitment, {line}, amount: '1.00', reference: C-1, text: {text}", "text"),
    ],
)
def test_a_text_field_over_the_limit_is_refused(
    ledger_db: Path, capsys: pytest.CaptureFixture[str], command: str, field: str
) -> None:
    long = "x" * (MAX_TEXT + 1)
    text = SETUP + "- {" + command.format(line=LINE, text=long) + ", effective: 2019-01-01}\n"
    err = refused(ledger_db, capsys, text)
    assert f"field '{field}'" in err
    assert f"at most {MAX_TEXT:,} characters" in err
    assert long not in err


def test_a_text_field_at_the_limit_is_recorded(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SETUP + f"- {{record: treasury-statement, {LINE}, text: {'x' * MAX_TEXT}, "
    text += "effective: 2019-01-01}\n"
    accepted(ledger_db, capsys, text)


# -- budget-line patterns and codes -----------------------------------------------------------


def body_with_pattern(pattern: str) -> str:
    fields = f"body: {BODY}, name: T, line_pattern: '{pattern}', effective: 2018-01-01"
    return f"- {{record: body, {fields}}}\n"


@pytest.mark.parametrize(
    "pattern",
    [
        r"^(a+)+$",
        r"^(\d*)*$",
        r"^(a|a)*$",
        r"^(?:[0-9]{1,4}\.)+$",
        r"^\d*\d*\d*\d*\d*\d*$",
        "^" + "(a|a)" * 30 + "$",
        "^" + "a" * 300 + "$",
    ],
)
def test_a_line_pattern_that_can_backtrack_without_end_is_refused(
    ledger_db: Path, capsys: pytest.CaptureFixture[str], pattern: str
) -> None:
    text = body_with_pattern(pattern)
    err = refused(ledger_db, capsys, text)
    assert "command 1 (body): field 'line_pattern'" in err


@pytest.mark.parametrize(
    "pattern",
    [r"^\d{2}\.\d{4}\.\d{4}$", r"^[0-9]{1,3}\.[0-9]{1,4}(\.[0-9]{2})?$", r"^[A-Z]+-\d+$"],
)
def test_a_line_pattern_with_bounded_matching_is_recorded(
    ledger_db: Path, capsys: pytest.CaptureFixture[str], pattern: str
) -> None:
    text = body_with_pattern(pattern)
    accepted(ledger_db, capsys, text)


def test_a_budget_line_code_over_the_length_limit_is_refused(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = "1" * (MAX_LINE_CODE + 1)
    text = (
        body_with_pattern("^[0-9]+$")
        + f"- {{record: budget-line, body: {BODY}, year: 2018, line: '{code}', title: T, "
        "effective: 2018-01-01}\n"
    )
    err = refused(ledger_db, capsys, text)
    assert "command 2 (budget-line): field 'line'" in err
    assert f"at most {MAX_LINE_CODE} characters" in err


# -- ledger log -------------------------------------------------------------------------------


def test_ledger_log_shows_control_characters_escaped(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SETUP + (
        f'- {{record: treasury-statement, {LINE}, text: "red \\e[31mtext\\e[0m\\tand\\u009b", '
        "effective: 2019-01-01}\n"
    )
    accepted(ledger_db, capsys, text)
    capsys.readouterr()
    assert main(["log"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x9b" not in out
    assert "\t" not in out
    assert "red \\x1b[31mtext" in out
    assert main(["log", "--format", "json"]) == 0
    entries = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    texts = [e["data"]["text"] for e in entries if "red" in str(e["data"].get("text"))]
    assert texts == ["red \x1b[31mtext\x1b[0m\tand\x9b"]


# -- CSV imports ------------------------------------------------------------------------------


def test_a_csv_amount_over_the_bound_or_in_other_digits_is_a_bad_row_naming_the_column(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accepted(ledger_db, capsys, SETUP)
    csv = ledger_db.parent / "budget.csv"
    csv.write_text(
        "HH-Stelle;Bezeichnung;Art;Ansatz\n"
        "01.4510.7000;Zuschüsse;A;1000000000000000000000000000000\n"
        "01.4510.7001;Miete;A;10.000.000.000.000,01\n"
        "01.4510.7002;Pacht;A;１２３,00\n"
        "01.4510.7003;Abgabe;A;100,00\n",
        encoding="utf-8",
    )
    before = stored(ledger_db)
    capsys.readouterr()
    assert main(["import", "budget", str(csv), "--body", BODY, "--year", "2018"]) == 2
    err = capsys.readouterr().err
    for line in (2, 3, 4):
        assert f"{csv} line {line}: amount (column 'Ansatz')" in err
    assert err.count("at most 10000000000000.00 EUR") == 2
    assert "3 bad rows; nothing was recorded" in err
    assert stored(ledger_db) == before


def test_a_csv_amount_with_a_decimal_point_is_bounded_too(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accepted(ledger_db, capsys, SETUP)
    csv = ledger_db.parent / "budget.csv"
    csv.write_text(
        "HH-Stelle,Bezeichnung,Art,Ansatz\n"
        '01.4510.7000,Zuschüsse,A,"10,000,000,000,000.01"\n'
        "01.4510.7001,Miete,A,99999999999999999999999999999999999999999999.00\n",
        encoding="utf-8",
    )
    mapping = ledger_db.parent / "mapping.yaml"
    mapping.write_text("decimal: point\n", encoding="utf-8")
    capsys.readouterr()
    args = ["import", "budget", str(csv), "--body", BODY, "--year", "2018"]
    assert main([*args, "--mapping", str(mapping)]) == 2
    err = capsys.readouterr().err
    assert f"{csv} line 2: amount (column 'Ansatz'): must be at most 10000000000000.00" in err
    assert f"{csv} line 3: amount (column 'Ansatz')" in err
    assert "Traceback" not in err


def test_a_booking_date_in_other_digits_is_refused_in_the_mapping_format() -> None:
    with pytest.raises(RuleViolationError) as refused_date:
        parse_booking_date("date", "١٩.٠٦.٢٠١٨", "%d.%m.%Y")
    assert "digits 0-9" in str(refused_date.value)
    assert parse_booking_date("date", "19.06.2018", "%d.%m.%Y") == date(2018, 6, 19)


def test_an_over_long_csv_text_is_a_bad_row_naming_the_column(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accepted(ledger_db, capsys, SETUP)
    csv = ledger_db.parent / "budget.csv"
    csv.write_text(
        f"HH-Stelle;Bezeichnung;Art;Ansatz\n01.4510.7000;{'x' * (MAX_TEXT + 1)};A;100,00\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["import", "budget", str(csv), "--body", BODY, "--year", "2018"]) == 2
    err = capsys.readouterr().err
    assert f"{csv} line 2: title (column 'Bezeichnung'): must be at most 10,000 characters" in err


def test_a_correction_cannot_give_a_body_a_line_pattern_that_backtracks_without_end(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accepted(ledger_db, capsys, SETUP)
    text = (
        f"- {{record: correction, body: {BODY}, target: body, version: 1, "
        "values: {line_pattern: '^(a+)+$'}, reason: typo, effective: 2018-01-02}\n"
    )
    err = refused(ledger_db, capsys, text)
    assert "command 1 (correction): field 'line_pattern'" in err
    assert "nested quantifiers" in err
