"""Every CSV the ledger writes shows text as text: no cell runs as a spreadsheet formula.

A budget-line title `=HYPERLINK("http://x","y")`, a responsible `+1+1`, a period `-1-1`
or a note `@SUM(A1:A2)` reached the reconciliation CSV, the annual report's CSV and the
anonymous annual-report route unescaped, and a spreadsheet evaluated them. Text cells
starting a formula now carry a leading apostrophe; amounts stay numbers, negative or not.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from api_support import api_client

from ledger.application import LedgerApplication
from ledger.cli import main
from ledger.cli.record import demo_text, load_commands
from ledger.store import application_env
from projections.engine.csv_cells import cell, text_cell, write_csv
from projections.models.reconciliation import CSV_COLUMNS, reconciliation_csv

BODY = "kyffhaeuserkreis"
PROCESS = "audit-fgk/2015"
#: Text that a spreadsheet would evaluate, one per character OWASP lists (and a line feed).
FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-1-1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
]
#: Where the recorded ones go: budget lines (title) and a measure (its text fields).
LINES = {"01.4953.9001": FORMULAS[0], "01.4953.9002": FORMULAS[3], "01.4953.9003": FORMULAS[2]}
MEASURE = {
    "title": FORMULAS[0],
    "responsible": FORMULAS[1],
    "period": FORMULAS[2],
    "note": FORMULAS[3],
}


def rows_of(text: str) -> list[list[str]]:
    """A CSV as the ledger writes it (BOM, ';', CRLF), read back into cells."""
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


@pytest.mark.parametrize("text", FORMULAS)
def test_a_text_starting_a_formula_is_written_as_text(text: str) -> None:
    assert text_cell(text) == "'" + text
    assert rows_of(write_csv([[text]])) == [["'" + text]]


@pytest.mark.parametrize("text", ["", "Sozialplanung", "1-1", "'=quoted", "a=b", " =1"])
def test_other_text_is_written_as_it_is(text: str) -> None:
    assert text_cell(text) == text


def test_the_type_of_a_value_decides_whether_it_is_a_number() -> None:
    assert cell(Decimal("-17655.00")) == "-17655,00"
    assert cell(Decimal("1E+2")) == "100"
    assert cell(-3) == "-3"
    assert cell(None) == ""
    assert cell("-17655,00") == "'-17655,00"  # text that looks like a number is still text
    assert cell(True) == "True"


def test_the_reconciliation_csv_defuses_every_text_cell() -> None:
    line: dict[str, Any] = {key: "-5.00" for _, key in CSV_COLUMNS}
    lines = [
        {**line, "code": text, "title": text, "direction": text, "reconciles": True}
        | {"differences": []}
        for text in FORMULAS
    ]
    lines[0]["differences"] = [{"code": "=x", "message": "y"}]
    rows = rows_of(reconciliation_csv({"lines": lines}))
    header, body = rows[0], rows[1:]
    for text, row in zip(FORMULAS, body, strict=True):
        cells = dict(zip(header, row, strict=True))
        assert cells["Haushaltsstelle"] == cells["Bezeichnung"] == cells["Art"] == "'" + text
        assert cells["Rest"] == cells["Ist"] == "-5,00"  # amounts stay numbers
    assert body[0][-1] == "'=x: y"


@pytest.fixture
def formulas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The demo with formula-like text in budget lines and a measure (SQLite)."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    commands: list[dict[str, Any]] = []
    for code, title in LINES.items():
        where = {"body": BODY, "year": 2018, "line": code, "effective": "2018-01-01"}
        commands.append({"record": "budget-line", **where, "title": title})
        commands.append({"record": "appropriation", **where, "amount": "100.00"})
        commands.append(
            {"record": "payment", **where, "amount": "250.00", "reference": f"P-{code}"}
        )
    where = {"body": BODY, "process": PROCESS, "measure": "M1.1.9", "effective": "2018-02-01"}
    commands.append({"record": "measure", **where, "goal": "Z1.1", **MEASURE})
    commands[-1].pop("note")
    commands.append(
        {"record": "measure-update", **where, "status": "in_progress", "note": MEASURE["note"]}
    )
    app = LedgerApplication(env=application_env(url))
    try:
        app.record(load_commands(demo_text(), "demo"))
        app.record(commands)
    finally:
        app.close()
    yield url


def test_the_reconciliation_csv_of_recorded_titles_has_no_formula(
    formulas: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["reconcile", "--body", BODY, "--year", "2018", "--format", "csv"]
    assert main(args) == 1  # the lines are overpaid: differences
    rows = rows_of(capsys.readouterr().out)
    by_code = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    for code, title in LINES.items():
        cells = by_code[code]
        assert cells["Bezeichnung"] == "'" + title
        assert cells["Rest"] == "-150,00" and cells["Ist"] == "250,00"


def _check_report(text: str) -> None:
    rows = rows_of(text)
    (row,) = [dict(zip(rows[0], r, strict=True)) for r in rows[1:] if "M1.1.9" in r[2]]
    assert row["Maßnahme"] == f"M1.1.9 {MEASURE['title']}"  # starts with the code
    assert row["Verantwortlich"] == "'" + MEASURE["responsible"]
    assert row["Zeitraum"] == "'" + MEASURE["period"]
    assert row["Bemerkung"] == "'" + MEASURE["note"]


def test_the_annual_report_csv_and_its_route_have_no_formula(
    formulas: str, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    args = ["report", "annual", "--body", BODY, "--process", PROCESS, "--year", "2018"]
    assert main(args) == 0
    _check_report(capsysbinary.readouterr().out.decode("utf-8"))
    with api_client(formulas) as client:  # anonymous
        answer = client.get(
            f"/v1/bodies/{BODY}/processes/{PROCESS}/annual-report?year=2018&format=csv"
        )
    assert answer.status_code == 200, answer.text
    _check_report(answer.content.decode("utf-8"))
