"""Budgets shaped like real exports: the ledger's totals are the file's own, re-imports change
nothing but what changed (files generated in treasury_real_support)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from treasury_real_support import (
    BODY,
    HESSIAN_MAPPING,
    NRW_MAPPING,
    THURINGIAN_MAPPING,
    YEAR,
    Line,
    cameral_lines,
    hessian_file,
    hessian_lines,
    nkf_lines,
    nrw_split_file,
    record_body,
    state_totals,
    thuringian_long_file,
    totals,
)

from ledger.application import LedgerApplication
from ledger.cli import main
from ledger.domain.budget_line import BudgetLine, BudgetLineState
from ledger.importers.budget import import_budget
from ledger.importers.mapping import Mapping, MappingError, parse_mapping
from ledger.importers.report import ImportRefusedError
from ledger.store import application_env
from ledger.yaml_files import load_yaml

CAMERAL = r"^\d{5}\.\d{4}$"


def ledger(url: str, pattern: str) -> Iterator[LedgerApplication]:
    app = LedgerApplication(env=application_env(url))
    record_body(app, pattern)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def store_app(store_url: str) -> Iterator[LedgerApplication]:
    """Musterstadt (cameral codes) on each storage backend."""
    yield from ledger(store_url, CAMERAL)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LedgerApplication]:
    """Musterstadt (cameral codes) on a fresh SQLite file."""
    yield from ledger(f"sqlite:///{tmp_path / 'ledger.db'}", CAMERAL)


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def head(app: LedgerApplication) -> int:
    return app.recorder.max_notification_id() or 0


def mapping(text: str) -> Mapping:
    return parse_mapping(load_yaml(text), "budget", "mapping.yaml")


def thuringian(tmp_path: Path, count: int = 120, seed: int = 3) -> tuple[Path, list[Line]]:
    lines = cameral_lines(random.Random(seed), count)
    return write(tmp_path, "haushalt.csv", thuringian_long_file(lines)), lines


def state(app: LedgerApplication, code: str) -> BudgetLineState:
    record: BudgetLine = app.repository.get(BudgetLine.id_for(BODY, YEAR, code))
    assert isinstance(record, BudgetLine)
    return record.state_at()


def test_a_long_cameral_file_filtered_to_one_years_plan_totals_as_the_file(
    store_app: LedgerApplication, tmp_path: Path
) -> None:
    csv, lines = thuringian(tmp_path)
    report = import_budget(
        store_app, csv, body=BODY, year=YEAR, mapping=mapping(THURINGIAN_MAPPING)
    )
    assert report.bad == []
    assert report.new == len(lines)
    assert state_totals(store_app, lines) == totals(lines)
    # Every other year's rows and the actual beside the plan are not selected, not bad (nor
    # is the grand total, of no year); the sums of each section are skipped by the rule.
    sections = len({line.parts[0] for line in lines})
    assert report.not_selected == 3 * (len(lines) + sections) + 1  # 2018 plan, Ist; 2020
    assert sum(map(len, report.skipped.values())) == sections


def test_negative_and_zero_appropriations_are_recorded_as_the_file_gives_them(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv, lines = thuringian(tmp_path)
    import_budget(app, csv, body=BODY, year=YEAR, mapping=mapping(THURINGIAN_MAPPING))
    negative = [line for line in lines if line.plan[YEAR] < 0]
    zero = [line for line in lines if line.plan[YEAR] == 0]
    assert negative and zero
    for line in negative + zero:
        assert state(app, line.code).appropriation == line.plan[YEAR]


def test_a_row_without_a_title_opens_its_line_with_the_code_as_title(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv, lines = thuringian(tmp_path)
    report = import_budget(app, csv, body=BODY, year=YEAR, mapping=mapping(THURINGIAN_MAPPING))
    untitled = [line for line in lines if not line.title]
    assert untitled
    for line in untitled:
        assert state(app, line.code).title == line.code
    assert any(
        f"{len(untitled)} row" in note and "without a title" in note for note in report.notes
    )


def test_a_recorded_line_keeps_its_title_when_the_file_gives_none(
    app: LedgerApplication, tmp_path: Path
) -> None:
    app.record(
        [
            {
                "record": "budget-line",
                "body": BODY,
                "year": YEAR,
                "line": "01000.4000",
                "title": "Sitzungsgeld",
                "effective": "2019-01-01",
            }
        ]
    )
    csv = write(tmp_path, "h.csv", "UA;Gruppierung;Bezeichnung;Ansatz\n01000;4000;;100,00\n")
    mapped = mapping("code: {columns: [UA, Gruppierung]}\ntitle: Bezeichnung\namount: Ansatz\n")
    import_budget(app, csv, body=BODY, year=YEAR, mapping=mapped)
    line = state(app, "01000.4000")
    assert (line.title, line.appropriation) == ("Sitzungsgeld", Decimal("100.00"))


def test_an_unchanged_reimport_with_a_new_effective_date_appends_nothing(
    store_app: LedgerApplication, tmp_path: Path
) -> None:
    csv, lines = thuringian(tmp_path)
    mapped = mapping(THURINGIAN_MAPPING)
    import_budget(store_app, csv, body=BODY, year=YEAR, mapping=mapped)
    before = head(store_app)

    report = import_budget(
        store_app, csv, body=BODY, year=YEAR, mapping=mapped, effective=date(YEAR, 3, 1)
    )

    assert head(store_app) == before
    assert (report.new, report.already_recorded) == (0, len(lines))


def test_a_reimport_appends_only_the_changed_appropriation_from_its_effective_date(
    app: LedgerApplication, tmp_path: Path
) -> None:
    lines = cameral_lines(random.Random(3), 60)
    mapped = mapping(THURINGIAN_MAPPING)
    csv = write(tmp_path, "h.csv", thuringian_long_file(lines))
    import_budget(app, csv, body=BODY, year=YEAR, mapping=mapped)
    changed = next(line for line in lines if line.direction == "expenditure" and line.title)
    old = changed.plan[YEAR]
    changed.plan[YEAR] = old + Decimal("1000.00")
    csv = write(tmp_path, "nachtrag.csv", thuringian_long_file(lines))
    before = head(app)

    report = import_budget(
        app, csv, body=BODY, year=YEAR, mapping=mapped, effective=date(YEAR, 7, 1)
    )

    assert (report.new, len(report.positions)) == (1, 1)
    assert head(app) == before + 1
    record: BudgetLine = app.repository.get(BudgetLine.id_for(BODY, YEAR, changed.code))
    assert record.state_at(date(YEAR, 6, 30)).appropriation == old
    assert record.state_at(date(YEAR, 7, 1)).appropriation == old + Decimal("1000.00")


def test_lines_missing_from_a_reimport_are_reported_and_closed_only_on_request(
    app: LedgerApplication, tmp_path: Path
) -> None:
    lines = cameral_lines(random.Random(5), 30)
    mapped = mapping(THURINGIAN_MAPPING)
    import_budget(
        app,
        write(tmp_path, "a.csv", thuringian_long_file(lines)),
        body=BODY,
        year=YEAR,
        mapping=mapped,
    )
    gone = [line for line in lines if line.plan[YEAR] != 0][:2]
    kept = [line for line in lines if line not in gone]
    csv = write(tmp_path, "b.csv", thuringian_long_file(kept))
    before = head(app)

    report = import_budget(
        app, csv, body=BODY, year=YEAR, mapping=mapped, effective=date(YEAR, 7, 1)
    )

    assert head(app) == before
    (note,) = [n for n in report.notes if "not in the file" in n]
    assert all(line.code in note for line in gone)
    assert "--close-missing" in note

    report = import_budget(
        app,
        csv,
        body=BODY,
        year=YEAR,
        mapping=mapped,
        effective=date(YEAR, 7, 1),
        close_missing=True,
    )

    assert (report.closed, report.new, head(app)) == (2, 0, before + 2)
    for line in gone:
        record: BudgetLine = app.repository.get(BudgetLine.id_for(BODY, YEAR, line.code))
        assert record.state_at(date(YEAR, 6, 30)).appropriation == line.plan[YEAR]
        assert record.state_at(date(YEAR, 7, 1)).appropriation == Decimal("0.00")


def test_an_nkf_budget_with_separate_income_and_expenditure_columns_totals_as_the_file(
    store_url: str, tmp_path: Path
) -> None:
    lines = nkf_lines(random.Random(7), 150)
    assert any(line.plan[YEAR] < 0 for line in lines)
    csv = write(tmp_path, "teilergebnisplan.csv", nrw_split_file(lines))
    for app in ledger(store_url, r"^\d{6}\.\d{6}$"):
        report = import_budget(app, csv, body=BODY, year=YEAR, mapping=mapping(NRW_MAPPING))
        assert (report.bad, report.new) == ([], len(lines))
        assert state_totals(app, lines) == totals(lines)
        sums = sum(map(len, report.skipped.values()))
        assert sums == 3 * len({line.parts[0] for line in lines})


def test_a_budget_whose_expenditures_are_negative_and_whose_direction_is_the_account_class(
    tmp_path: Path,
) -> None:
    lines = hessian_lines(random.Random(11), 120)
    opposite = [line for line in lines if line.direction == "expenditure" and line.plan[YEAR] < 0]
    assert opposite  # written positive in a file of negative expenditures
    csv = write(tmp_path, "plan.csv", hessian_file(lines))
    for app in ledger(f"sqlite:///{tmp_path / 'h.db'}", r"^\d{6}-\d{6}$"):
        report = import_budget(app, csv, body=BODY, year=YEAR, mapping=mapping(HESSIAN_MAPPING))
        assert report.bad == []
        assert state_totals(app, lines) == totals(lines)
        assert any("opposite sign" in note for note in report.notes)

        strict = HESSIAN_MAPPING.replace("opposite_sign: turn\n", "")
        with pytest.raises(ImportRefusedError) as refused:
            import_budget(app, csv, body=BODY, year=YEAR, mapping=mapping(strict))
        bad = refused.value.report.bad_lines()
        assert len(bad) == len(opposite)
        assert "with `sign: expenditure_negative` the file writes expenditure as negative" in bad[0]


def test_a_row_contradicting_the_sign_convention_is_a_bad_row(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        "h.csv",
        "Jahr;Typ;UA;Gruppierung;Bezeichnung;Richtung;Betrag\n"
        "2019;Plan;01000;4000;Sitzungsgeld;Ausgaben;1.500,00\n",
    )
    before = head(app)
    with pytest.raises(ImportRefusedError) as refused:
        import_budget(app, csv, body=BODY, year=YEAR, mapping=mapping(THURINGIAN_MAPPING))
    (line,) = refused.value.report.bad_lines()
    assert "line 2: amount (column 'Betrag'): 1500.00 is positive" in line
    assert head(app) == before


def test_separate_columns_both_filled_or_both_empty_are_bad_rows(
    tmp_path: Path,
) -> None:
    csv = write(
        tmp_path,
        "p.csv",
        "Produkt;Sachkonto;Bezeichnung;Erträge 2019;Aufwendungen 2019;Ansatz 2018\n"
        "010101;401100;Gebühren;1.000,00;;\n"
        "010101;501100;Löhne;5,00;7,00;\n"
        "010101;501200;Material;;;\n"
        "010101;501300;Zinsen;0,00;0,00;\n",
    )
    for app in ledger(f"sqlite:///{tmp_path / 'n.db'}", r"^\d{6}\.\d{6}$"):
        with pytest.raises(ImportRefusedError) as refused:
            import_budget(app, csv, body=BODY, year=YEAR, mapping=mapping(NRW_MAPPING))
        lines = refused.value.report.bad_lines()
        assert [line.split(": ", 1)[0].rsplit(" ", 1)[1] for line in lines] == ["3", "4", "5"]
        assert "hold an amount; a row has one direction" in lines[0]
        assert "are both empty" in lines[1]
        assert "are both 0" in lines[2]

        given = NRW_MAPPING + "direction: {value: expenditure}\n"
        with pytest.raises(ImportRefusedError) as refused:
            import_budget(app, csv, body=BODY, year=YEAR, mapping=mapping(given))
        lines = refused.value.report.bad_lines()
        assert len(lines) == 2  # line 2 holds income, the mapping says expenditure; line 3
        assert "holds the amount, but the row's direction is expenditure" in lines[0]


def test_sum_duplicates_reports_the_rows_summed_and_the_titles_that_differ(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        "h.csv",
        "UA;Gruppierung;Bezeichnung;Ansatz\n"
        "01000;4000;Sitzungsgeld;100,00\n"
        "01000;4000;Sitzungsgeld Ausschüsse;50,00\n"
        "01000;5700;Bürobedarf;10,00\n"
        "01000;5700;Bürobedarf;5,00\n"
        "01000;6000;Mieten;1,00\n",
    )
    mapped = mapping(
        "code: {columns: [UA, Gruppierung]}\ntitle: Bezeichnung\namount: Ansatz\n"
        "sum_duplicates: true\n"
    )
    report = import_budget(app, csv, body=BODY, year=YEAR, mapping=mapped)
    assert state(app, "01000.4000").appropriation == Decimal("150.00")
    assert "sum_duplicates: 4 rows of 2 codes summed (01000.4000, 01000.5700)" in report.notes
    (differ,) = [n for n in report.notes if "different titles" in n]
    assert "01000.4000 ('Sitzungsgeld', 'Sitzungsgeld Ausschüsse'; kept 'Sitzungsgeld')" in differ
    assert "01000.5700" not in differ


def test_a_year_column_makes_a_row_of_another_year_a_bad_row(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        "h.csv",
        "Jahr;UA;Gruppierung;Bezeichnung;Ansatz\n"
        "2019;01000;4000;Sitzungsgeld;100,00\n"
        "2020;01000;5700;Bürobedarf;10,00\n",
    )
    mapped = mapping(
        "code: {columns: [UA, Gruppierung]}\ntitle: Bezeichnung\namount: Ansatz\nyear: Jahr\n"
    )
    with pytest.raises(ImportRefusedError) as refused:
        import_budget(app, csv, body=BODY, year=YEAR, mapping=mapped)
    (line,) = refused.value.report.bad_lines()
    assert "line 3: year (column 'Jahr'): the row is of 2020, not of the fiscal year 2019" in line


@pytest.mark.parametrize(
    ("data", "key", "rule"),
    [
        ({"where": "Jahr=2019"}, "where", "must map column names"),
        ({"where": {"Jahr": []}}, "where.Jahr", "non-empty list"),
        ({"where": {"Jahr": None}}, "where.Jahr", "a text or a number"),
        ({"skip": {"Bezeichnung": "(Summe"}}, "skip.Bezeichnung", "not a regular expression"),
        ({"skip": {"Bezeichnung": 5}}, "skip.Bezeichnung", "must be a regular expression"),
        ({"sign": "negative"}, "sign", "keep, expenditure_negative, income_negative"),
        (
            {"sign": "expenditure_negative", "opposite_sign": "maybe"},
            "opposite_sign",
            "bad, turn",
        ),
        ({"opposite_sign": "turn"}, "opposite_sign", "applies only with sign"),
        ({"amount": {"income": "E"}}, "amount.expenditure", "need both"),
        ({"amount": {"income": "E", "expenditure": "A", "x": "B"}}, "amount.x", "unknown key"),
        ({"amount": {"income": {"value": "1"}, "expenditure": "A"}}, "amount.income", "column"),
        (
            {"direction": {"column": "Konto", "patterns": {"income": "(4"}}},
            "direction.patterns.income",
            "not a regular expression",
        ),
        (
            {"direction": {"column": "K", "patterns": {"in": "^4"}}},
            "direction.patterns.in",
            "must be expenditure or income",
        ),
    ],
)
def test_a_bad_row_key_in_a_mapping_is_refused_naming_it(
    data: dict[str, object], key: str, rule: str
) -> None:
    with pytest.raises(MappingError) as refused:
        parse_mapping(data, "budget", "mapping.yaml")
    assert refused.value.key == key
    assert rule in refused.value.rule


def test_a_where_or_skip_column_the_file_lacks_is_refused_naming_it(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv, _ = thuringian(tmp_path, 5)
    broken = THURINGIAN_MAPPING.replace("where: {Jahr:", "where: {Haushaltsjahr:")
    with pytest.raises(MappingError) as refused:
        import_budget(app, csv, body=BODY, year=YEAR, mapping=mapping(broken))
    assert refused.value.key == "where.Haushaltsjahr"
    assert "no column 'Haushaltsjahr' in the header" in str(refused.value)


def test_the_cli_filters_rows_with_where_and_skip_options_and_refuses_bad_ones(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = LedgerApplication(env=application_env(store_url))
    record_body(app, CAMERAL)
    app.close()
    monkeypatch.setenv("LEDGER_DATABASE_URL", store_url)
    csv, lines = thuringian(tmp_path, 40)
    keys = THURINGIAN_MAPPING.splitlines()
    plain = "\n".join(k for k in keys if not k.startswith(("where:", "skip:"))) + "\n"
    path = write(tmp_path, "m.yaml", plain)
    args = ["import", "budget", str(csv), "--body", BODY, "--year", str(YEAR), "--mapping"]
    options = ["--where", "Jahr=2019", "--where", "Typ=Plan", "--skip", "Bezeichnung=^Summe"]
    assert main([*args, str(path), *options, "--skip", "Bezeichnung=^Gesamt"]) == 0
    out = capsys.readouterr().out
    assert f"{len(lines)} lines to record" in out
    assert "where: Jahr = '2019', Typ = 'Plan'" in out
    assert "skipped by rule (Bezeichnung matches '^Summe')" in out

    show = ["show", "budget", "--body", BODY, "--year", str(YEAR), "--format", "json"]
    assert main([*show, "--as-of", "2019-12-31"]) == 0
    shown = json.loads(capsys.readouterr().out)["lines"]
    got = {"income": Decimal("0.00"), "expenditure": Decimal("0.00")}
    for line in shown:
        got[line["direction"]] += Decimal(line["appropriation"])
    assert got == totals(lines)

    assert main([*args, str(path), "--where", "Jahr"]) == 2
    assert "'--where': must be COLUMN=VALUE, got 'Jahr'" in capsys.readouterr().err
    assert main([*args, str(path), "--skip", "Bezeichnung=(Summe"]) == 2
    assert "not a regular expression" in capsys.readouterr().err


def test_ledger_record_sets_a_negative_appropriation_as_the_import_does(
    app: LedgerApplication,
) -> None:
    common = {"body": BODY, "year": YEAR, "line": "01000.1610", "effective": "2019-01-01"}
    app.record(
        [
            {"record": "budget-line", **common, "title": "Erstattungen", "direction": "income"},
            {"record": "appropriation", **common, "amount": "-120,50"},
        ]
    )
    assert state(app, "01000.1610").appropriation == Decimal("-120.50")


def test_an_empty_amount_cell_is_a_bad_row_or_an_ansatz_of_0_as_the_mapping_says(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        "h.csv",
        "UA;Gruppierung;Bezeichnung;Ansatz\n01000;4000;Sitzungsgeld;100,00\n01000;5700;Büro;\n",
    )
    text = "code: {columns: [UA, Gruppierung]}\ntitle: Bezeichnung\namount: Ansatz\n"
    with pytest.raises(ImportRefusedError) as refused:
        import_budget(app, csv, body=BODY, year=YEAR, mapping=mapping(text))
    (line,) = refused.value.report.bad_lines()
    assert "line 3: amount (column 'Ansatz'): missing" in line
    import_budget(app, csv, body=BODY, year=YEAR, mapping=mapping(text + "empty_amount: zero\n"))
    assert state(app, "01000.5700").appropriation == Decimal("0.00")
