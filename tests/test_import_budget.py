"""`ledger import budget`: the adopted budget from CSV exports of different finance systems."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from eventsourcing.application import AggregateNotFoundError
from storage import demo_ledger

from ledger.application import LedgerApplication
from ledger.cli import main
from ledger.domain.budget_line import BudgetLine, BudgetLineState
from ledger.errors import RecordNotFoundError
from ledger.importers.budget import import_budget
from ledger.importers.mapping import MappingError, default_mapping, load_mapping, parse_mapping
from ledger.importers.report import ImportRefusedError

BODY = "kyffhaeuserkreis"
EXAMPLES = Path(__file__).parent.parent / "examples" / "treasury"

GERMAN_EXPORT = (
    "Einzelplan;Abschnitt;Unterabschnitt;Gruppierung;Bezeichnung;E/A;Ansatz 2018\r\n"
    "1;45;4510;1710;Zuweisungen des Landes für Jugendhilfe;E;125.400,00\r\n"
    "1;45;4510;7000;Zuschüsse an Träger der Jugendarbeit;A;84.250,50\r\n"
    "1;46;4640;7180;Beratungsstellen für Familien, Zuschüsse;A;12.345,67\r\n"
)
GERMAN_MAPPING = """\
code: {columns: [Einzelplan, Unterabschnitt, Gruppierung], format: "{0:02}.{1:04}.{2:04}"}
title: Bezeichnung
amount: Ansatz 2018
direction: {column: E/A, values: {income: [E], expenditure: [A]}}
"""


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LedgerApplication]:
    """The ledger on a fresh SQLite file, with the demo body recorded."""
    yield from demo_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")


@pytest.fixture
def store_app(store_url: str) -> Iterator[LedgerApplication]:
    """The ledger with the demo case on each storage backend."""
    yield from demo_ledger(store_url)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def line_state(app: LedgerApplication, code: str, year: int = 2018) -> BudgetLineState:
    record: BudgetLine = app.repository.get(BudgetLine.id_for(BODY, year, code))
    assert isinstance(record, BudgetLine)
    return record.state_at()


def head(app: LedgerApplication) -> int:
    return app.recorder.max_notification_id() or 0


def test_german_export_in_windows_1252_with_split_codes_records_each_appropriation(
    store_app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(tmp_path, "haushalt.csv", GERMAN_EXPORT, "cp1252")
    mapping = load_mapping(write(tmp_path, "mapping.yaml", GERMAN_MAPPING), "budget")

    report = import_budget(store_app, csv, body=BODY, year=2018, mapping=mapping)

    assert report.new == 3
    assert "encoding cp1252, separator semicolon" in report.reading
    income = line_state(store_app, "01.4510.1710")
    assert (income.title, income.direction) == ("Zuweisungen des Landes für Jugendhilfe", "income")
    assert income.appropriation == Decimal("125400.00")
    assert line_state(store_app, "01.4510.7000").appropriation == Decimal("84250.50")
    assert line_state(store_app, "01.4640.7180").appropriation == Decimal("12345.67")
    assert line_state(store_app, "01.4640.7180").direction == "expenditure"


def test_the_budget_takes_effect_on_the_first_of_january_by_default(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(tmp_path, "haushalt.csv", GERMAN_EXPORT, "cp1252")
    mapping = load_mapping(write(tmp_path, "mapping.yaml", GERMAN_MAPPING), "budget")
    import_budget(app, csv, body=BODY, year=2018, mapping=mapping)
    record: BudgetLine = app.repository.get(BudgetLine.id_for(BODY, 2018, "01.4510.7000"))
    assert isinstance(record, BudgetLine)
    assert record.state_at(date(2017, 12, 31)).appropriation is None
    assert record.state_at(date(2018, 1, 1)).appropriation == Decimal("84250.50")


def test_the_effective_date_comes_from_the_option_before_the_mapping(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(tmp_path, "haushalt.csv", GERMAN_EXPORT, "cp1252")
    mapping = load_mapping(
        write(tmp_path, "mapping.yaml", GERMAN_MAPPING + "effective: 2018-03-01\n"), "budget"
    )
    import_budget(app, csv, body=BODY, year=2018, mapping=mapping, effective=date(2018, 4, 15))
    record: BudgetLine = app.repository.get(BudgetLine.id_for(BODY, 2018, "01.4510.7000"))
    assert isinstance(record, BudgetLine)
    assert record.state_at(date(2018, 4, 14)).appropriation is None
    assert record.state_at(date(2018, 4, 15)).appropriation == Decimal("84250.50")


def test_utf8_comma_separated_export_with_one_code_column_needs_no_mapping(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        "budget.csv",
        "HH-Stelle,Bezeichnung,Art,Ansatz\n"
        "01.4510.1710,Zuweisungen des Landes,Einnahme,125400.00\n"
        '01.4640.7180,"Beratung, Zuschüsse",Ausgabe,12345.67\n',
        "utf-8-sig",
    )
    report = import_budget(app, csv, body=BODY, year=2019, mapping=default_mapping("budget"))
    assert "encoding utf-8-sig, separator comma" in report.reading
    assert line_state(app, "01.4510.1710", 2019).direction == "income"
    state = line_state(app, "01.4640.7180", 2019)
    assert (state.title, state.appropriation) == ("Beratung, Zuschüsse", Decimal("12345.67"))


def test_the_sample_files_import(app: LedgerApplication) -> None:
    mapping = load_mapping(EXAMPLES / "budget-2018-kameral.yaml", "budget")
    report = import_budget(
        app, EXAMPLES / "budget-2018-kameral.csv", body=BODY, year=2018, mapping=mapping
    )
    assert report.new == 5
    report = import_budget(
        app,
        EXAMPLES / "budget-2019-utf8.csv",
        body=BODY,
        year=2019,
        mapping=default_mapping("budget"),
    )
    assert report.new == 5
    assert line_state(app, "01.4953.7187", 2019).appropriation == Decimal("17655.00")


def test_importing_the_same_budget_twice_appends_nothing(
    store_app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(tmp_path, "haushalt.csv", GERMAN_EXPORT, "cp1252")
    mapping = load_mapping(write(tmp_path, "mapping.yaml", GERMAN_MAPPING), "budget")
    import_budget(store_app, csv, body=BODY, year=2018, mapping=mapping)
    before = head(store_app)

    report = import_budget(store_app, csv, body=BODY, year=2018, mapping=mapping)

    assert (report.new, report.already_recorded, report.positions) == (0, 3, [])
    assert head(store_app) == before


def test_a_code_given_twice_is_refused_naming_both_rows(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        "budget.csv",
        "HH-Stelle;Bezeichnung;Ansatz\n"
        "01.4510.7000;Zuschüsse;1.000,00\n"
        "01.4640.7180;Beratung;500,00\n"
        "01.4510.7000;Zuschüsse;250,00\n",
    )
    before = head(app)
    with pytest.raises(ImportRefusedError) as refused:
        import_budget(app, csv, body=BODY, year=2018, mapping=default_mapping("budget"))
    lines = refused.value.report.bad_lines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{csv} line 2: code 01.4510.7000 appears on lines 2 and 4")
    assert lines[1].startswith(f"{csv} line 4: code 01.4510.7000 appears on lines 2 and 4")
    assert head(app) == before


def test_a_code_given_twice_is_summed_when_the_mapping_says_so(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        "budget.csv",
        "HH-Stelle;Bezeichnung;Ansatz\n01.4510.7000;Zuschüsse;1.000,00\n"
        "01.4510.7000;Zuschüsse (Nachtrag);250,55\n",
    )
    mapping = parse_mapping({"sum_duplicates": True}, "budget", "mapping.yaml")
    report = import_budget(app, csv, body=BODY, year=2018, mapping=mapping)
    assert report.new == 1
    state = line_state(app, "01.4510.7000")
    assert (state.title, state.appropriation) == ("Zuschüsse", Decimal("1250.55"))


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_appended(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        "budget.csv",
        "HH-Stelle;Bezeichnung;Art;Ansatz\n"
        "01.4510.7000;Zuschüsse;A;1.000,00\n"  # line 2: good
        "01.4510.7001;Zuschüsse;A;1.000,0x\n"  # line 3: amount
        "\n"  # line 4: blank, ignored
        "1.4510.7002;Miete;A;100,00\n"  # line 5: pattern
        ";Ohne Stelle;A;100,00\n"  # line 6: no code
        "01.4510.7003;Pacht;X;100,00\n"  # line 7: direction
        "01.4510.7004;Abgabe;A;--5,00\n",  # line 8: two signs
    )
    before = head(app)
    with pytest.raises(ImportRefusedError) as refused:
        import_budget(app, csv, body=BODY, year=2018, mapping=default_mapping("budget"))
    lines = refused.value.report.bad_lines()
    assert [line.split(":")[0] for line in lines] == [f"{csv} line {n}" for n in (3, 5, 6, 7, 8)]
    assert "amount (column 'Ansatz'): '1.000,0x' is not an amount" in lines[0]
    assert "'1.4510.7002' does not match the budget-line pattern" in lines[1]
    assert "code (column 'HH-Stelle'): missing" in lines[2]
    assert "direction (column 'Art'): 'X' is none of the direction values" in lines[3]
    assert "'--5,00' is not an amount" in lines[4]
    assert "nothing was recorded" in str(refused.value)
    assert head(app) == before


def test_skip_bad_records_the_good_rows_and_lists_the_skipped_ones(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        "budget.csv",
        "HH-Stelle;Bezeichnung;Ansatz\n01.4510.7000;Zuschüsse;1.000,00\n01.4510.7001;Pacht;zehn\n",
    )
    report = import_budget(
        app, csv, body=BODY, year=2018, mapping=default_mapping("budget"), skip_bad=True
    )
    assert report.new == 1
    assert [b.line for b in report.bad] == [3]
    assert line_state(app, "01.4510.7000").appropriation == Decimal("1000.00")
    with pytest.raises(AggregateNotFoundError):
        app.repository.get(BudgetLine.id_for(BODY, 2018, "01.4510.7001"))


def test_a_row_the_ledger_refuses_is_reported_with_its_line(
    app: LedgerApplication, tmp_path: Path
) -> None:
    # The demo line has an außerplanmäßige approval, so it cannot get an appropriation.
    csv = write(
        tmp_path,
        "budget.csv",
        "HH-Stelle;Bezeichnung;Ansatz\n01.4510.7000;Zuschüsse;1.000,00\n"
        "01.4953.7187;Landesprogramm Familie;17.655,00\n",
    )
    with pytest.raises(ImportRefusedError) as refused:
        import_budget(app, csv, body=BODY, year=2018, mapping=default_mapping("budget"))
    (line,) = refused.value.report.bad_lines()
    assert line.startswith(f"{csv} line 3: ")
    assert "außerplanmäßige approval" in line


def test_a_line_already_open_keeps_its_title_and_gets_its_appropriation(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(tmp_path, "b.csv", "HH-Stelle;Bezeichnung;Ansatz\n01.4510.7000;Zuschüsse;1,00\n")
    import_budget(app, csv, body=BODY, year=2018, mapping=default_mapping("budget"))
    csv = write(tmp_path, "b.csv", "HH-Stelle;Bezeichnung;Ansatz\n01.4510.7000;Neu;2,00\n")
    report = import_budget(
        app,
        csv,
        body=BODY,
        year=2018,
        mapping=default_mapping("budget"),
        effective=date(2018, 7, 1),
    )
    assert report.new == 1
    assert report.notes == [
        "line 2: budget line 01.4510.7000 is recorded with the title 'Zuschüsse'; "
        "the file's 'Neu' is not recorded"
    ]
    state = line_state(app, "01.4510.7000")
    assert (state.title, state.appropriation) == ("Zuschüsse", Decimal("2.00"))


def test_a_line_recorded_with_the_other_direction_is_a_bad_row(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(tmp_path, "b.csv", "HH-Stelle;Bezeichnung;Art;Ansatz\n01.4510.1700;Z;E;1,00\n")
    import_budget(app, csv, body=BODY, year=2018, mapping=default_mapping("budget"))
    csv = write(tmp_path, "b.csv", "HH-Stelle;Bezeichnung;Art;Ansatz\n01.4510.1700;Z;A;1,00\n")
    with pytest.raises(ImportRefusedError) as refused:
        import_budget(app, csv, body=BODY, year=2018, mapping=default_mapping("budget"))
    assert "is recorded as income; the file says expenditure" in refused.value.report.bad_lines()[0]


def test_an_unknown_body_is_refused(app: LedgerApplication, tmp_path: Path) -> None:
    csv = write(tmp_path, "budget.csv", "HH-Stelle;Bezeichnung;Ansatz\n01.4510.7000;Z;1,00\n")
    with pytest.raises(RecordNotFoundError, match="no body 'nirgendwo'"):
        import_budget(app, csv, body="nirgendwo", year=2018, mapping=default_mapping("budget"))


def test_a_mapping_naming_a_column_the_file_lacks_is_refused(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(tmp_path, "budget.csv", "HH-Stelle;Bezeichnung;Ansatz\n01.4510.7000;Z;1,00\n")
    mapping = parse_mapping({"amount": "Ansatz 2018"}, "budget", "mapping.yaml")
    with pytest.raises(MappingError, match=r"'amount': no column 'Ansatz 2018' in the header"):
        import_budget(app, csv, body=BODY, year=2018, mapping=mapping)


def test_the_default_mapping_picks_the_appropriation_column_of_the_year(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        "budget.csv",
        "HH-Stelle;Bezeichnung;Ansatz 2017;Ansatz 2018\n01.4510.7000;Z;1,00;2,00\n",
    )
    import_budget(app, csv, body=BODY, year=2018, mapping=default_mapping("budget"))
    assert line_state(app, "01.4510.7000").appropriation == Decimal("2.00")
    with pytest.raises(MappingError, match="several columns could be the amount"):
        import_budget(app, csv, body=BODY, year=2020, mapping=default_mapping("budget"))


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"amout": "Ansatz"}, "amout"),
        ({"code": {"columns": ["A", "B"], "format": "{0}.{2}"}}, "code.format"),
        ({"code": {"column": "A", "value": "x"}}, "code"),
        ({"direction": "outgoing"}, "direction"),
        ({"direction": {"column": "Art", "values": {"out": ["A"]}}}, "direction.values.out"),
        ({"sum_duplicates": "ja"}, "sum_duplicates"),
        ({"effective": "1. Januar"}, "effective"),
        ({"decimal": "dot"}, "decimal"),
        ({"kind": "bookings"}, "kind"),
        ({"date": "Datum"}, "date"),
    ],
)
def test_a_bad_mapping_is_refused_naming_the_key(data: dict[str, object], key: str) -> None:
    with pytest.raises(MappingError) as refused:
        parse_mapping(data, "budget", "mapping.yaml")
    assert refused.value.key == key


def test_the_cli_exits_2_on_bad_rows_and_lists_them(
    app: LedgerApplication,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    csv = write(tmp_path, "budget.csv", "HH-Stelle;Bezeichnung;Ansatz\n01.4510.7000;Z;x\n")
    args = ["import", "budget", str(csv), "--body", BODY, "--year", "2018"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"{csv} line 2: amount (column 'Ansatz')" in err
    assert "1 bad row; nothing was recorded" in err
    assert main([*args, "--skip-bad"]) == 0
    out = capsys.readouterr().out
    assert "skipped 1 bad row:" in out
    assert f"{csv} line 2" in out


def test_the_cli_imports_with_a_mapping_and_reports_nothing_new_the_second_time(
    app: LedgerApplication,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    csv = write(tmp_path, "haushalt.csv", GERMAN_EXPORT, "cp1252")
    mapping = write(tmp_path, "mapping.yaml", GERMAN_MAPPING)
    args = ["import", "budget", str(csv), "--body", BODY, "--year", "2018", "--mapping"]
    assert main([*args, str(mapping)]) == 0
    assert "appended 6 events" in capsys.readouterr().out
    assert main([*args, str(mapping)]) == 0
    assert "nothing new" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["budget", "bookings"])
def test_the_cli_help_exits_0(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", kind, "--help"]) == 0
    assert "--mapping" in capsys.readouterr().out


def test_the_cli_refuses_a_bad_year_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "budget", "x.csv", "--body", BODY, "--year", "18"]) == 2
    assert "--year" in capsys.readouterr().err


def test_ledger_show_budget_shows_each_imported_appropriation_exactly(
    app: LedgerApplication,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    csv = write(tmp_path, "haushalt.csv", GERMAN_EXPORT, "cp1252")
    mapping = write(tmp_path, "mapping.yaml", GERMAN_MAPPING)
    budget = ["--body", BODY, "--year", "2018"]
    assert main(["import", "budget", str(csv), *budget, "--mapping", str(mapping)]) == 0
    capsys.readouterr()

    assert main(["show", "budget", *budget, "--format", "json"]) == 0

    lines = json.loads(capsys.readouterr().out)["lines"]
    assert {line["code"]: line["appropriation"] for line in lines} == {
        "01.4510.1710": "125400.00",
        "01.4510.7000": "84250.50",
        "01.4640.7180": "12345.67",
        "01.4953.7187": None,
    }
